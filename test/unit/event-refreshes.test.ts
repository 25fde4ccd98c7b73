import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/shared/jobs.js';
import { HOOK_EVENT_TYPES } from '../../src/shared/okta/event-hook-types.js';
import { isRefreshEvent, refreshOf, refreshesFor } from '../../src/workers/watch/event-refreshes.js';

const U = { id: '00u1', type: 'User' };
const U2 = { id: '00u2', type: 'User' };
const G = { id: '00g1', type: 'UserGroup' };
const A = { id: '0oa1', type: 'AppInstance' };
let n = 0;
const ev = (eventType: string, target: { id: string; type: string }[] | null, published = `2026-01-01T00:00:0${(n++ % 10)}.000Z`): ChangeEvent => ({
  uuid: `e${n}`,
  eventType,
  published,
  target,
});

describe('refreshOf: event type + targets → refresh work (OKTA-FACTS "Near-real-time")', () => {
  it.each([
    ['user.lifecycle.create', [U], { kind: 'user', id: '00u1' }],
    ['user.lifecycle.activate', [U], { kind: 'user', id: '00u1' }],
    ['user.lifecycle.deactivate', [U], { kind: 'user', id: '00u1' }],
    ['user.lifecycle.suspend', [U], { kind: 'user', id: '00u1' }],
    ['user.lifecycle.unsuspend', [U], { kind: 'user', id: '00u1' }],
    ['user.lifecycle.reactivate', [U], { kind: 'user', id: '00u1' }],
    ['user.lifecycle.delete.initiated', [U], { kind: 'user', id: '00u1' }],
    ['user.account.update_profile', [U], { kind: 'user', id: '00u1' }],
    ['user.lifecycle.delete.completed', [U], { kind: 'user_deleted', id: '00u1' }],
    ['group.user_membership.add', [U, G], { kind: 'membership_add', id: '00g1:00u1' }],
    ['group.user_membership.remove', [G, U], { kind: 'membership_remove', id: '00g1:00u1' }],
    ['group.lifecycle.create', [G], { kind: 'group', id: '00g1' }],
    ['group.lifecycle.delete', [G], { kind: 'group', id: '00g1' }],
    ['group.profile.update', [G], { kind: 'group', id: '00g1' }],
    ['application.user_membership.add', [A, U], { kind: 'app_user', id: '0oa1:00u1' }],
    ['application.user_membership.remove', [U, A], { kind: 'app_user', id: '0oa1:00u1' }],
    ['application.user_membership.update', [A, U], { kind: 'app_user', id: '0oa1:00u1' }],
    ['application.lifecycle.create', [A], { kind: 'app', id: '0oa1' }],
    ['application.lifecycle.update', [A], { kind: 'app', id: '0oa1' }],
    ['application.lifecycle.activate', [A], { kind: 'app', id: '0oa1' }],
    ['application.lifecycle.deactivate', [A], { kind: 'app', id: '0oa1' }],
    ['application.lifecycle.delete', [A], { kind: 'app', id: '0oa1' }],
  ] as const)('%s → %o', (type, target, expected) => {
    expect(isRefreshEvent(type)).toBe(true);
    expect(refreshOf(ev(type, [...target]))).toEqual(expected);
  });

  it.each([
    ['user.session.start', [U]],
    ['policy.evaluate_sign_on', [U]],
    ['user.account.update_profile', null],
    ['user.account.update_profile', [G]],
    ['group.user_membership.add', [U]],
    ['group.user_membership.remove', [G]],
    ['application.user_membership.add', [A]],
    ['application.lifecycle.update', [U]],
    ['group.profile.update', []],
  ] as const)('%s with targets %o asks for nothing', (type, target) => {
    expect(refreshOf(ev(type, target === null ? null : [...target]))).toBeUndefined();
  });

  it('the Event Hook subscribes to exactly the refresh events Okta delivers to hooks', () => {
    // Every subscribed type maps to a refresh; every refresh type is subscribed, but the hard delete
    // (not hook-eligible: it still comes from the System Log watch or a full run's sweep).
    const refreshTypes = [
      'user.lifecycle.create', 'user.lifecycle.activate', 'user.lifecycle.deactivate', 'user.lifecycle.suspend',
      'user.lifecycle.unsuspend', 'user.lifecycle.reactivate', 'user.lifecycle.delete.initiated', 'user.account.update_profile',
      'user.lifecycle.delete.completed', 'group.user_membership.add', 'group.user_membership.remove', 'group.lifecycle.create',
      'group.lifecycle.delete', 'group.profile.update', 'application.user_membership.add', 'application.user_membership.remove',
      'application.user_membership.update', 'application.lifecycle.create', 'application.lifecycle.update',
      'application.lifecycle.activate', 'application.lifecycle.deactivate', 'application.lifecycle.delete',
    ];
    expect(refreshTypes.every(isRefreshEvent)).toBe(true);
    expect(HOOK_EVENT_TYPES.every(isRefreshEvent)).toBe(true);
    expect([...HOOK_EVENT_TYPES].sort()).toEqual(refreshTypes.filter((t) => t !== 'user.lifecycle.delete.completed').sort());
  });

  it('unknown types are not refresh events', () => {
    expect(isRefreshEvent('user.session.start')).toBe(false);
    expect(isRefreshEvent('group.user_membership.added')).toBe(false);
  });
});

