import { z } from 'zod';
import { buildLogEvent, userActor } from './log-events.js';
import { makeAppUser, makeUser } from './org-data.js';
import { type LogActor, type SimUser, USER_STATUSES } from './org-model.js';
import type { OrgStore } from './org-store.js';
import { type Rng, oktaId, randomInt } from './prng.js';

const id = z.string().min(1);
const profile = z.record(z.string(), z.string().nullable());

/** Mutations a test (or `POST /__sim/mutate`) can apply to an org. */
export const MutationSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('updateUser'), id, profile: profile.optional(), status: z.enum(USER_STATUSES).optional() }),
  z.object({ op: z.literal('deprovisionUser'), id }),
  z.object({ op: z.literal('deleteUser'), id }),
  z.object({ op: z.literal('addUser'), profile: profile.optional(), status: z.enum(USER_STATUSES).optional(), groupIds: z.array(id).optional() }),
  z.object({ op: z.literal('addMember'), groupId: id, userId: id }),
  z.object({ op: z.literal('removeMember'), groupId: id, userId: id }),
  z.object({ op: z.literal('addGroup'), name: z.string().min(1).optional() }),
  z.object({ op: z.literal('deleteGroup'), id }),
  z.object({ op: z.literal('updateGroup'), id, name: z.string().min(1).optional(), description: z.string().nullable().optional() }),
  z.object({ op: z.literal('assignApp'), appId: id, userId: id }),
  z.object({ op: z.literal('unassignApp'), appId: id, userId: id }),
  z.object({
    op: z.literal('addLogEvents'),
    count: z.number().int().min(1).max(100_000).optional(),
    eventType: z.string().min(1).optional(),
    /** Events are published up to this many ms before they are persisted. Default 2000. */
    publishedSkewMs: z.number().int().min(0).optional(),
  }),
]);
export type Mutation = z.infer<typeof MutationSchema>;
export const MutationListSchema = z.union([z.array(MutationSchema), z.object({ ops: z.array(MutationSchema) }), MutationSchema]);

export type MutationResult = { op: Mutation['op']; ok: true; id?: string; ids?: string[] } | { op: Mutation['op']; ok: false; error: string };

export class MutationInputError extends Error {
  override readonly name = 'MutationInputError';
}

/** The mutation context: a monotonic clock, so two changes never share a `lastUpdated`. */
class Mutator {
  private lastMs = 0;
  constructor(private readonly store: OrgStore, private readonly rng: Rng, private readonly nowMs: number) {}

  stamp(): string {
    this.lastMs = Math.max(this.nowMs, this.lastMs + 1, this.store.lastStampMs + 1);
    this.store.lastStampMs = this.lastMs;
    return new Date(this.lastMs).toISOString();
  }

  log(eventType: string, actor: SimUser | undefined, target: LogActor[] | undefined, skewMs = 0): void {
    const logs = this.store.data.logs;
    const persistedMs = Date.parse(this.stamp());
    const publishedMs = persistedMs - (skewMs > 0 ? randomInt(this.rng, 0, skewMs) : 0);
    logs.push({ seq: (logs[logs.length - 1]?.seq ?? 0) + 1, publishedMs, event: buildLogEvent(this.rng, eventType, publishedMs, actor, target) });
    this.store.logWritten(logs[logs.length - 1]);
  }

  private touchGroup(groupId: string): void {
    const group = this.store.data.groups.get(groupId);
    if (group) this.store.data.groups.set(groupId, { ...group, lastMembershipUpdated: this.stamp() });
  }

  private groupTarget(groupId: string): LogActor {
    const name = this.store.data.groups.get(groupId)?.profile.name ?? groupId;
    return { id: groupId, type: 'UserGroup', alternateId: 'unknown', displayName: name, detailEntry: null };
  }

