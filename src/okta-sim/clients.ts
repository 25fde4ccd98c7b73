import { generateKeyPair, type KeyObject, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { type Rng, oktaId, randomString } from './prng.js';
import { DEFAULT_GRANTED_SCOPES } from './types.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export const AUTH_METHODS = ['client_secret_basic', 'private_key_jwt'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** An OAuth service app registered in the org. */
export interface RegisteredClient {
  clientId: string;
  method: AuthMethod;
  /** client_secret_basic only. */
  secret?: string;
  /** private_key_jwt only: the registered public JWK, its kid, and the algorithms it may sign with. */
  publicKey?: KeyObject;
  keyId?: string;
  algorithms?: string[];
  /** Tokens must be DPoP-bound. */
  dpop: boolean;
  grantedScopes: Set<string>;
}

const RESOURCES = [
  'users', 'groups', 'apps', 'logs', 'roles', 'policies', 'factors', 'devices', 'schemas', 'userTypes',
  'orgs', 'authorizationServers', 'clients', 'eventHooks', 'inlineHooks', 'idps', 'linkedObjects',
  'trustedOrigins', 'domains', 'brands', 'templates', 'networkZones', 'sessions', 'profileMappings',
  'authenticators', 'riskProviders', 'behaviors', 'features', 'identitySources', 'realms',
];
/** Scopes the org authorization server knows; anything else is `invalid_scope`. */
export const KNOWN_SCOPES: ReadonlySet<string> = new Set(RESOURCES.flatMap((r) => [`okta.${r}.read`, `okta.${r}.manage`]));

export interface ClientSet {
  clients: Map<string, RegisteredClient>;
  secretClient: { clientId: string; secret: string };
  rsClient: { clientId: string; privateKeyPem: string; keyId: string };
  esClient: { clientId: string; privateKeyPem: string; keyId: string };
  dpopClient: { clientId: string; secret: string };
}

function secret(): string {
  return randomBytes(30).toString('base64url');
}

/** Registers the org's four service apps. Ids follow the seed; secrets and keys are fresh each start. */
export async function registerClients(rng: Rng): Promise<ClientSet> {
  const [rsa, ec] = await Promise.all([
    generateKeyPairAsync('rsa', { modulusLength: 2048 }),
    generateKeyPairAsync('ec', { namedCurve: 'P-256' }),
  ]);
  const granted = (): Set<string> => new Set(DEFAULT_GRANTED_SCOPES);
  const secretClient = { clientId: oktaId(rng, '0oa'), secret: secret() };
  const dpopClient = { clientId: oktaId(rng, '0oa'), secret: secret() };
  const rsClient = { clientId: oktaId(rng, '0oa'), keyId: `rsa-${randomString(rng, 10)}`, privateKeyPem: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  const esClient = { clientId: oktaId(rng, '0oa'), keyId: `ec-${randomString(rng, 10)}`, privateKeyPem: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  const clients = new Map<string, RegisteredClient>([
    [secretClient.clientId, { clientId: secretClient.clientId, method: 'client_secret_basic', secret: secretClient.secret, dpop: false, grantedScopes: granted() }],
    [dpopClient.clientId, { clientId: dpopClient.clientId, method: 'client_secret_basic', secret: dpopClient.secret, dpop: true, grantedScopes: granted() }],
    [rsClient.clientId, { clientId: rsClient.clientId, method: 'private_key_jwt', publicKey: rsa.publicKey, keyId: rsClient.keyId, algorithms: ['RS256', 'RS384', 'RS512'], dpop: false, grantedScopes: granted() }],
    [esClient.clientId, { clientId: esClient.clientId, method: 'private_key_jwt', publicKey: ec.publicKey, keyId: esClient.keyId, algorithms: ['ES256'], dpop: false, grantedScopes: granted() }],
  ]);
  return { clients, secretClient, rsClient, esClient, dpopClient };
}

/** A granted `okta.x.manage` also grants `okta.x.read`. */
export function grants(granted: ReadonlySet<string>, scope: string): boolean {
  if (granted.has(scope)) return true;
  return scope.endsWith('.read') && granted.has(`${scope.slice(0, -5)}.manage`);
}
