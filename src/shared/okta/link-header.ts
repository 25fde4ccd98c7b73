/**
 * Reads the `rel="next"` target of an RFC 8288 `Link` header. Okta may send several Link headers
 * (self and next) or one with comma-separated links; both shapes are handled. `rel` may hold
 * several space-separated relation types; only the exact type `next` counts.
 */
export function nextLink(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  const values = Array.isArray(header) ? header : [header];
  for (const value of values) {
    for (const match of value.matchAll(/<([^>]*)>((?:\s*;\s*[^;,=\s]+\s*(?:=\s*(?:"[^"]*"|[^;,\s]*))?)*)/g)) {
      const params = match[2] ?? '';
      for (const p of params.matchAll(/;\s*([^;,=\s]+)\s*(?:=\s*(?:"([^"]*)"|([^;,\s]*)))?/g)) {
        if ((p[1] ?? '').toLowerCase() !== 'rel') continue;
        const types = (p[2] ?? p[3] ?? '').toLowerCase().split(/\s+/);
        if (types.includes('next')) return match[1] ?? null;
      }
    }
  }
  return null;
}
