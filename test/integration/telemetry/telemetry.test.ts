import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instrumentJobs, type JobLike, takeRetryCount } from '../../../src/shared/telemetry/job-telemetry.js';
import { createMetrics, type QueueCounts } from '../../../src/shared/telemetry/metrics.js';
import { RedactingSpanProcessor } from '../../../src/shared/telemetry/redacting-span-processor.js';
import { tracingEnabled, traceMixin, withSpan } from '../../../src/shared/telemetry/spans.js';
import { TraceFileProcessor } from '../../../src/shared/telemetry/trace-file-processor.js';

/**
 * The telemetry building blocks in one process against a real SDK provider (in-memory exporter):
 * redaction, the job span and its result classification, Prometheus text, the trace file, and the
 * dashboard/alert files naming only metrics that exist.
 */
const exporter = new InMemorySpanExporter();
let dir: string;
let traceFile: string;

beforeAll(() => {
  expect(tracingEnabled()).toBe(false);
  dir = mkdtempSync(join(tmpdir(), 'okta-sync-telemetry-'));
  traceFile = join(dir, 'spans.ndjson');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new RedactingSpanProcessor(), new SimpleSpanProcessor(exporter), new TraceFileProcessor(traceFile)] }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => exporter.reset());

const ended = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);

function job(overrides: Partial<JobLike> = {}): JobLike {
  return { id: 'run_1.p3', name: 'page', data: { tenantId: 'acme', runId: 'run_1', resource: 'users', page: 3 }, attemptsMade: 0, opts: { attempts: 3 }, delay: 0, ...overrides };
}

describe('redaction', () => {
  it('drops credential attributes, credential-looking values and URL queries, and keeps ours', async () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIwb2FhYmMifQ.c2lnbmF0dXJlc2lnbmF0dXJl';
    await withSpan('s', {}, async (span) => {
      span.setAttributes({
        'url.full': 'https://user:pw@acme.okta.com/api/v1/users?after=abc&limit=200',
        'url.query': '?after=abc',
        'http.target': '/api/v1/users?filter=x',
        'url.path': '/connect/AbC_-0123456789abcdefghijklmnopqrstuvwxyzABCDE',
        'http.request.header.authorization': 'SSWS 00abc',
        'http.request.header.dpop': 'proof',
        client_secret: 's3cret',
        'okta.access_token': 'tok',
        note: `Bearer ${jwt}`,
        other: jwt,
        'okta_sync.token.cache': 'hit',
        'okta_sync.tenant_id': 'acme',
      });
      span.addEvent('exception', { 'exception.message': `DPoP ${jwt}` });
    });
    const [span] = ended('s');
    expect(span!.attributes).toEqual({
      'url.full': 'https://acme.okta.com/api/v1/users',
      'http.target': '/api/v1/users',
      'url.path': '/connect/:token',
      note: '[redacted]',
      other: '[redacted]',
      'okta_sync.token.cache': 'hit',
      'okta_sync.tenant_id': 'acme',
    });
    expect(span!.events[0]!.attributes).toEqual({ 'exception.message': '[redacted]' });
  });
});

