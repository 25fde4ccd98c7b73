import { request } from 'undici';
import type { Resource } from '../shared/resources.js';

/**
 * Ground-truth counts from a simulated org's admin endpoint, to check the demo's result. This
 * reads the simulator over HTTP like any client; it does not import the simulator.
 */
export async function fetchTruthCounts(baseUrl: string, resources: readonly Resource[]): Promise<Record<string, number>> {
  const res = await request(`${baseUrl}/__sim/truth`);
  if (res.statusCode !== 200) {
    await res.body.dump();
    return {};
  }
  const truth = (await res.body.json()) as Record<string, unknown>;
  const keyOf: Record<Resource, string> = { users: 'users', groups: 'groups', memberships: 'memberships', apps: 'apps', logs: 'logs' };
  const counts: Record<string, number> = {};
  for (const r of resources) {
    const value = truth[keyOf[r]] ?? (r === 'logs' ? truth.logEvents : undefined);
    if (Array.isArray(value)) counts[r] = value.length;
  }
  return counts;
}
