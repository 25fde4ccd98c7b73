/** The shapes of a simulated org's objects, close to Okta's JSON minus `_links`/`_embedded`. */

export const USER_STATUSES = [
  'STAGED',
  'PROVISIONED',
  'ACTIVE',
  'RECOVERY',
  'PASSWORD_EXPIRED',
  'LOCKED_OUT',
  'SUSPENDED',
  'DEPROVISIONED',
] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export type UserProfile = { [attribute: string]: string | null } & {
  firstName: string;
  lastName: string;
  login: string;
  email: string;
};

export interface SimUser {
  id: string;
  status: UserStatus;
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastLogin: string | null;
  lastUpdated: string;
  passwordChanged: string | null;
  type: { id: string };
  profile: UserProfile;
  credentials: { password: Record<string, never>; provider: { type: 'OKTA'; name: 'OKTA' } };
}

export const GROUP_TYPES = ['OKTA_GROUP', 'APP_GROUP', 'BUILT_IN'] as const;
export type GroupType = (typeof GROUP_TYPES)[number];

export interface SimGroup {
  id: string;
  created: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  objectClass: string[];
  type: GroupType;
  profile: { name: string; description: string | null };
  /** `APP_GROUP` only: the app the group is imported from. */
  source?: { id: string };
}

export interface SimApp {
  id: string;
  name: string;
  label: string;
  status: 'ACTIVE' | 'INACTIVE';
  created: string;
  lastUpdated: string;
  signOnMode: string;
  features: string[];
  accessibility: { selfService: boolean; errorRedirectUrl: null; loginRedirectUrl: null };
  visibility: { autoSubmitToolbar: boolean; hide: { iOS: boolean; web: boolean } };
  /** Shapes vary by sign-on mode (payload variety). */
  credentials?: Record<string, unknown>;
  settings?: Record<string, unknown>;
}

export interface SimAppUser {
  id: string;
  externalId: string | null;
  created: string;
  lastUpdated: string;
  scope: 'USER' | 'GROUP';
  status: 'ACTIVE' | 'PROVISIONED';
  statusChanged: string;
  passwordChanged: null;
  syncState: 'DISABLED';
  credentials: { userName: string };
  profile: Record<string, never>;
}

export interface LogActor {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: null;
}

export interface SimLogEvent {
  uuid: string;
  published: string;
  eventType: string;
  version: '0';
  severity: 'INFO' | 'WARN' | 'ERROR' | 'DEBUG';
  legacyEventType: string | null;
  displayMessage: string;
  actor: LogActor;
  client: { ipAddress: string; device: string; zone: string; userAgent: { rawUserAgent: string } };
  outcome: { result: 'SUCCESS' | 'FAILURE' | 'ALLOW' | 'DENY'; reason: string | null };
  target: LogActor[] | null;
  transaction: { type: 'WEB'; id: string; detail: Record<string, never> };
  debugContext: { debugData: Record<string, string> };
  request: { ipChain: { ip: string }[] };
}

/** A stored event: `seq` is its persistence order, which polling follows. */
export interface LogRecord {
  seq: number;
  publishedMs: number;
  event: SimLogEvent;
}

/** Everything one org holds. Objects are replaced, never edited in place, so caches keyed on identity stay right. */
export interface OrgData {
  users: Map<string, SimUser>;
  groups: Map<string, SimGroup>;
  /** groupId → member userIds */
  members: Map<string, Set<string>>;
  apps: Map<string, SimApp>;
  /** appId → userId → assignment */
  appUsers: Map<string, Map<string, SimAppUser>>;
  /** in persistence order */
  logs: LogRecord[];
}
