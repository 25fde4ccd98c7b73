import { randomBytes } from 'node:crypto';
import type { SimLogEvent } from './org-model.js';
import { type Rng, oktaId } from './prng.js';

/**
 * An org's Event Hooks, written from Okta's EventHook object (management API spec) and OKTA-FACTS
 * "Near-real-time": created ACTIVE and UNVERIFIED; only a hook that is ACTIVE and VERIFIED gets
 * deliveries; only an INACTIVE hook may be deleted; at most 25 active hooks per org.
 */
export const MAX_ACTIVE_HOOKS = 25;

/**
 * Event types a hook may subscribe to (Okta's catalog marks them `event-hook-eligible`): those
 * that name what changed, and the sign-in events the simulator logs. A hard delete
 * (`user.lifecycle.delete.completed`) is deliberately absent: Okta does not deliver it.
 */
export const HOOK_ELIGIBLE_TYPES: ReadonlySet<string> = new Set([
  'user.lifecycle.create',
  'user.lifecycle.activate',
  'user.lifecycle.deactivate',
  'user.lifecycle.suspend',
  'user.lifecycle.unsuspend',
  'user.lifecycle.reactivate',
  'user.lifecycle.delete.initiated',
  'user.account.update_profile',
  'user.session.start',
  'user.authentication.sso',
  'group.user_membership.add',
  'group.user_membership.remove',
  'group.lifecycle.create',
  'group.lifecycle.delete',
  'group.profile.update',
  'application.user_membership.add',
  'application.user_membership.remove',
  'application.user_membership.update',
  'application.lifecycle.create',
  'application.lifecycle.update',
  'application.lifecycle.activate',
  'application.lifecycle.deactivate',
  'application.lifecycle.delete',
]);

export interface SimEventHook {
  id: string;
  name: string;
  description: string | null;
  status: 'ACTIVE' | 'INACTIVE';
  verificationStatus: 'UNVERIFIED' | 'VERIFIED';
  created: string;
  lastUpdated: string;
  events: string[];
  uri: string;
  headers: { key: string; value: string }[];
  /** The auth header Okta sends with every call; its value is write-only. */
  auth: { key: string; value: string } | null;
}

/** Why a request to the hooks API is refused: Okta's `400 E0000001` with this summary. */
export class HookInputError extends Error {
  override readonly name = 'HookInputError';
}

/** Okta requires an HTTPS endpoint; plain http is accepted for loopback only, so tests can listen locally. */
export function deliverableUri(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
}

/** The hooks of one org and the rules of their lifecycle; deliveries are `hook-delivery.ts`. */
export class EventHookRegistry {
  private readonly hooks = new Map<string, SimEventHook>();

  constructor(private readonly rng: Rng) {}

  list(): SimEventHook[] {
    return [...this.hooks.values()];
  }

  get(id: string): SimEventHook | undefined {
    return this.hooks.get(id);
  }

  /** Hooks that receive an event now: ACTIVE, VERIFIED and subscribed to its type. */
  subscribers(event: SimLogEvent): SimEventHook[] {
    if (!HOOK_ELIGIBLE_TYPES.has(event.eventType)) return [];
    return this.list().filter((h) => h.status === 'ACTIVE' && h.verificationStatus === 'VERIFIED' && h.events.includes(event.eventType));
  }

  create(input: unknown, nowMs: number): SimEventHook {
    const body = asObject(input, 'the event hook');
    const name = body.name;
    if (typeof name !== 'string' || name.trim() === '') throw new HookInputError('name: The field cannot be left blank');
    const events = asObject(body.events, 'events');
    if (events.type !== 'EVENT_TYPE') throw new HookInputError('events.type: must be EVENT_TYPE');
    const items = events.items;
    if (!Array.isArray(items) || items.length === 0 || !items.every((i) => typeof i === 'string')) throw new HookInputError('events.items: at least one event type is required');
    const ineligible = items.filter((i) => !HOOK_ELIGIBLE_TYPES.has(i as string));
    if (ineligible.length > 0) throw new HookInputError(`events.items: not eligible for event hooks: ${ineligible.join(', ')}`);
    const channel = asObject(body.channel, 'channel');
    if (channel.type !== 'HTTP' || channel.version !== '1.0.0') throw new HookInputError('channel: type must be HTTP and version 1.0.0');
    const config = asObject(channel.config, 'channel.config');
    if (typeof config.uri !== 'string' || !deliverableUri(config.uri)) throw new HookInputError('channel.config.uri: must be an HTTPS URL');
    if (this.list().filter((h) => h.status === 'ACTIVE').length >= MAX_ACTIVE_HOOKS) {
      throw new HookInputError(`the org already has ${MAX_ACTIVE_HOOKS} active event hooks`);
    }
    const stamp = new Date(nowMs).toISOString();
    const hook: SimEventHook = {
      id: oktaId(this.rng, 'who'),
      name,
      description: typeof body.description === 'string' ? body.description : null,
      status: 'ACTIVE',
      verificationStatus: 'UNVERIFIED',
      created: stamp,
      lastUpdated: stamp,
      events: [...new Set(items as string[])],
      uri: config.uri,
      headers: parseHeaders(config.headers),
      auth: parseAuth(config.authScheme),
    };
    this.hooks.set(hook.id, hook);
    return hook;
  }

