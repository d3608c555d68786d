/**
 * `/metrics` against a real listening Fastify on 127.0.0.1: the body parses as
 * the Prometheus text format 0.0.4 line by line (every line a `# HELP`, a
 * `# TYPE`, a sample or empty; HELP and TYPE once per family, before its
 * samples),
 * counters move after requests (by method, route kind and status), bytes on
 * the wire are counted exactly for a raw HTTP exchange, scans are counted by
 * outcome, gauges come from the source, and a failing source costs the gauges,
 * not the scrape. The plugin is added with `app.register`, as `buildApp` may,
 * to prove its hooks still see every route. prom-client's default process and
 * Node.js metrics are there too, on this Metrics object's own registry, never
 * on prom-client's global one.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Counter, register as globalRegistry } from 'prom-client';
import { EXPOSITION_CONTENT_TYPE, Metrics, metricsPlugin, routeKind, type GaugeValues } from '../../src/server/metrics.js';
import { parseExposition, value, type Family } from '../support/exposition.js';

let app: FastifyInstance;
let base: string;
let port: number;
let gauges: () => GaugeValues | Promise<GaugeValues> = () => ({ repositories: 3, manifests: 7, queueLength: 2 });
const metrics = new Metrics({ source: () => gauges() });
const BLOB = Buffer.alloc(1000, 7);

before(async () => {
  app = Fastify();
  await app.register(metricsPlugin(metrics));
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.get('/v2/app/blobs/:digest', async (_request, reply) => reply.type('application/octet-stream').send(BLOB));
  app.patch('/v2/app/blobs/uploads/:id', async (request, reply) => reply.code(202).header('range', `0-${(request.body as Buffer).length - 1}`).send());
  app.get('/ui/', async () => 'ui');
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  port = Number(new URL(base).port);
});

after(async () => {
  await app.close();
});

async function scrape(): Promise<Map<string, Family>> {
  const response = await fetch(`${base}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), EXPOSITION_CONTENT_TYPE);
  return parseExposition(await response.text());
}

/** One HTTP/1.1 exchange on a fresh connection, closed by the server: the exact bytes each way. */
function rawExchange(request: string): Promise<{ sent: number; received: number; text: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      resolve({ sent: Buffer.byteLength(request), received: all.length, text: all.toString('latin1') });
    });
  });
}

test('metrics: every line of the exposition is a valid HELP, TYPE or sample line, and the families are the documented ones', async () => {
  const families = await scrape();
  for (const [name, f] of families) {
    assert.ok(f.help && f.type, `${name} has HELP and TYPE`);
    if (f.type === 'counter') assert.match(name, /_total$/, `${name}: counters end in _total`);
  }
  assert.deepEqual(
    [...families].filter(([name]) => name.startsWith('portcullis_')).map(([name, f]) => `${f.type} ${name}`),
    [
      'counter portcullis_http_requests_total',
      'counter portcullis_http_received_bytes_total',
      'counter portcullis_http_served_bytes_total',
      'histogram portcullis_http_request_duration_seconds',
      'counter portcullis_pushed_bytes_total',
      'counter portcullis_pulled_bytes_total',
      'counter portcullis_scans_total',
      'counter portcullis_scans_incomplete_total',
      'histogram portcullis_scan_duration_seconds',
      'counter portcullis_pulls_denied_total',
      'counter portcullis_config_reloads_total',
      'counter portcullis_gc_runs_total',
      'counter portcullis_gc_freed_bytes_total',
      'counter portcullis_webhook_deliveries_total',
      'counter portcullis_audit_dropped_total',
      'counter portcullis_metrics_source_errors_total',
      'gauge portcullis_repositories',
      'gauge portcullis_manifests',
      'gauge portcullis_scan_queue_length',
    ],
  );
  // prom-client's default metrics, on this registry.
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
    assert.ok(families.has(name), `${name} is exposed`);
  }
  assert.equal(families.get('nodejs_gc_duration_seconds')?.type, 'histogram');
  const started = Date.now() / 1000 - process.uptime();
  assert.ok(Math.abs(value(families, 'process_start_time_seconds') - started) <= 2, 'process_start_time_seconds is this process start');
  assert.equal(value(families, 'portcullis_repositories'), 3);
  assert.equal(value(families, 'portcullis_manifests'), 7);
  assert.equal(value(families, 'portcullis_scan_queue_length'), 2);
  assert.equal(value(families, 'portcullis_scans_total', { outcome: 'done' }), 0, 'outcomes exist before the first scan');
});