  apply(m: Mutation): MutationResult {
    switch (m.op) {
      case 'updateUser': return this.updateUser(m);
      case 'deprovisionUser': return this.deprovisionUser(m.id);
      case 'deleteUser': return this.deleteUser(m.id);
      case 'addUser': return this.addUser(m);
      case 'addMember':
      case 'removeMember': return this.changeMembership(m.op, m.groupId, m.userId);
      case 'addGroup': return this.addGroup(m.name);
      case 'deleteGroup': return this.deleteGroup(m.id);
      case 'updateGroup': return this.updateGroup(m);
      case 'assignApp':
      case 'unassignApp': return this.changeAssignment(m.op, m.appId, m.userId);
      case 'addLogEvents': {
        const count = m.count ?? 1;
        for (let i = 0; i < count; i++) this.log(m.eventType ?? 'user.session.start', undefined, undefined, m.publishedSkewMs ?? 2000);
        return { op: m.op, ok: true, ids: this.store.data.logs.slice(-count).map((r) => r.event.uuid) };
      }
    }
  }

  private updateUser(m: Extract<Mutation, { op: 'updateUser' }>): MutationResult {
    const user = this.store.data.users.get(m.id);
    if (!user) return { op: m.op, ok: false, error: `no user ${m.id}` };
    const stamp = this.stamp();
    const statusChanged = m.status && m.status !== user.status ? stamp : user.statusChanged;
    const updated: SimUser = { ...user, status: m.status ?? user.status, statusChanged, lastUpdated: stamp, profile: { ...user.profile, ...m.profile } };
    this.store.searchLag.noteChange(m.id, user, Date.now());
    this.store.data.users.set(m.id, updated);
    this.log('user.account.update_profile', undefined, [userActor(updated)]);
    return { op: m.op, ok: true, id: m.id };
  }

  private deprovisionUser(userId: string): MutationResult {
    const user = this.store.data.users.get(userId);
    if (!user) return { op: 'deprovisionUser', ok: false, error: `no user ${userId}` };
    const stamp = this.stamp();
    this.store.searchLag.noteChange(userId, user, Date.now());
    this.store.data.users.set(userId, { ...user, status: 'DEPROVISIONED', statusChanged: stamp, lastUpdated: stamp });
    this.log('user.lifecycle.deactivate', undefined, [userActor(user)]);
    return { op: 'deprovisionUser', ok: true, id: userId };
  }

  private addGroup(name: string | undefined): MutationResult {
    const stamp = this.stamp();
    const groupId = oktaId(this.rng, '00g');
    const profile = { name: name ?? `Group ${groupId.slice(-5)}`, description: null };
    this.store.data.groups.set(groupId, { id: groupId, created: stamp, lastUpdated: stamp, lastMembershipUpdated: stamp, objectClass: ['okta:user_group'], type: 'OKTA_GROUP', profile });
    this.store.data.members.set(groupId, new Set());
    this.log('group.lifecycle.create', undefined, [this.groupTarget(groupId)]);
    return { op: 'addGroup', ok: true, id: groupId };
  }

  private updateGroup(m: Extract<Mutation, { op: 'updateGroup' }>): MutationResult {
    const group = this.store.data.groups.get(m.id);
    if (!group) return { op: m.op, ok: false, error: `no group ${m.id}` };
    const profile = { name: m.name ?? group.profile.name, description: m.description === undefined ? group.profile.description : m.description };
    this.store.data.groups.set(m.id, { ...group, lastUpdated: this.stamp(), profile });
    this.log('group.profile.update', undefined, [this.groupTarget(m.id)]);
    return { op: m.op, ok: true, id: m.id };
  }