  setStatus(id: string, status: SimEventHook['status'], nowMs: number): SimEventHook | undefined {
    const hook = this.hooks.get(id);
    if (!hook) return undefined;
    if (status === 'ACTIVE' && hook.status !== 'ACTIVE' && this.list().filter((h) => h.status === 'ACTIVE').length >= MAX_ACTIVE_HOOKS) {
      throw new HookInputError(`the org already has ${MAX_ACTIVE_HOOKS} active event hooks`);
    }
    return this.replace({ ...hook, status }, nowMs);
  }

  markVerified(id: string, nowMs: number): SimEventHook | undefined {
    const hook = this.hooks.get(id);
    return hook ? this.replace({ ...hook, verificationStatus: 'VERIFIED' }, nowMs) : undefined;
  }

  /** Okta deletes only INACTIVE hooks (a safety precaution); undefined when there is no such hook. */
  delete(id: string): boolean | undefined {
    const hook = this.hooks.get(id);
    if (!hook) return undefined;
    if (hook.status === 'ACTIVE') throw new HookInputError('an ACTIVE event hook cannot be deleted; deactivate it first');
    return this.hooks.delete(id);
  }

  private replace(hook: SimEventHook, nowMs: number): SimEventHook {
    const updated = { ...hook, lastUpdated: new Date(nowMs).toISOString() };
    this.hooks.set(hook.id, updated);
    return updated;
  }
}

/** A fresh verification challenge, as random as Okta's. */
export function verificationChallenge(): string {
  return randomBytes(24).toString('base64url');
}

/** Okta's EventHook JSON: the auth header's value is write-only and never shown. */
export function hookView(hook: SimEventHook, baseUrl: string): Record<string, unknown> {
  const self = `${baseUrl}/api/v1/eventHooks/${hook.id}`;
  const post = { hints: { allow: ['POST'] } };
  return {
    id: hook.id,
    status: hook.status,
    verificationStatus: hook.verificationStatus,
    name: hook.name,
    description: hook.description,
    created: hook.created,
    createdBy: null,
    lastUpdated: hook.lastUpdated,
    events: { type: 'EVENT_TYPE', items: hook.events, filter: null },
    channel: {
      type: 'HTTP',
      version: '1.0.0',
      config: { uri: hook.uri, headers: hook.headers, method: 'POST', authScheme: hook.auth ? { type: 'HEADER', key: hook.auth.key } : null },
    },
    _links: {
      self: { href: self },
      verify: { href: `${self}/lifecycle/verify`, ...post },
      [hook.status === 'ACTIVE' ? 'deactivate' : 'activate']: { href: `${self}/lifecycle/${hook.status === 'ACTIVE' ? 'deactivate' : 'activate'}`, ...post },
    },
  };
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HookInputError(`${what}: must be an object`);
  return value as Record<string, unknown>;
}

function parseHeaders(value: unknown): { key: string; value: string }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new HookInputError('channel.config.headers: must be a list');
  return value.map((h) => {
    const header = asObject(h, 'channel.config.headers[]');
    if (typeof header.key !== 'string' || typeof header.value !== 'string') throw new HookInputError('channel.config.headers[]: key and value are required');
    return { key: header.key, value: header.value };
  });
}

function parseAuth(value: unknown): SimEventHook['auth'] {
  if (value === undefined || value === null) return null;
  const scheme = asObject(value, 'channel.config.authScheme');
  if (scheme.type !== 'HEADER' || typeof scheme.key !== 'string' || scheme.key === '' || typeof scheme.value !== 'string') {
    throw new HookInputError('channel.config.authScheme: type HEADER with a key and a value is required');
  }
  return { key: scheme.key, value: scheme.value };
}
