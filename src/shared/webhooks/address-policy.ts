import { BlockList, isIP } from 'node:net';

/**
 * Where outgoing webhooks may go (SSRF guard). A receiver URL names a host we do not control, so
 * every address it resolves to is checked, at registration for literal IPs and at each delivery
 * after DNS resolution (the connection then goes to the checked address, see webhook-client.ts).
 */
export interface WebhookAddressPolicy {
  /** `OKTA_SYNC_ALLOW_INSECURE_LOOPBACK`: loopback receivers allowed, over http too (dev/tests). */
  allowInsecureLoopback: boolean;
  /** `OKTA_SYNC_WEBHOOK_ALLOW`: exact host names, IPs or CIDRs exempt from the address check. */
  allow: readonly string[];
}

/** Ranges that are not the public internet: private, loopback, link-local, CGNAT, multicast, reserved. */
const BLOCKED_V4: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network", incl. the unspecified address
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const BLOCKED_V6: readonly [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];
/** IPv6 forms that carry an IPv4 address in their last 32 bits: mapped and NAT64. */
const V4_IN_V6_PREFIXES = ['::ffff:', '64:ff9b::'] as const;

const blocked = buildBlockList();
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
loopback.addSubnet('::ffff:7f00:0', 104, 'ipv6');

function buildBlockList(): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of BLOCKED_V4) {
    list.addSubnet(net, prefix, 'ipv4');
    for (const p of V4_IN_V6_PREFIXES) list.addSubnet(p + v4AsHex(net), 96 + prefix, 'ipv6');
  }
  for (const [net, prefix] of BLOCKED_V6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

function v4AsHex(address: string): string {
  const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const f = isIP(address);
  return f === 4 ? 'ipv4' : f === 6 ? 'ipv6' : undefined;
}

/** True for an address outside the public internet (the ranges above). */
export function isNonPublicAddress(address: string): boolean {
  const family = familyOf(address);
  return family === undefined || blocked.check(address, family);
}

export function isLoopbackAddress(address: string): boolean {
  const family = familyOf(address);
  return family !== undefined && loopback.check(address, family);
}

/** `[::1]` → `::1`: URL keeps the brackets of an IPv6 literal. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname.toLowerCase();
}

function allowedByList(host: string, address: string | undefined, policy: WebhookAddressPolicy): boolean {
  for (const entry of policy.allow) {
    const [net, prefix] = entry.split('/');
    if (net === undefined) continue;
    const family = familyOf(net);
    if (family === undefined) {
      if (prefix === undefined && net === host) return true;
      continue;
    }
    if (address === undefined) continue;
    const list = new BlockList();
    if (prefix === undefined) list.addAddress(net, family);
    else list.addSubnet(net, Number(prefix), family);
    const addressFamily = familyOf(address);
    if (addressFamily && list.check(address, addressFamily)) return true;
  }
  return false;
}

/**
 * Why `address` (what `host` resolved to) may not receive a delivery over `protocol`, or
 * undefined when it may. http needs the insecure-loopback flag and a loopback address.
 */
export function refuseAddress(host: string, address: string, protocol: string, policy: WebhookAddressPolicy): string | undefined {
  const isLoopback = isLoopbackAddress(address);
  if (protocol === 'http:') {
    return policy.allowInsecureLoopback && isLoopback ? undefined : 'http is allowed only to loopback with OKTA_SYNC_ALLOW_INSECURE_LOOPBACK';
  }
  if (!isNonPublicAddress(address)) return undefined;
  if (isLoopback && policy.allowInsecureLoopback) return undefined;
  if (allowedByList(host, address, policy)) return undefined;
  return `${host} resolves to a non-public address (${address}); list it in OKTA_SYNC_WEBHOOK_ALLOW to allow it`;
}

/** A webhook URL that passed the checks possible without DNS. */
export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * The checks that need no DNS, at registration and again before each delivery: https (or http
 * with the insecure flag), no credentials in the URL, a literal IP must be allowed, names that
 * are loopback by definition (`localhost`) treated as loopback.
 */
export function checkWebhookUrl(text: string, policy: WebhookAddressPolicy): UrlCheck {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'is not an absolute URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'must be an https URL' };
  if (url.protocol === 'http:' && !policy.allowInsecureLoopback) return { ok: false, reason: 'must be an https URL' };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'must not carry credentials' };
  if (url.hash !== '') return { ok: false, reason: 'must not have a #fragment' };
  const host = bareHost(url.hostname);
  const literal = familyOf(host) ? host : host === 'localhost' || host.endsWith('.localhost') ? '127.0.0.1' : undefined;
  if (literal !== undefined) {
    const reason = refuseAddress(host, literal, url.protocol, policy);
    if (reason) return { ok: false, reason };
  }
  return { ok: true, url };
}