describe('job span and job metrics', () => {
  const table: [string, () => Promise<unknown>, number, SpanStatusCode][] = [
    ['completed', async () => 'ok', 0, SpanStatusCode.UNSET],
    ['delayed', () => Promise.reject(new DelayedError()), 0, SpanStatusCode.UNSET],
    ['failed', () => Promise.reject(new UnrecoverableError('gone')), 0, SpanStatusCode.ERROR],
    ['retried', () => Promise.reject(new Error('503')), 1, SpanStatusCode.ERROR],
    ['failed', () => Promise.reject(new Error('503')), 2, SpanStatusCode.ERROR],
  ];
  it.each(table)('%s (row %#)', async (result, body, attemptsMade, status) => {
    const metrics = createMetrics({ processMetrics: false });
    const delayedJob = job({ attemptsMade, delay: result === 'delayed' ? 2_500 : 0 });
    const run = instrumentJobs(() => body(), metrics);
    await run(delayedJob).catch(() => undefined);
    const [span] = ended('okta-sync.job');
    expect(span!.attributes).toMatchObject({
      'okta_sync.tenant_id': 'acme',
      'okta_sync.run_id': 'run_1',
      'okta_sync.resource': 'users',
      'okta_sync.page': 3,
      'okta_sync.job_id': 'run_1.p3',
      'okta_sync.attempt': attemptsMade + 1,
      'okta_sync.result': result,
    });
    expect(span!.status.code).toBe(status);
    const text = await metrics.metricsText();
    expect(text).toContain(`okta_sync_jobs_total{tenant="acme",resource="users",result="${result}"} 1`);
    if (result === 'delayed') expect(text).toContain('okta_sync_rate_limit_wait_seconds_total{tenant="acme"} 2.5');
    else expect(text).not.toContain('okta_sync_rate_limit_wait_seconds_total{');
  });

  it('shows a tenant in flight while its job runs and drops the series after; retry counts per request', async () => {
    const metrics = createMetrics({ processMetrics: false });
    let during = '';
    const counts: number[] = [];
    await instrumentJobs(async () => {
      during = await metrics.metricsText();
      counts.push(takeRetryCount('GET /api/v1/users'), takeRetryCount('GET /api/v1/users'), takeRetryCount('POST /oauth2/v1/token'));
    }, metrics)(job({ attemptsMade: 2 }));
    expect(during).toContain('okta_sync_tenant_jobs_in_flight{tenant="acme"} 1');
    expect(await metrics.metricsText()).not.toContain('okta_sync_tenant_jobs_in_flight{');
    expect(counts).toEqual([2, 3, 2]);
    expect(takeRetryCount('GET /api/v1/users')).toBe(0);
  });

  it('logs carry the active span ids', async () => {
    expect(traceMixin()).toEqual({});
    const ids = await withSpan('log', {}, async (span) => ({ mixin: traceMixin(), ctx: span.spanContext() }));
    expect(ids.mixin).toEqual({ trace_id: ids.ctx.traceId, span_id: ids.ctx.spanId });
  });
});

