import { existsSync } from 'node:fs';

/** Flags that keep Debian's Chromium off the (closed) network and quiet in a sandboxed root session. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * The Chromium binary for browser tests (Debian's `chromium`; OKTA_SYNC_CHROMIUM points at another),
 * or undefined when it is missing: then the file says so in one line and skips, unless
 * OKTA_SYNC_REQUIRE_BROWSER=1 (set by .ci/run), where a missing browser fails.
 */
export function chromiumFor(file: string): string | undefined {
  const path = process.env.OKTA_SYNC_CHROMIUM || '/usr/bin/chromium';
  if (existsSync(path)) return path;
  const why = `${path} is missing: install Debian's chromium (apt-get install -y chromium) to run the browser tests`;
  if (process.env.OKTA_SYNC_REQUIRE_BROWSER === '1') throw new Error(`${why} (OKTA_SYNC_REQUIRE_BROWSER=1)`);
  console.warn(`skipping ${file}: ${why}`);
  return undefined;
}