test('metrics: request counters increase by method, route kind and status', async () => {
  const before = await scrape();
  const digest = `sha256:${'ab'.repeat(32)}`;
  await (await fetch(`${base}/v2/app/blobs/${digest}`)).arrayBuffer();
  await (await fetch(`${base}/v2/app/blobs/${digest}`)).arrayBuffer();
  await (await fetch(`${base}/v2/app/blobs/${digest}`, { method: 'HEAD' })).arrayBuffer();
  await (await fetch(`${base}/v2/app/blobs/uploads/u1`, { method: 'PATCH', body: Buffer.alloc(4096, 1), headers: { 'content-type': 'application/octet-stream' } })).arrayBuffer();
  await (await fetch(`${base}/ui/`)).arrayBuffer();
  await (await fetch(`${base}/nowhere/${'x'.repeat(50)}`)).arrayBuffer();
  const after = await scrape();
  const delta = (labels: Record<string, string>): number => value(after, 'portcullis_http_requests_total', labels) - value(before, 'portcullis_http_requests_total', labels);
  assert.equal(delta({ method: 'GET', route: 'blob', status: '200' }), 2);
  assert.equal(delta({ method: 'HEAD', route: 'blob', status: '200' }), 1);
  assert.equal(delta({ method: 'PATCH', route: 'upload', status: '202' }), 1);
  assert.equal(delta({ method: 'GET', route: 'ui', status: '200' }), 1);
  assert.equal(delta({ method: 'GET', route: 'other', status: '404' }), 1);
  assert.equal(delta({ method: 'GET', route: 'metrics', status: '200' }), 1, 'the previous scrape');
  const bytes = (name: string, route: string): number => value(after, name, { route }) - value(before, name, { route });
  assert.ok(bytes('portcullis_http_served_bytes_total', 'blob') >= 2 * BLOB.length, 'two blob bodies served');
  assert.ok(bytes('portcullis_http_received_bytes_total', 'upload') >= 4096, 'the upload body received');
  assert.ok(!after.get('portcullis_http_requests_total')!.samples.some((s) => s.labels['route']!.includes('/')), 'no raw path in a label');
});

test('metrics: bytes on the wire are counted exactly, chunked uploads included', async () => {
  const before = await scrape();
  const body = 'hello, registry';
  const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  const exchange = await rawExchange(
    `PATCH /v2/app/blobs/uploads/u2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked}`,
  );
  assert.match(exchange.text, /^HTTP\/1\.1 202 /);
  const after = await scrape();
  const bytes = (name: string): number => value(after, name, { route: 'upload' }) - value(before, name, { route: 'upload' });
  assert.equal(bytes('portcullis_http_received_bytes_total'), exchange.sent);
  assert.equal(bytes('portcullis_http_served_bytes_total'), exchange.received);
});

test('metrics: scans by outcome; a failing gauge source drops the gauges and is counted, the scrape still answers', async () => {
  metrics.countScan('done');
  metrics.countScan('done');
  metrics.countScan('failed');
  metrics.countScan('queued');
  metrics.countScan('skipped');
  let families = await scrape();
  assert.equal(value(families, 'portcullis_scans_total', { outcome: 'done' }), 2);
  assert.equal(value(families, 'portcullis_scans_total', { outcome: 'failed' }), 1);
  assert.equal(families.get('portcullis_scans_total')!.samples.length, 2);
  gauges = () => Promise.reject(new Error('store closed'));
  families = await scrape();
  assert.equal(families.has('portcullis_repositories'), false);
  assert.equal(value(families, 'portcullis_metrics_source_errors_total'), 1);
  gauges = () => ({ queueLength: 0 });
  families = await scrape();
  assert.equal(value(families, 'portcullis_scan_queue_length'), 0);
  assert.equal(families.has('portcullis_manifests'), false, 'values left out are not exposed');
});

test('metrics: without a real socket (inject), Content-Length headers stand in for the byte counts', async () => {
  const m = new Metrics();
  const injected = Fastify();
  await injected.register(metricsPlugin(m));
  injected.get('/v2/app/manifests/:ref', async () => 'x'.repeat(321));
  await injected.inject({ method: 'GET', url: '/v2/app/manifests/latest' });
  const families = parseExposition(await m.exposition());
  assert.equal(value(families, 'portcullis_http_served_bytes_total', { route: 'manifest' }), 321);
  assert.equal(value(families, 'portcullis_http_requests_total', { method: 'GET', route: 'manifest', status: '200' }), 1);
  await injected.close();
});

test('metrics: route kinds come from a fixed set; label values are escaped; the global registry stays empty', async () => {
  assert.equal(routeKind('/v2/'), 'base');
  assert.equal(routeKind('/v2/a/b/manifests/latest?x=1'), 'manifest');
  assert.equal(routeKind('/v2/a/tags/list'), 'tags');
  assert.equal(routeKind('/v2/A/manifests/latest'), 'invalid');
  assert.equal(routeKind('/ui/static/portcullis.css'), 'ui-static');
  assert.equal(routeKind('/ui/r/a'), 'ui');
  assert.equal(routeKind('/metrics'), 'metrics');
  assert.equal(routeKind('/uix'), 'other');
  const m = new Metrics({ defaultMetrics: false });
  m.countRequest('BREW', 'other', 418);
  // A label value with a quote, a backslash and a newline, on the same registry, still parses.
  new Counter({ name: 'test_hostile_total', help: 'a \\ help\nline', labelNames: ['v'], registers: [m.registry] }).inc({ v: 'a"b\\c\nd' });
  const families = parseExposition(await m.exposition());
  assert.equal(value(families, 'portcullis_http_requests_total', { method: 'OTHER', route: 'other', status: '418' }), 1);
  assert.equal(value(families, 'test_hostile_total', { v: 'a"b\\c\nd' }), 1);
  assert.equal(families.get('test_hostile_total')?.help, 'a \\\\ help\\nline');
  assert.equal(families.has('process_cpu_seconds_total'), false, 'defaultMetrics: false');
  // Nothing lands on prom-client's global registry.
  assert.equal((await globalRegistry.metrics()).trim(), '');
});
