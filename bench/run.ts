import { availableParallelism } from 'node:os';
import { benches } from './benches.js';
import type { Bench, BenchContext, BenchRow } from './bench-types.js';
import { resolveBenchRedis } from './bench-redis.js';

/**
 * `npm run bench [-- --quick] [-- --only name[,name]]`: runs every bench and prints one table of
 * figures and ratios against baselines measured in the same run. A bench that throws or overruns
 * its time budget becomes a FAILED row (exit code 1); the others still run and print.
 */
const BUDGET_MS = { quick: 90_000, full: 240_000 } as const;

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? '').split(',')) : undefined;
  const unknown = only ? [...only].filter((name) => !benches.some((b) => b.name === name)) : [];
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${benches.map((b) => `"${b.name}"`).join(', ')}\n`);
    process.exit(2);
  }
  const redis = await resolveBenchRedis();
  const ctx: BenchContext = { redisUrl: redis.url, scale: quick ? 'quick' : 'full', log: (m) => process.stderr.write(`[bench] ${m}\n`) };
  const rows: BenchRow[] = [];
  const started = Date.now();
  try {
    for (const bench of benches.filter((b) => only === undefined || only.has(b.name))) {
      ctx.log(`${bench.name}…`);
      const t0 = Date.now();
      try {
        rows.push(...(await withinBudget(bench, ctx, (bench.budgetMs ?? BUDGET_MS)[ctx.scale])));
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
  const notes = [...new Set(rows.flatMap((r) => (r.note ? [`${r.bench}: ${r.note}`] : [])))];
  for (const note of notes) process.stdout.write(`  * ${note}\n`);
  process.stdout.write(
    `\n(${((Date.now() - started) / 1000).toFixed(0)} s, ${quick ? 'quick' : 'full'} scale, node ${process.version}, ${availableParallelism()} CPUs)\n`,
  );
}

/** A bench that overruns its budget is reported as failed rather than holding up the table. */
async function withinBudget(bench: Bench, ctx: BenchContext, budgetMs: number): Promise<BenchRow[]> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`over its ${budgetMs / 1000} s budget`)), budgetMs);
  });
  try {
    return await Promise.race([bench.run(ctx), overrun]);
  } finally {
    clearTimeout(timer);
  }
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
  if (r.baseline === null || !Number.isFinite(r.ours)) return '-';
  // A zero on the better side (0 429s against some) has no finite ratio: say so plainly.
  if (r.better === 'lower' && r.ours === 0) return r.baseline === 0 ? 'equal' : 'none vs some';
  if (r.baseline === 0) return r.ours === 0 ? 'equal' : '-';
  const x = r.better === 'higher' ? r.ours / r.baseline : r.baseline / r.ours;
  return `${x.toFixed(2)}x ${x >= 1 ? 'better' : 'worse'}`;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

await main(process.argv.slice(2));
// A bench cut off by its budget may leave child processes or sockets behind: do not wait for them.
process.exit();
