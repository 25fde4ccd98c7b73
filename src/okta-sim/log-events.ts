import type { LogActor, SimLogEvent, SimUser } from './org-model.js';
import { type Rng, randomInt, randomString } from './prng.js';

export const LOG_EVENT_TYPES = [
  'user.session.start',
  'user.authentication.sso',
  'user.authentication.auth_via_mfa',
  'policy.evaluate_sign_on',
  'user.account.update_profile',
  'group.user_membership.add',
  'application.user_membership.add',
  'system.api_token.create',
] as const;

const MESSAGES: Record<string, string> = {
  'user.session.start': 'User login to Okta',
  'user.authentication.sso': 'User single sign on to app',
  'user.authentication.auth_via_mfa': 'Authentication of user via MFA',
  'policy.evaluate_sign_on': 'Evaluation of sign-on policy',
  'user.account.update_profile': 'Update user profile for Okta',
  'group.user_membership.add': 'Add user to group membership',
  'group.user_membership.remove': 'Remove user from group membership',
  'application.user_membership.add': 'Add user to application membership',
  'system.api_token.create': 'Create API token',
  'user.lifecycle.create': 'Create Okta user',
  'user.lifecycle.deactivate': 'Deactivate Okta user',
  'user.lifecycle.delete.completed': 'Delete Okta user completed',
  'group.lifecycle.delete': 'Delete Okta group',
};

const SYSTEM_ACTOR: LogActor = {
  id: '0oa1system00000000000',
  type: 'PublicClientApp',
  alternateId: 'okta-sync-sim',
  displayName: 'Okta Admin Console',
  detailEntry: null,
};

export function userActor(user: SimUser): LogActor {
  const displayName = `${user.profile.firstName} ${user.profile.lastName}`;
  return { id: user.id, type: 'User', alternateId: user.profile.login, displayName, detailEntry: null };
}

/** One System Log event shaped like Okta's LogEvent. */
export function buildLogEvent(
  rng: Rng,
  eventType: string,
  publishedMs: number,
  actor: SimUser | undefined,
  target: LogActor[] | undefined,
): SimLogEvent {
  const ip = `198.51.100.${randomInt(rng, 1, 254)}`;
  const hex = randomString(rng, 32).toLowerCase();
  return {
    uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-11ee-${hex.slice(16, 20)}-${hex.slice(20, 32)}`,
    published: new Date(publishedMs).toISOString(),
    eventType,
    version: '0',
    severity: 'INFO',
    legacyEventType: null,
    displayMessage: MESSAGES[eventType] ?? eventType,
    actor: actor ? userActor(actor) : SYSTEM_ACTOR,
    client: { ipAddress: ip, device: 'Computer', zone: 'null', userAgent: { rawUserAgent: 'Mozilla/5.0 (okta-sim)' } },
    outcome: { result: 'SUCCESS', reason: null },
    target: target ?? null,
    transaction: { type: 'WEB', id: randomString(rng, 27), detail: {} },
    debugContext: { debugData: { requestId: randomString(rng, 27) } },
    request: { ipChain: [{ ip }] },
  };
}
