import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** DESIGN.md "Dependency rules", checked on every import of every source file. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)].map((m) => m[1] ?? '');
  return specs.map((s) => relative(src, resolve(dirname(file), s)));
}

const edges = files(src).flatMap((file) => importsOf(file).map((to) => ({ from: relative(src, file), to })));
const area = (path: string) => path.split('/')[0] ?? '';

describe('dependency rules', () => {
  it('sees the source tree', () => {
    expect(edges.length).toBeGreaterThan(100);
  });

  it.each([
    ['src/shared imports neither producer nor workers', (e: { from: string; to: string }) => area(e.from) === 'shared' && ['producer', 'workers'].includes(area(e.to))],
    ['producer and workers never import each other', (e: { from: string; to: string }) =>
      (area(e.from) === 'producer' && area(e.to) === 'workers') || (area(e.from) === 'workers' && area(e.to) === 'producer')],
    ['no product code imports the simulator', (e: { from: string; to: string }) => area(e.from) !== 'okta-sim' && area(e.to) === 'okta-sim'],
    ['the simulator imports no product code', (e: { from: string; to: string }) => area(e.from) === 'okta-sim' && area(e.to) !== 'okta-sim'],
    ['the store knows nothing of HTTP', (e: { from: string; to: string }) => e.from.startsWith('shared/store/') && (e.to.startsWith('shared/okta/') || area(e.to) === 'producer')],
  ])('%s', (_rule, violates) => {
    expect(edges.filter(violates)).toEqual([]);
  });

  it('reads process.env in config.ts only', () => {
    const readers = files(src)
      .filter((f) => /process\.env\b/.test(readFileSync(f, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')))
      .map((f) => relative(src, f));
    expect(readers).toEqual(['shared/config.ts']);
  });
});
