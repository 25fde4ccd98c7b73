import { ConfigError } from './errors.js';

/** A host:port of a cluster node or a sentinel. */
export interface RedisNode {
  host: string;
  port: number;
}

/**
 * Where Redis is: one server (`REDIS_URL`), a Redis Cluster (`REDIS_CLUSTER_NODES`, seed nodes)
 * or a Sentinel-managed primary (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`).
 */
export type RedisTarget =
  | { mode: 'single'; url: string }
  | { mode: 'cluster'; nodes: RedisNode[]; password?: string; tls: boolean; natMap?: Record<string, RedisNode> }
  | { mode: 'sentinel'; sentinels: RedisNode[]; name: string; password?: string; tls: boolean };

/** Parses `host:port,host:port`; throws `ConfigError` naming `variable`. */
export function parseNodes(variable: string, value: string): RedisNode[] {
  const nodes = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => parseNode(variable, s));
  if (nodes.length === 0) throw new ConfigError(variable, 'needs at least one host:port');
  return nodes;
}

function parseNode(variable: string, entry: string): RedisNode {
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(entry);
  const port = match ? Number(match[2]) : 0;
  if (!match || port < 1 || port > 65535) throw new ConfigError(variable, `has "${entry}" (expected host:port,host:port)`);
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
}

/** `REDIS_CLUSTER_NAT_MAP=announced:port=reachable:port,…`: the addresses nodes announce → where we reach them. */
export function parseNatMap(variable: string, value: string): Record<string, RedisNode> {
  const map: Record<string, RedisNode> = {};
  for (const pair of value.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const [from, to, extra] = pair.split('=');
    if (!from || !to || extra !== undefined) throw new ConfigError(variable, `has "${pair}" (expected host:port=host:port)`);
    const announced = parseNode(variable, from);
    map[`${announced.host}:${announced.port}`] = parseNode(variable, to);
  }
  return map;
}
