import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/shared/config.js';
import { QUEUE_STATES } from '../../src/shared/telemetry/metrics.js';

/**
 * The Kubernetes manifests repeat numbers that live elsewhere (Kubernetes cannot derive them):
 * these checks fail when one side changes without the other.
 */
const read = (name: string) => readFileSync(new URL(`../../deploy/k8s/${name}`, import.meta.url), 'utf8');

function number(text: string, pattern: RegExp, what: string): number {
  const match = pattern.exec(text);
  if (!match?.[1]) throw new Error(`${what} not found`);
  return Number(match[1]);
}

describe('deploy/k8s', () => {
  const configmap = read('configmap.yaml');
  const worker = read('worker-deployment.yaml');

  it('gives a worker pod more than SHUTDOWN_GRACE_MS + 10 s before Kubernetes SIGKILLs it', () => {
    const graceMs = number(configmap, /SHUTDOWN_GRACE_MS:\s*"(\d+)"/, 'SHUTDOWN_GRACE_MS');
    const terminationSeconds = number(worker, /terminationGracePeriodSeconds:\s*(\d+)/, 'terminationGracePeriodSeconds');
    expect(terminationSeconds * 1000).toBeGreaterThanOrEqual(graceMs + 10_000);
  });

  it('probes the worker health server on METRICS_PORT at /readyz and /healthz', () => {
    const port = number(configmap, /METRICS_PORT:\s*"(\d+)"/, 'METRICS_PORT');
    expect(number(worker, /containerPort:\s*(\d+)/, 'containerPort')).toBe(port);
    expect(worker).toMatch(/readinessProbe:\s*\n\s*httpGet:\s*\n\s*path: \/readyz/);
    expect(worker).toMatch(/livenessProbe:\s*\n\s*httpGet:\s*\n\s*path: \/healthz/);
  });

  it('scales workers on runnable jobs at 80% of WORKER_CONCURRENCY, from a gauge and states that exist', () => {
    const concurrency = number(configmap, /WORKER_CONCURRENCY:\s*"(\d+)"/, 'WORKER_CONCURRENCY');
    const target = number(read('worker-hpa.yaml'), /averageValue:\s*"(\d+)"/, 'averageValue');
    expect(target).toBe(Math.floor(concurrency * 0.8));
    const rules = read('prometheus-adapter-rules.yaml');
    const states = /state=~"([a-z|-]+)"/.exec(rules)?.[1]?.split('|') ?? [];
    expect(states.sort()).toEqual(['active', 'prioritized', 'waiting']);
    for (const state of states) expect(QUEUE_STATES).toContain(state);
    const metrics = readFileSync(new URL('../../src/shared/telemetry/metrics.ts', import.meta.url), 'utf8');
    expect(metrics).toContain("name: 'okta_sync_queue_jobs'");
    expect(rules).toContain('okta_sync_queue_jobs{');
  });

  it('shares one OKTA_SYNC_QUEUE_SHARDS between api and workers, a value the config accepts, and documents every key', () => {
    const shards = /OKTA_SYNC_QUEUE_SHARDS:\s*"([^"]*)"/.exec(configmap)?.[1];
    expect(shards).toBeDefined();
    expect(readConfig({ OKTA_SYNC_QUEUE_SHARDS: shards }).queueShards).toBe(Number(shards));
    for (const name of ['worker-deployment.yaml', 'api-deployment.yaml']) expect(read(name)).toMatch(/configMapRef:\s*\n\s*name: okta-sync/);
    // Not per Deployment: a worker and an api with different counts would route tenants apart.
    expect(read('api-deployment.yaml')).not.toMatch(/^\s*- name: OKTA_SYNC_QUEUE_SHARDS/m);
    const example = readFileSync(new URL('../../config/.env.example', import.meta.url), 'utf8');
    for (const key of [...configmap.matchAll(/^ {2}([A-Z_]+):/gm)].map((m) => m[1])) expect(example, key).toMatch(new RegExp(`^${key}=`, 'm'));
  });

  it('runs every container as non-root without privilege escalation', () => {
    for (const name of ['worker-deployment.yaml', 'api-deployment.yaml']) {
      const text = read(name);
      expect(text).toContain('runAsNonRoot: true');
      expect(text).toContain('allowPrivilegeEscalation: false');
      expect(text).toContain('readOnlyRootFilesystem: true');
    }
  });
});
