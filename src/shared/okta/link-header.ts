/**
 * Reads the `rel="next"` target of an RFC 8288 `Link` header. Okta may send several Link headers
 * (self and next) or one with comma-separated links; both shapes are handled.
 */
export function nextLink(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  const values = Array.isArray(header) ? header : [header];
  for (const value of values) {
    for (const match of value.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
      const params = match[2] ?? '';
      if (/;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?/i.test(params)) return match[1] ?? null;
    }
  }
  return null;
}
