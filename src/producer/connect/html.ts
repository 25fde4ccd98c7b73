import { createHash } from 'node:crypto';

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A template tag that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/** The one inline style of the connect pages; allowed by its hash in the CSP (no 'unsafe-inline'). */
const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d1d1f}
main{max-width:40rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border:1px solid #d0d4da;border-radius:8px}
h1{font-size:1.5rem;margin-top:0}
fieldset{border:1px solid #d0d4da;border-radius:6px;padding:1rem;margin:1rem 0}
label{display:block;font-weight:600;margin-top:.75rem}
input{display:block;width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #8a9099;border-radius:4px}
input:focus{outline:3px solid #1a5fb4;outline-offset:1px}
.hint{font-size:.875rem;color:#4a4f57;margin:.25rem 0 0}
button{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;font-weight:600;color:#fff;background:#1a5fb4;border:0;border-radius:4px;cursor:pointer}
.alert{border-left:4px solid #b00020;background:#fdecee;padding:.75rem 1rem;margin:1rem 0}
.ok{border-left:4px solid #1e7d32;background:#e9f5ea;padding:.75rem 1rem;margin:1rem 0}
.warn{border-left:4px solid #9a6700;background:#fff8e1;padding:.75rem 1rem;margin:1rem 0}
code{font-size:.9em}
`;

const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'`;

/**
 * The Content-Security-Policy of every connect page: nothing but our inline style, forms only to
 * ourselves (plus the allow-listed return origin, as browsers apply form-action to the redirect
 * after a POST), never framed, no base URL games.
 */
export function connectCsp(returnOrigin?: string): string {
  const formAction = returnOrigin === undefined ? "'self'" : `'self' ${returnOrigin}`;
  return `default-src 'none'; style-src ${STYLE_HASH}; img-src 'none'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}

/** A complete page: language, viewport, title and the styled `<main>`. */
export function page(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`.text;
}
