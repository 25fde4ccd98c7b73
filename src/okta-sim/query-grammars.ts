import type { FilterGrammar, Op } from './filter-expr.js';

/**
 * What Okta documents each list endpoint's expressions may say (OKTA-FACTS "Incremental sync and
 * deletions"); anything else is `400 E0000031`. Kept strict so that a change in what the product
 * sends that Okta would refuse is refused here too.
 */
const EQ: readonly Op[] = ['eq'];
const RANGE: readonly Op[] = ['eq', 'lt', 'le', 'gt', 'ge'];
const SEARCH_OPS: readonly Op[] = ['eq', 'lt', 'le', 'gt', 'ge', 'sw', 'pr'];

const USER_FILTER_OPS: Readonly<Record<string, readonly Op[]>> = {
  status: EQ,
  lastUpdated: RANGE,
  id: EQ,
  'profile.login': EQ,
  'profile.email': EQ,
  'profile.firstName': EQ,
  'profile.lastName': EQ,
};

/** Users `filter`: a few properties, `eq` only (ranges on `lastUpdated`), no `ne`, strings compared without case. */
export const USERS_FILTER: FilterGrammar = {
  opsOf: (attribute) => USER_FILTER_OPS[attribute],
  dates: new Set(['lastUpdated']),
  caseInsensitive: true,
};

const USER_SEARCH_FIXED = new Set(['id', 'created', 'lastUpdated', 'status']);

/** Users `search`: `id`, `created`, `lastUpdated`, `status` and any `profile.*`, with eq lt le gt ge sw pr. */
export const USERS_SEARCH: FilterGrammar = {
  opsOf: (attribute) => (USER_SEARCH_FIXED.has(attribute) || /^profile\.[A-Za-z_][\w]*$/.test(attribute) ? SEARCH_OPS : undefined),
  dates: new Set(['created', 'lastUpdated']),
};

const GROUP_FILTER_OPS: Readonly<Record<string, readonly Op[]>> = {
  id: EQ,
  type: EQ,
  lastUpdated: RANGE,
  lastMembershipUpdated: RANGE,
};

/** Groups `filter`: only `id`, `type`, `lastUpdated`, `lastMembershipUpdated`. */
export const GROUPS_FILTER: FilterGrammar = {
  opsOf: (attribute) => GROUP_FILTER_OPS[attribute],
  dates: new Set(['lastUpdated', 'lastMembershipUpdated']),
};