  /** App assignments (`${appId}:${userId}`), logged as Okta does with the AppInstance and the User as targets. */
  private changeAssignment(op: 'assignApp' | 'unassignApp', appId: string, userId: string): MutationResult {
    const app = this.store.data.apps.get(appId);
    const assigned = this.store.data.appUsers.get(appId);
    const user = this.store.data.users.get(userId);
    if (!app || !assigned || !user) return { op, ok: false, error: !app || !assigned ? `no app ${appId}` : `no user ${userId}` };
    const changed = op === 'assignApp' ? !assigned.has(userId) : assigned.has(userId);
    if (changed) {
      if (op === 'assignApp') assigned.set(userId, makeAppUser(user, this.stamp()));
      else assigned.delete(userId);
      const appTarget: LogActor = { id: appId, type: 'AppInstance', alternateId: app.label, displayName: app.label, detailEntry: null };
      this.log(op === 'assignApp' ? 'application.user_membership.add' : 'application.user_membership.remove', undefined, [appTarget, userActor(user)]);
    }
    return { op, ok: true, id: `${appId}:${userId}` };
  }

  private deleteGroup(groupId: string): MutationResult {
    if (!this.store.data.groups.has(groupId)) return { op: 'deleteGroup', ok: false, error: `no group ${groupId}` };
    this.log('group.lifecycle.delete', undefined, [this.groupTarget(groupId)]);
    this.store.data.groups.delete(groupId);
    this.store.data.members.delete(groupId);
    return { op: 'deleteGroup', ok: true, id: groupId };
  }

  private deleteUser(userId: string): MutationResult {
    const { data } = this.store;
    const user = data.users.get(userId);
    if (!user) return { op: 'deleteUser', ok: false, error: `no user ${userId}` };
    this.store.searchLag.noteChange(userId, user, Date.now());
    data.users.delete(userId);
    for (const [groupId, members] of data.members) if (members.delete(userId)) this.touchGroup(groupId);
    for (const assigned of data.appUsers.values()) assigned.delete(userId);
    // Only the System Log remembers a hard-deleted user.
    this.log('user.lifecycle.delete.completed', undefined, [userActor(user)]);
    return { op: 'deleteUser', ok: true, id: userId };
  }

  private addUser(m: Extract<Mutation, { op: 'addUser' }>): MutationResult {
    const { data } = this.store;
    const stamp = this.stamp();
    const base = makeUser(this.rng, data.users.size + 100_000 + this.store.version, Date.parse(stamp), m.status ?? 'ACTIVE');
    const user: SimUser = { ...base, lastUpdated: stamp, statusChanged: base.statusChanged && stamp, profile: { ...base.profile, ...m.profile } };
    this.store.searchLag.noteChange(user.id, undefined, Date.now());
    data.users.set(user.id, user);
    this.log('user.lifecycle.create', undefined, [userActor(user)]);
    for (const groupId of m.groupIds ?? []) this.changeMembership('addMember', groupId, user.id);
    return { op: 'addUser', ok: true, id: user.id };
  }

  private changeMembership(op: 'addMember' | 'removeMember', groupId: string, userId: string): MutationResult {
    const members = this.store.data.members.get(groupId);
    const user = this.store.data.users.get(userId);
    if (!members || !user) return { op, ok: false, error: members ? `no user ${userId}` : `no group ${groupId}` };
    const changed = op === 'addMember' ? !members.has(userId) && members.add(userId) !== undefined : members.delete(userId);
    if (changed) {
      this.touchGroup(groupId);
      this.log(op === 'addMember' ? 'group.user_membership.add' : 'group.user_membership.remove', undefined, [userActor(user), this.groupTarget(groupId)]);
    }
    return { op, ok: true, id: `${groupId}:${userId}` };
  }
}

/** Validates and applies mutations in order; each result says whether its op found its target. */
export function applyMutations(store: OrgStore, rng: Rng, input: unknown, nowMs: number): MutationResult[] {
  const parsed = MutationListSchema.safeParse(input);
  if (!parsed.success) throw new MutationInputError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const ops = Array.isArray(parsed.data) ? parsed.data : 'ops' in parsed.data ? parsed.data.ops : [parsed.data];
  const mutator = new Mutator(store, rng, nowMs);
  const results = ops.map((op) => mutator.apply(op));
  store.touch();
  return results;
}
