import { userActor } from './log-events.js';
import type { OrgData, SimApp, SimGroup } from './org-model.js';
import { type Rng, mixSeed, mulberry32, pick, randomString } from './prng.js';

/**
 * Payload shapes real orgs send and a uniform generator would not (OKTA-FACTS "Pagination", last
 * point): apps of several sign-on modes with their own `credentials`/`settings`, `APP_GROUP`
 * groups sourced from an app, unicode and very large (≥ 50 KB) profiles, assignments with and
 * without `externalId`, System Log events with several targets, a failure reason or a legacy type.
 * Seeded apart from the base data, so switching it on changes shapes, never ids or counts.
 */
export function addPayloadVariety(data: OrgData, seed: number, index: number): void {
  const rng = mulberry32(mixSeed(seed, index, 9));
  vary(rng, data);
}

const UNICODE_NAMES: readonly [string, string][] = [
  ['Zoë', 'Ðorđević'],
  ['Søren', 'Kierkegård'],
  ['李', '小龙'],
  ['Ана', 'Петрова'],
  ['محمد', 'الخوارزمي'],
  ['José', 'Núñez 🚀'],
];
const LARGE_PROFILES = 3;
// Okta's username templates are literal `${…}` expressions, not JavaScript templates.
const LOGIN = '$' + '{source.login}';
const EMAIL = '$' + '{source.email}';
const LARGE_BYTES = 52 * 1024;

/** Credentials and settings by sign-on mode, shaped like Okta's app JSON. */
function signOn(rng: Rng, app: SimApp, mode: string): Pick<SimApp, 'signOnMode'> & Record<string, unknown> {
  const slug = app.label.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  switch (mode) {
    case 'BOOKMARK':
      return { signOnMode: mode, name: 'bookmark', credentials: { userNameTemplate: { template: LOGIN, type: 'BUILT_IN' }, signing: {} }, settings: { app: { requestIntegration: false, url: `https://intranet.example.com/${slug}` } } };
    case 'SAML_2_0':
      return { signOnMode: mode, credentials: { userNameTemplate: { template: EMAIL, type: 'BUILT_IN' }, signing: { kid: randomString(rng, 43) } }, settings: { app: {}, signOn: { ssoAcsUrl: `https://${slug}.example.com/saml/acs`, audience: `https://${slug}.example.com`, subjectNameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', attributeStatements: [{ type: 'EXPRESSION', name: 'email', values: ['user.email'] }] } } };
    case 'OPENID_CONNECT':
      return { signOnMode: mode, name: 'oidc_client', credentials: { oauthClient: { autoKeyRotation: true, client_id: `0oa${randomString(rng, 17)}`, token_endpoint_auth_method: 'client_secret_basic' }, userNameTemplate: { template: LOGIN, type: 'BUILT_IN' } }, settings: { oauthClient: { application_type: 'web', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [`https://${slug}.example.com/callback`], response_types: ['code'], consent_method: 'REQUIRED' } } };
    default:
      return { signOnMode: 'BROWSER_PLUGIN', credentials: { scheme: 'EDIT_USERNAME_AND_PASSWORD', userNameTemplate: { template: LOGIN, type: 'BUILT_IN' }, revealPassword: false }, settings: { app: { buttonField: 'btn-login', passwordField: 'password', usernameField: 'username', url: `https://${slug}.example.com/login` } } };
  }
}

function vary(rng: Rng, data: OrgData): void {
  const modes = ['BOOKMARK', 'SAML_2_0', 'OPENID_CONNECT', 'BROWSER_PLUGIN'];
  const apps = [...data.apps.values()];
  apps.forEach((app, i) => {
    data.apps.set(app.id, { ...app, ...signOn(rng, app, modes[i % modes.length] ?? 'SAML_2_0') } as SimApp);
  });
  // Every third group beyond Everyone is pushed from an app (Okta `APP_GROUP` with its `source`).
  const groups = [...data.groups.values()];
  groups.forEach((group, i) => {
    const app = apps[i % Math.max(1, apps.length)];
    if (group.type !== 'OKTA_GROUP' || i % 3 !== 2 || !app) return;
    const appGroup: SimGroup = { ...group, type: 'APP_GROUP', objectClass: ['okta:windows_security_principal'], profile: { ...group.profile, description: null }, source: { id: app.id } };
    data.groups.set(group.id, appGroup);
  });
  let large = 0;
  let n = 0;
  for (const user of data.users.values()) {
    n++;
    const profile = { ...user.profile };
    if (n % 10 === 3) {
      const [first, last] = pick(rng, UNICODE_NAMES);
      Object.assign(profile, { firstName: first, lastName: last, displayName: `${first} ${last}`, nickName: null });
    }
    if (n % 97 === 5 && large < LARGE_PROFILES) {
      large++;
      profile.notes = 'Ünïcødé ✓ '.repeat(Math.ceil(LARGE_BYTES / 10)).slice(0, LARGE_BYTES);
      profile.department = 'Research & Development';
    }
    data.users.set(user.id, { ...user, profile });
  }
  for (const assigned of data.appUsers.values()) {
    let i = 0;
    for (const [userId, assignment] of assigned) if (i++ % 4 === 1) assigned.set(userId, { ...assignment, externalId: `ext-${randomString(rng, 12)}`, scope: 'GROUP' });
  }
  varyLogs(rng, data);
}

/** Some events name two targets (a user and a group), some failed with a reason, some carry a legacy type. */
function varyLogs(rng: Rng, data: OrgData): void {
  const users = [...data.users.values()];
  const groups = [...data.groups.values()];
  data.logs.forEach((record, i) => {
    const e = record.event;
    if (i % 5 === 1 && users.length > 0 && groups.length > 0) {
      const group = pick(rng, groups);
      const target = [userActor(pick(rng, users)), { id: group.id, type: 'UserGroup', alternateId: 'unknown', displayName: group.profile.name, detailEntry: null }];
      record.event = { ...e, eventType: 'group.user_membership.add', target };
    } else if (i % 7 === 2) {
      record.event = { ...e, severity: 'WARN', outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' }, legacyEventType: 'core.user_auth.login_failed' };
    }
  });
}
