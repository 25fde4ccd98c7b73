import type { OrgData, SimApp, SimAppUser, SimGroup, SimUser, UserStatus } from './org-model.js';
import { type Rng, mixSeed, mulberry32, oktaId, pick, randomInt } from './prng.js';
import { buildLogEvent, LOG_EVENT_TYPES } from './log-events.js';

export interface OrgDataCounts {
  users: number;
  groups: number;
  apps: number;
  logs: number;
}

// Object timestamps sit on a fixed calendar so two runs with the same seed produce the same
// bytes; only System Log times follow the clock (polling defaults to the last 7 days).
const BASE_MS = Date.UTC(2024, 5, 1);
const DAY_MS = 86_400_000;
const LOG_SPAN_MS = 20 * 3_600_000;
const dayPrefixes = new Map<number, string>();
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** `Date#toISOString` without a Date per call: a large org needs millions of these at start. */
export function iso(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  const rest = ms - day * DAY_MS;
  const hh = Math.floor(rest / 3_600_000);
  const mm = Math.floor((rest % 3_600_000) / 60_000);
  const ss = Math.floor((rest % 60_000) / 1000);
  return `${prefix}${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(rest % 1000, 3)}Z`;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim', 'Margaret', 'Linus', 'Hedy', 'John', 'Sophie', 'Niklaus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Lee', 'Hamilton', 'Torvalds', 'Lamarr', 'McCarthy', 'Wilson', 'Wirth'];
const TEAMS = ['Engineering', 'Sales', 'Support', 'Finance', 'Legal', 'Marketing', 'Security', 'Design', 'People', 'Operations'];
const APPS = [
  { name: 'salesforce', label: 'Salesforce.com', signOnMode: 'SAML_2_0' },
  { name: 'slack', label: 'Slack', signOnMode: 'SAML_2_0' },
  { name: 'zoomus', label: 'Zoom', signOnMode: 'SAML_2_0' },
  { name: 'bookmark', label: 'Intranet', signOnMode: 'BOOKMARK' },
  { name: 'oidc_client', label: 'Expense Portal', signOnMode: 'OPENID_CONNECT' },
  { name: 'github', label: 'GitHub Enterprise', signOnMode: 'SAML_2_0' },
];

/** Roughly: 3% DEPROVISIONED, 3% STAGED, 2% SUSPENDED, a few other non-active states. */
function userStatus(rng: Rng): UserStatus {
  const r = rng();
  if (r < 0.03) return 'DEPROVISIONED';
  if (r < 0.06) return 'STAGED';
  if (r < 0.08) return 'SUSPENDED';
  if (r < 0.1) return 'PROVISIONED';
  if (r < 0.11) return 'LOCKED_OUT';
  if (r < 0.12) return 'PASSWORD_EXPIRED';
  return 'ACTIVE';
}

export function makeUser(rng: Rng, n: number, createdMs: number, status: UserStatus): SimUser {
  const first = pick(rng, FIRST);
  const last = pick(rng, LAST);
  const login = `${first}.${last}.${n}@example.com`.toLowerCase();
  const updatedMs = createdMs + Math.floor(rng() * 60 * DAY_MS);
  const staged = status === 'STAGED';
  return {
    id: oktaId(rng, '00u'),
    status,
    created: iso(createdMs),
    activated: staged ? null : iso(createdMs + 3_600_000),
    statusChanged: staged ? null : iso(updatedMs),
    lastLogin: status === 'ACTIVE' ? iso(updatedMs - 3_600_000) : null,
    lastUpdated: iso(updatedMs),
    passwordChanged: staged ? null : iso(createdMs + 3_600_000),
    type: { id: 'oty1default0000000000' },
    profile: { firstName: first, lastName: last, mobilePhone: null, secondEmail: null, login, email: login },
    credentials: { password: {}, provider: { type: 'OKTA', name: 'OKTA' } },
  };
}

function makeGroup(rng: Rng, n: number): SimGroup {
  const createdMs = BASE_MS + Math.floor(rng() * 200 * DAY_MS);
  const updatedMs = createdMs + Math.floor(rng() * 100 * DAY_MS);
  const builtIn = n === 0;
  const team = `${pick(rng, TEAMS)} ${n}`;
  return {
    id: oktaId(rng, '00g'),
    created: iso(createdMs),
    lastUpdated: iso(updatedMs),
    lastMembershipUpdated: iso(updatedMs + Math.floor(rng() * 100 * DAY_MS)),
    objectClass: ['okta:user_group'],
    type: builtIn ? 'BUILT_IN' : 'OKTA_GROUP',
    profile: builtIn
      ? { name: 'Everyone', description: 'All users in your organization' }
      : { name: team, description: `Members of ${team}` },
  };
}

function makeApp(rng: Rng, n: number): SimApp {
  const template = APPS[n % APPS.length] ?? APPS[0]!;
  const createdMs = BASE_MS + Math.floor(rng() * 100 * DAY_MS);
  return {
    id: oktaId(rng, '0oa'),
    name: template.name,
    label: n < APPS.length ? template.label : `${template.label} ${n}`,
    status: rng() < 0.9 ? 'ACTIVE' : 'INACTIVE',
    created: iso(createdMs),
    lastUpdated: iso(createdMs + Math.floor(rng() * 100 * DAY_MS)),
    signOnMode: template.signOnMode,
    features: [],
    accessibility: { selfService: false, errorRedirectUrl: null, loginRedirectUrl: null },
    visibility: { autoSubmitToolbar: false, hide: { iOS: false, web: false } },
  };
}

export function makeAppUser(user: SimUser, assignedAt: string): SimAppUser {
  return {
    id: user.id,
    externalId: null,
    created: assignedAt,
    lastUpdated: assignedAt,
    scope: 'USER',
    status: 'ACTIVE',
    statusChanged: assignedAt,
    passwordChanged: null,
    syncState: 'DISABLED',
    credentials: { userName: user.profile.login },
    profile: {},
  };
}

function seedMemberships(rng: Rng, data: OrgData, userIds: string[]): void {
  let index = 0;
  for (const groupId of data.groups.keys()) {
    const members = new Set<string>();
    // Group 0 is Everyone; the last group stays empty so `usersCount: 0` is exercised.
    const share = index === 0 ? 1 : index === data.groups.size - 1 && index > 1 ? 0 : rng() * 0.3;
    for (const userId of userIds) if (share === 1 || rng() < share) members.add(userId);
    data.members.set(groupId, members);
    index++;
  }
  for (const app of data.apps.values()) {
    const assigned = new Map<string, SimAppUser>();
    const share = 0.2 + rng() * 0.5;
    const assignedAt = iso(Date.parse(app.created) + DAY_MS);
    for (const userId of userIds) {
      const user = data.users.get(userId);
      if (user && rng() < share) assigned.set(userId, makeAppUser(user, assignedAt));
    }
    data.appUsers.set(app.id, assigned);
  }
}

function seedLogs(rng: Rng, data: OrgData, count: number, nowMs: number, userIds: string[]): void {
  // Bursts of events a few hundred ms apart with `published` up to 2 s before persistence, so
  // events inside a burst come out of `published` order the way Okta's do.
  // The whole history fits in the last 20 hours, inside any default or "since yesterday" query.
  const gaps: number[] = [];
  for (let i = 0; i < count; i++) gaps.push(rng() < 0.7 ? randomInt(rng, 0, 500) : randomInt(rng, 1, 20) * 60_000);
  const span = gaps.reduce((a, b) => a + b, 0);
  const scale = span > LOG_SPAN_MS ? LOG_SPAN_MS / span : 1;
  let persistedMs = nowMs - 60_000 - span * scale;
  for (let i = 0; i < count; i++) {
    persistedMs += Math.floor((gaps[i] ?? 0) * scale);
    const publishedMs = persistedMs - randomInt(rng, 0, 2_000);
    const actor = userIds.length > 0 ? data.users.get(pick(rng, userIds)) : undefined;
    const event = buildLogEvent(rng, pick(rng, LOG_EVENT_TYPES), publishedMs, actor, undefined);
    data.logs.push({ seq: i + 1, publishedMs, event });
  }
}

/** Builds one org's data; the same (seed, index, counts) always yields the same objects. */
export function generateOrgData(seed: number, index: number, counts: OrgDataCounts, nowMs: number): OrgData {
  const rng = mulberry32(mixSeed(seed, index, 1));
  const data: OrgData = { users: new Map(), groups: new Map(), members: new Map(), apps: new Map(), appUsers: new Map(), logs: [] };
  const users: SimUser[] = [];
  for (let n = 0; n < counts.users; n++) users.push(makeUser(rng, n, BASE_MS + Math.floor(rng() * 300 * DAY_MS), userStatus(rng)));
  // Stored in id order, so later sorts of the (mostly sorted) map are linear.
  users.sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const user of users) data.users.set(user.id, user);
  for (let n = 0; n < counts.groups; n++) {
    const group = makeGroup(rng, n);
    data.groups.set(group.id, group);
  }
  for (let n = 0; n < counts.apps; n++) {
    const app = makeApp(rng, n);
    data.apps.set(app.id, app);
  }
  const userIds = [...data.users.keys()];
  seedMemberships(rng, data, userIds);
  seedLogs(rng, data, counts.logs, nowMs, userIds);
  return data;
}
