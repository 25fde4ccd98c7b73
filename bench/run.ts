import { benches } from './benches.js';
import type { BenchContext, BenchRow } from './bench-types.js';
import { resolveBenchRedis } from './bench-redis.js';

/**
 * `npm run bench [-- --quick] [-- --only name]`: runs every bench and prints one table of
 * figures and ratios against baselines measured in the same run.
 */
async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
  const redis = await resolveBenchRedis();
  const ctx: BenchContext = { redisUrl: redis.url, scale: quick ? 'quick' : 'full', log: (m) => process.stderr.write(`[bench] ${m}\n`) };
  const rows: BenchRow[] = [];
  const started = Date.now();
  try {
    for (const bench of benches.filter((b) => only === undefined || b.name === only)) {
      ctx.log(`${bench.name}…`);
      const t0 = Date.now();
      try {
        rows.push(...(await bench.run(ctx)));
      } catch (error) {
        rows.push({ bench: bench.name, metric: `FAILED: ${(error as Error).message}`, ours: Number.NaN, baseline: null, unit: '', better: 'higher' });
        process.exitCode = 1;
      }
      ctx.log(`${bench.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await redis.stop();
  }
  process.stdout.write(formatTable(rows));
  process.stdout.write(`\n(${((Date.now() - started) / 1000).toFixed(0)} s, ${quick ? 'quick' : 'full'} scale, node ${process.version})\n`);
}

export function formatTable(rows: BenchRow[]): string {
  const header = ['bench', 'metric', 'ours', 'baseline', 'ratio', 'target'];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    `${fmt(r.ours)} ${r.unit}`.trim(),
    r.baseline === null ? '-' : `${fmt(r.baseline)} ${r.unit}`.trim(),
    ratio(r),
    r.target ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |\n`;
  return line(header) + line(widths.map((w) => '-'.repeat(w))) + body.map(line).join('');
}

function ratio(r: BenchRow): string {
  if (r.baseline === null || !Number.isFinite(r.ours) || r.baseline === 0) return '-';
  const x = r.better === 'higher' ? r.ours / r.baseline : r.baseline / r.ours;
  return `${x.toFixed(2)}x ${x >= 1 ? 'better' : 'worse'}`;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

await main(process.argv.slice(2));
