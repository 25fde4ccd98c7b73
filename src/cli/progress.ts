import type { RunRecord } from '../shared/store/sync-store.js';

/** Live run progress: redrawn bars on a terminal, a plain line per change elsewhere (CI logs, pipes). */
export interface ProgressView {
  update(runs: readonly RunRecord[], label?: (run: RunRecord) => string): void;
  done(): void;
}

export function createProgressView(out: NodeJS.WriteStream = process.stderr): ProgressView {
  let drawn = 0;
  const lastLine = new Map<string, string>();
  const tty = Boolean(out.isTTY);
  return {
    update(runs, label = (r) => `${r.tenantId} ${r.resource}`) {
      const lines = runs.map((r) => line(r, label(r), tty));
      if (tty) {
        if (drawn > 0) out.write(`\x1b[${drawn}A`);
        for (const l of lines) out.write(`\x1b[2K${l}\n`);
        drawn = lines.length;
        return;
      }
      runs.forEach((r, i) => {
        const l = lines[i] ?? '';
        if (lastLine.get(r.runId) !== l) out.write(`${l}\n`);
        lastLine.set(r.runId, l);
      });
    },
    done() {
      drawn = 0;
    },
  };
}

function line(r: RunRecord, label: string, tty: boolean): string {
  const c = r.counters;
  const facts = `${counted(c.objects, 'object')}, ${counted(c.pages, 'page')}, ${counted(c.requests, 'request')}${c.rateLimited ? `, ${c.rateLimited} 429s` : ''}`;
  const status = r.status === 'failed' ? `failed: ${r.error?.message ?? ''}` : r.status;
  if (!tty) return `${label}: ${status} (${facts})`;
  const width = 24;
  const filled = r.status === 'succeeded' ? width : Math.min(width - 1, c.pages % width);
  const bar = r.status === 'succeeded' ? '█'.repeat(width) : `${'▓'.repeat(filled)}${'░'.repeat(width - filled)}`;
  return `${label.padEnd(28)} ${bar} ${status.padEnd(9)} ${facts}`;
}

/** `1 page`, `2 pages`, `0 pages`. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
