/**
 * Crash points inside an adapter's multi-write operations, for crash-injection tests. Injected per
 * store instance through its options (never global); production code passes none. A hook that
 * throws, or kills the process, stops the operation exactly between two of its writes.
 */
export interface StoreTestHooks {
  /** commitPage: after the objects are written, before the page record. */
  afterPageObjects?(): void;
  /** commitPage: after the page record, before the run's counters are incremented. */
  afterPageRecord?(): void;
  /** deleteTenant with purgeData: after the tenant's data, before the tenant record. */
  beforeTenantRecord?(): void;
}