describe('Prometheus metrics', () => {
  it('counts Okta requests, 429s, tokens, objects and runs, and reads queue depth on scrape', async () => {
    const queue: QueueCounts = { getJobCounts: async () => ({ waiting: 7, active: 2, delayed: 3, failed: 1 }) };
    const metrics = createMetrics({ queue, processMetrics: false });
    metrics.oktaRequest({ tenantId: 'acme', bucket: 'users', status: 200, durationMs: 40 });
    metrics.oktaRequest({ tenantId: 'acme', bucket: 'users', status: 429, durationMs: 5 });
    metrics.oktaRequest({ tenantId: 'acme', bucket: 'users', status: 0, durationMs: 5_000 });
    metrics.tokenEvent({ kind: 'fetch', tenantId: 'acme', durationMs: 120 });
    metrics.tokenEvent({ kind: 'l1_hit', tenantId: 'acme', durationMs: 0 });
    metrics.tokenEvent({ kind: 'l2_hit', tenantId: 'acme', durationMs: 2 });
    metrics.objectsWritten('acme', 'user', 200);
    metrics.feedAppended('acme', 'upsert', 150);
    metrics.feedAppended('acme', 'delete', 3);
    metrics.feedAppended('acme', 'delete', 0);
    metrics.runFinished({ tenantId: 'acme', resource: 'users', status: 'failed', seconds: 42 });
    const text = await metrics.metricsText();
    for (const line of [
      'okta_sync_queue_jobs{state="waiting"} 7',
      'okta_sync_queue_jobs{state="active"} 2',
      'okta_sync_queue_jobs{state="delayed"} 3',
      'okta_sync_queue_jobs{state="failed"} 1',
      'okta_sync_queue_jobs{state="prioritized"} 0',
      'okta_sync_okta_requests_total{bucket="users",status="200"} 1',
      'okta_sync_okta_requests_total{bucket="users",status="429"} 1',
      'okta_sync_okta_requests_total{bucket="users",status="0"} 1',
      'okta_sync_okta_rate_limited_total{tenant="acme",bucket="users"} 1',
      'okta_sync_token_fetches_total{tenant="acme"} 1',
      'okta_sync_token_cache_hits_total{layer="l1"} 1',
      'okta_sync_token_cache_hits_total{layer="l2"} 1',
      'okta_sync_objects_written_total{tenant="acme",type="user"} 200',
      'okta_sync_feed_entries_total{tenant="acme",op="upsert"} 150',
      'okta_sync_feed_entries_total{tenant="acme",op="delete"} 3',
      'okta_sync_runs_finished_total{tenant="acme",resource="users",status="failed"} 1',
      'okta_sync_run_duration_seconds_bucket{le="60",resource="users",status="failed"} 1',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('answers a scrape within the timeout when Redis hangs, with the last known counts', async () => {
    let hang = false;
    const queue: QueueCounts = { getJobCounts: () => (hang ? new Promise(() => undefined) : Promise.resolve({ waiting: 5 })) };
    const metrics = createMetrics({ queue, processMetrics: false, queueCountTimeoutMs: 200 });
    expect(await metrics.metricsText()).toContain('okta_sync_queue_jobs{state="waiting"} 5');
    hang = true;
    const started = Date.now();
    expect(await metrics.metricsText()).toContain('okta_sync_queue_jobs{state="waiting"} 5');
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('trace file', () => {
  it('appends each finished span as one JSON line with its parent', async () => {
    await withSpan('parent', {}, () => withSpan('child', { attributes: { 'okta_sync.page': 1 } }, async () => undefined));
    const lines = readFileSync(traceFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string; spanId: string; parentSpanId: string | null; traceId: string; attributes: object });
    const parent = lines.find((l) => l.name === 'parent')!;
    const child = lines.find((l) => l.name === 'child')!;
    expect(child).toMatchObject({ traceId: parent.traceId, parentSpanId: parent.spanId, attributes: { 'okta_sync.page': 1 } });
    expect(parent.parentSpanId).toBeNull();
  });
});

describe('dashboard and alerts', () => {
  it('name only metrics this service exports', async () => {
    const metrics = createMetrics({ queue: { getJobCounts: async () => ({}) } });
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const known = (name: string) => exported.has(name) || exported.has(name.replace(/_(bucket|sum|count)$/, '')) || name === 'up';
    const files = ['config/grafana/dashboards/okta-sync.json', 'config/prometheus/okta-sync-alerts.yml'];
    const referenced = new Set<string>();
    for (const file of files) {
      const text = readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');
      for (const m of text.matchAll(/\b(okta_sync_[a-z_]+|nodejs_[a-z0-9_]+|process_[a-z_]+|up)\b(?=\s*[{[)]|\s*==)/g)) referenced.add(m[1]!);
    }
    expect(referenced.size).toBeGreaterThan(10);
    expect([...referenced].filter((name) => !known(name))).toEqual([]);
    const dashboard = JSON.parse(readFileSync(new URL('../../../config/grafana/dashboards/okta-sync.json', import.meta.url), 'utf8')) as { uid: string; panels: { targets?: { expr: string }[] }[] };
    expect(dashboard.uid).toBe('okta-sync-overview');
    for (const name of ['okta_sync_queue_jobs', 'okta_sync_okta_rate_limited_total', 'okta_sync_rate_limit_wait_seconds_total', 'okta_sync_token_cache_hits_total', 'okta_sync_run_duration_seconds_bucket', 'okta_sync_runs_finished_total']) {
      expect(dashboard.panels.some((p) => p.targets?.some((t) => t.expr.includes(name))), name).toBe(true);
    }
  });
});

describe('cheap when off', () => {
  const probeScript = `
    await import(${JSON.stringify(new URL('../../../dist/shared/telemetry/register.js', import.meta.url).href)});
    const { createRequire } = await import('node:module');
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(JSON.stringify(loaded.some((p) => p.includes('@opentelemetry/sdk-node'))));
  `;
  const run = async (env: Record<string, string>) => {
    const { execFile } = await import('node:child_process');
    return new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', probeScript], { env: { PATH: process.env.PATH ?? '', ...env }, cwd: dir }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
  };

  it('loads no SDK without OTEL_* exporter settings or a trace file, and loads it when asked', async () => {
    expect(await run({})).toBe('false');
    expect(await run({ OTEL_TRACES_EXPORTER: 'none' })).toBe('false');
    expect(await run({ OKTA_SYNC_TRACE_FILE: join(dir, 'probe.ndjson') })).toBe('true');
  });
});
