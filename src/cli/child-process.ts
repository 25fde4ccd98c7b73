import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The okta-sync executable, to start more processes of the same build. */
export const BIN = fileURLToPath(new URL('../../bin/okta-sync', import.meta.url));

export interface Child {
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function startOktaSync(args: string[], env: NodeJS.ProcessEnv, logTo: 'ignore' | 'inherit' = 'ignore'): Child {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', logTo === 'inherit' ? 'inherit' : 'pipe'] });
  // Drain output so a chatty child never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return { process: child, stop: (graceMs = 10_000) => stopChild(child, graceMs) };
}

export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a child and resolves with its first stdout line parsed as JSON (the simulator's org list). */
export async function startWithJsonLine<T>(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<{ child: Child; value: T }> {
  const proc = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const lines = createInterface({ input: proc.stdout! });
  const value = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no output from okta-sync ${args[0]} within ${timeoutMs} ms`)), timeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as T);
      } catch (error) {
        reject(error);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`okta-sync ${args[0]} exited ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`));
    });
  });
  proc.stdout?.resume();
  return { child: { process: proc, stop: (g = 10_000) => stopChild(proc, g) }, value };
}