describe('refreshesFor: coalesced per object', () => {
  it('one re-read per user, keeping the earliest and latest published', () => {
    const out = refreshesFor([
      ev('user.account.update_profile', [U], '2026-01-01T00:00:05.000Z'),
      ev('user.lifecycle.deactivate', [U], '2026-01-01T00:00:02.000Z'),
      ev('user.lifecycle.activate', [U], '2026-01-01T00:00:09.000Z'),
    ]);
    expect(out).toEqual([{ kind: 'user', id: '00u1', published: '2026-01-01T00:00:02.000Z', lastPublishedMs: Date.parse('2026-01-01T00:00:09.000Z') }]);
  });

  it("a membership's latest change wins, added or removed", () => {
    const addThenRemove = refreshesFor([ev('group.user_membership.add', [U, G], '2026-01-01T00:00:01.000Z'), ev('group.user_membership.remove', [U, G], '2026-01-01T00:00:02.000Z')]);
    expect(addThenRemove.map((r) => r.kind)).toEqual(['membership_remove']);
    const removeThenAdd = refreshesFor([ev('group.user_membership.remove', [U, G], '2026-01-01T00:00:01.000Z'), ev('group.user_membership.add', [U, G], '2026-01-01T00:00:02.000Z')]);
    expect(removeThenAdd.map((r) => r.kind)).toEqual(['membership_add']);
    // Out of order (a hook delivery): `published` decides, not the list order.
    const late = refreshesFor([ev('group.user_membership.remove', [U, G], '2026-01-01T00:00:05.000Z'), ev('group.user_membership.add', [U, G], '2026-01-01T00:00:02.000Z')]);
    expect(late.map((r) => r.kind)).toEqual(['membership_remove']);
  });

  it("a hard delete wins over re-reads of the user and drops its membership adds and app-user re-reads", () => {
    const out = refreshesFor([
      ev('user.lifecycle.create', [U]),
      ev('group.user_membership.add', [U, G]),
      ev('application.user_membership.add', [A, U]),
      ev('group.user_membership.add', [U2, G]),
      ev('user.lifecycle.delete.completed', [U]),
      ev('user.account.update_profile', [U]),
    ]);
    expect(out.map((r) => `${r.kind} ${r.id}`).sort()).toEqual(['membership_add 00g1:00u2', 'user_deleted 00u1']);
  });

  it('different objects stay apart, events that name nothing are dropped', () => {
    const out = refreshesFor([
      ev('user.session.start', [U]),
      ev('user.account.update_profile', [U]),
      ev('user.account.update_profile', [U2]),
      ev('group.profile.update', [G]),
      ev('group.user_membership.add', [U, G]),
      ev('application.lifecycle.update', [A]),
      ev('application.user_membership.update', [A, U]),
    ]);
    expect(out.map((r) => `${r.kind} ${r.id}`)).toEqual([
      'user 00u1',
      'user 00u2',
      'group 00g1',
      'membership_add 00g1:00u1',
      'app 0oa1',
      'app_user 0oa1:00u1',
    ]);
    expect(refreshesFor([])).toEqual([]);
  });
});
