import { randomUUID } from 'node:crypto';
import type { EventHookRegistry, SimEventHook } from './event-hooks.js';
import type { SimLogEvent } from './org-model.js';
import type { Rng } from './prng.js';

/** Delivery timing; all defaults in one visible block. */
export interface HookDeliveryOptions {
  /** Events logged within this window go out in one request, default 20 ms. */
  batchMs?: number;
  /** Events per request, default 50. */
  maxBatch?: number;
  /** How long Okta waits for the answer, default 3000 ms (OKTA-FACTS). */
  timeoutMs?: number;
  /** Pause before the one retry of a 5xx or timeout, default 250 ms. */
  retryDelayMs?: number;
}

export const HOOK_DELIVERY_DEFAULTS: Required<HookDeliveryOptions> = { batchMs: 20, maxBatch: 50, timeoutMs: 3_000, retryDelayMs: 250 };

/** Shares of deliveries sent twice, and held back (events reversed) so later ones overtake them. */
export interface DeliveryRates {
  duplicate: number;
  reorder: number;
}

/** One request the simulator sent to a hook's endpoint, for tests. `status` 0: no answer in time. */
export interface HookDeliveryRecord {
  hookId: string;
  kind: 'verify' | 'delivery';
  eventId?: string;
  uuids: string[];
  attempt: 1 | 2;
  duplicate: boolean;
  status: number;
  at: string;
}

const MAX_RECORDS = 10_000;

/**
 * Okta's side of Event Hooks: the verification GET and the event deliveries (OKTA-FACTS
 * "Near-real-time"). Each delivery is a POST of `com.okta.event_hook` with `data.events[]` in
 * System Log shape and the hook's auth header; a 5xx or no answer within 3 s is retried once, a 4xx
 * never. At least once: a share of deliveries is sent twice, and a share is held back with its
 * events reversed, so receivers meet duplicates and disorder (seeded, `hookDuplicate`/`hookReorder`).
 */
export class HookDeliverer {
  private readonly o: Required<HookDeliveryOptions>;
  private readonly pending = new Map<string, SimLogEvent[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly records: HookDeliveryRecord[] = [];

  constructor(
    private readonly registry: EventHookRegistry,
    private readonly baseUrl: string,
    private readonly rng: Rng,
    private readonly rates: () => DeliveryRates,
    options: HookDeliveryOptions = {},
  ) {
    this.o = { ...HOOK_DELIVERY_DEFAULTS, ...options };
  }

  /** A System Log event was written: queue it for every hook subscribed to its type. */
  publish(event: SimLogEvent): void {
    if (this.closed) return;
    for (const hook of this.registry.subscribers(event)) {
      const list = this.pending.get(hook.id) ?? [];
      list.push(event);
      this.pending.set(hook.id, list);
    }
    if (this.pending.size > 0 && !this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), this.o.batchMs);
  }

  /** The one-time verification: a GET with a challenge the endpoint must echo as `{"verification": …}`. */
  async verify(hook: SimEventHook, challenge: string): Promise<boolean> {
    const headers = { ...this.headersOf(hook), 'x-okta-verification-challenge': challenge };
    const answer = await this.exchange(hook, 'GET', headers, undefined);
    this.record({ hookId: hook.id, kind: 'verify', uuids: [], attempt: 1, duplicate: false, status: answer.status });
    if (answer.status !== 200) return false;
    try {
      return (JSON.parse(answer.text) as { verification?: unknown }).verification === challenge;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.flushTimer);
    for (const timer of this.timers) clearTimeout(timer);
    for (const controller of this.inFlight) controller.abort();
  }

  private flush(): void {
    this.flushTimer = undefined;
    const batches = [...this.pending];
    this.pending.clear();
    for (const [hookId, events] of batches) {
      for (let i = 0; i < events.length; i += this.o.maxBatch) this.plan(hookId, events.slice(i, i + this.o.maxBatch));
    }
  }

  private plan(hookId: string, events: SimLogEvent[]): void {
    const { duplicate, reorder } = this.rates();
    const held = this.rng() < reorder;
    const twice = this.rng() < duplicate;
    const body = held ? [...events].reverse() : events;
    const delayMs = held ? 150 + Math.floor(this.rng() * 350) : 0;
    const eventId = randomUUID();
    this.later(delayMs, () => this.send(hookId, eventId, body, false));
    if (twice) this.later(delayMs + 50 + Math.floor(this.rng() * 300), () => this.send(hookId, eventId, body, true));
  }

  private later(ms: number, task: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void task().catch(() => undefined);
    }, ms);
    this.timers.add(timer);
  }

  private async send(hookId: string, eventId: string, events: SimLogEvent[], duplicate: boolean): Promise<void> {
    const hook = this.registry.get(hookId);
    if (this.closed || !hook || hook.status !== 'ACTIVE' || hook.verificationStatus !== 'VERIFIED') return;
    const body = JSON.stringify({
      eventType: 'com.okta.event_hook',
      eventTypeVersion: '1.0',
      cloudEventsVersion: '0.1',
      source: `${this.baseUrl}/api/v1/eventHooks/${hook.id}`,
      eventId,
      eventTime: new Date().toISOString(),
      contentType: 'application/json',
      data: { events },
    });
    const uuids = events.map((e) => e.uuid);
    const headers = { ...this.headersOf(hook), 'content-type': 'application/json' };
    for (const attempt of [1, 2] as const) {
      const { status } = await this.exchange(hook, 'POST', headers, body);
      this.record({ hookId, kind: 'delivery', eventId, uuids, attempt, duplicate, status });
      // Retried once on a 5xx or no answer in time; a 4xx is the receiver's final word.
      if ((status !== 0 && status < 500) || this.closed) return;
      if (attempt === 1) await new Promise((resolve) => setTimeout(resolve, this.o.retryDelayMs));
    }
  }

  private headersOf(hook: SimEventHook): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'Okta Event Hooks (okta-sim)' };
    for (const h of hook.headers) headers[h.key.toLowerCase()] = h.value;
    if (hook.auth) headers[hook.auth.key.toLowerCase()] = hook.auth.value;
    return headers;
  }

  private async exchange(hook: SimEventHook, method: 'GET' | 'POST', headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: string }> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.o.timeoutMs);
    try {
      const res = await fetch(hook.uri, { method, headers, redirect: 'manual', signal: controller.signal, ...(body === undefined ? {} : { body }) });
      return { status: res.status, text: await res.text() };
    } catch {
      return { status: 0, text: '' };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  private record(entry: Omit<HookDeliveryRecord, 'at'>): void {
    if (this.records.length >= MAX_RECORDS) this.records.splice(0, MAX_RECORDS / 2);
    this.records.push({ ...entry, at: new Date().toISOString() });
  }
}
