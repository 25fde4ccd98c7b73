import { describe, expect, it } from 'vitest';
import { isOktaError } from '../../src/shared/okta/okta-errors.js';
import { assertScopesGranted, missingScopes } from '../../src/shared/okta/token-scopes.js';
import { scopeKey } from '../../src/shared/okta/token-request.js';

describe('scopes granted', () => {
  it.each([
    [['okta.users.read'], ['okta.users.read'], []],
    [['okta.users.manage'], ['okta.users.read'], []],
    [['okta.users.read'], ['okta.users.manage'], ['okta.users.manage']],
    [['okta.users.read', 'okta.groups.read'], ['okta.groups.read', 'okta.apps.read', 'okta.logs.read'], ['okta.apps.read', 'okta.logs.read']],
    [[], ['okta.users.read'], ['okta.users.read']],
    [['okta.usersX.manage'], ['okta.users.read'], ['okta.users.read']],
  ])('granted %j, asking %j: missing %j', (granted, requested, missing) => {
    expect(missingScopes(granted, requested)).toEqual(missing);
  });

  it('refuses before any request, naming the missing scopes', () => {
    let caught: unknown;
    try {
      assertScopesGranted(['okta.users.read'], ['okta.users.read', 'okta.apps.read']);
    } catch (error) {
      caught = error;
    }
    expect(isOktaError(caught, 'okta_invalid_scope')).toBe(true);
    expect((caught as Error).message).toContain('okta.apps.read');
    expect(isOktaError(caught) && caught.context.scopes).toEqual(['okta.apps.read']);
    expect(() => assertScopesGranted(['okta.users.read'], [])).toThrow(/at least one scope/);
    expect(() => assertScopesGranted(['okta.users.read'], ['okta.users.read'])).not.toThrow();
  });

  it.each([
    [['b', 'a', 'b'], 'a b'],
    [['okta.users.read'], 'okta.users.read'],
    [[], ''],
  ])('scope key of %j is %j', (scopes, key) => {
    expect(scopeKey(scopes)).toBe(key);
  });
});
