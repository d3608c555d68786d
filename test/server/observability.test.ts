/**
 * Health and metrics of a registry started the way `portcullis serve
 * --config` starts it (the configuration file, startRegistry), driven with
 * real traffic over loopback:
 * - /healthz answers 200 always; /readyz answers 503 naming `advisories`
 *   while the advisory database file is missing (scanning on), and 200 once
 *   `db import` wrote it; neither reveals a path or an error message;
 * - /metrics, parsed line by line as the text format: push and pull bytes
 *   equal to the bodies sent and served, request latency histograms by route
 *   kind and status, the queue with "waiting for an advisory database" as its
 *   own state, scan durations and outcomes, findings by severity, the
 *   database's age, and pulls refused by reason kind (unscanned, then
 *   vulnerable).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../src/server/open.js';
import { importPaths } from '../../src/vuln/db.js';
import { parseExposition, value, type Family } from '../support/exposition.js';
import { tarOf } from '../support/oci-builder.js';
import { TINY_IMAGE_ADVISORIES, writeAdvisories } from '../support/osv.js';
import { captureLog } from '../support/registry-log.js';

let work: string;
let registry: RunningRegistry;
let dbPath: string;
const log = captureLog('info');
const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const sent: { config: Buffer; layer: Buffer; manifest: Buffer } = { config: Buffer.alloc(0), layer: Buffer.alloc(0), manifest: Buffer.alloc(0) };

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-observe-'));
  dbPath = join(work, 'advisories.sqlite');
  const config = join(work, 'portcullis.yaml');
  await writeFile(config, ['root: ./data', 'listen:', '  addr: 127.0.0.1:0', 'scan:', '  db: ./advisories.sqlite', '  rescanInterval: 0', 'policy:', '  denySeverity: HIGH', 'notary:', '  enabled: false'].join('\n'));
  const built = await buildConfig({ config }, { stdout: new PassThrough(), stderr: new PassThrough(), env: process.env });
  registry = await startRegistry({ ...built, log: log.log });
});

after(async () => {
  await registry?.close();
  await rm(work, { recursive: true, force: true });
});

async function scrape(): Promise<Map<string, Family>> {
  const response = await fetch(`${registry.url}/metrics`);
  assert.equal(response.status, 200);
  return parseExposition(await response.text());
}

async function push(name: string): Promise<void> {
  sent.layer = await tarOf([{ name: 'app/node_modules/lodash/package.json', body: JSON.stringify({ name: 'lodash', version: '4.17.15' }) }]);
  sent.config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(sent.layer)] } }));
  for (const blob of [sent.config, sent.layer]) {
    const r = await fetch(`${registry.url}/v2/${name}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob });
    assert.equal(r.status, 201, await r.text());
  }
  sent.manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(sent.config), size: sent.config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(sent.layer), size: sent.layer.length }],
    }),
  );
  const r = await fetch(`${registry.url}/v2/${name}/manifests/v1`, { method: 'PUT', body: sent.manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(r.status, 201, await r.text());
}

async function denial(name: string): Promise<string> {
  const r = await fetch(`${registry.url}/v2/${name}/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(r.status, 403);
  return ((await r.json()) as { errors: Array<{ message: string }> }).errors[0]!.message;
}

test('without the advisory database: live, not ready (naming only "advisories"), and the image waits for a database in its own queue state', async () => {
  const live = await fetch(`${registry.url}/healthz`);
  assert.equal(live.status, 200);
  assert.deepEqual(await live.json(), { status: 'ok' });
  const ready = await fetch(`${registry.url}/readyz`);
  assert.equal(ready.status, 503);
  const text = await ready.text();
  assert.deepEqual(JSON.parse(text), { status: 'not ready', failed: ['advisories'], checks: { storage: 'ok', metadata: 'ok', advisories: 'failed' } });
  assert.doesNotMatch(text, new RegExp(work.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'no path in the answer');
  const logged = log.events('readiness');
  assert.equal(logged.length, 1, 'the failure is logged once');
  assert.equal(logged[0]!.component, 'advisories');
  assert.match(String(logged[0]!.error), /ENOENT/);
  await fetch(`${registry.url}/readyz`);
  assert.equal(log.events('readiness').length, 1, 'not again at the next probe');

  await push('team/app');
  // The scan job finds no database and leaves the image waiting.
  for (let i = 0; i < 100 && registry.scanner!.queueState.waitingForDatabase === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.match(await denial('team/app'), /waiting to be scanned/);
  const families = await scrape();
  assert.equal(value(families, 'portcullis_scan_queue', { state: 'waiting_for_database' }), 1);
  assert.equal(value(families, 'portcullis_scan_queue', { state: 'scanning' }), 0);
  assert.equal(value(families, 'portcullis_pulls_denied_total', { reason: 'unscanned' }), 1);
  assert.equal(value(families, 'portcullis_pulls_denied_total', { reason: 'vulnerable' }), 0);
  assert.equal(families.has('portcullis_advisory_db_age_seconds'), false, 'no database, no age');
});

test('with the database: ready, the image scanned and refused as vulnerable; bytes, latencies, durations, findings and age are exposed', async () => {
  await importPaths(dbPath, [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
  const ready = await fetch(`${registry.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ready', checks: { storage: 'ok', metadata: 'ok', advisories: 'ok' } });
  assert.equal(log.events('readiness').at(-1)!.state, 'ok', 'the recovery is logged');

  await registry.scanner!.checkDatabase();
  await registry.scanner!.idle();
  assert.match(await denial('team/app'), /has 2 HIGH vulnerabilities/);
  const blob = await fetch(`${registry.url}/v2/team/app/blobs/${sha256(sent.layer)}`);
  assert.equal(blob.status, 200);
  assert.equal(Buffer.from(await blob.arrayBuffer()).length, sent.layer.length);

  // Served bytes are counted when the server sees the response finish (its onResponse hook), which can
  // come after the client has read the last byte: scrape again (bounded) until the count has landed.
  let families = await scrape();
  for (let i = 0; i < 100 && value(families, 'portcullis_pulled_bytes_total', { kind: 'blob' }) !== sent.layer.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    families = await scrape();
  }
  assert.equal(value(families, 'portcullis_pushed_bytes_total', { kind: 'blob' }), sent.config.length + sent.layer.length);
  assert.equal(value(families, 'portcullis_pushed_bytes_total', { kind: 'manifest' }), sent.manifest.length);
  assert.equal(value(families, 'portcullis_pulled_bytes_total', { kind: 'blob' }), sent.layer.length);
  assert.equal(value(families, 'portcullis_pulled_bytes_total', { kind: 'manifest' }), 0, 'refused manifests are not pulled bytes');
  assert.equal(value(families, 'portcullis_pulls_denied_total', { reason: 'vulnerable' }), 1);
  assert.equal(value(families, 'portcullis_scans_total', { outcome: 'done' }), 1);
  assert.equal(value(families, 'portcullis_scan_duration_seconds_count', { outcome: 'done' }), 1);
  assert.ok(value(families, 'portcullis_scan_duration_seconds_sum', { outcome: 'done' }) > 0);
  assert.equal(value(families, 'portcullis_scan_queue', { state: 'waiting_for_database' }), 0);
  assert.equal(value(families, 'portcullis_scan_queue_length'), 0);
  assert.equal(value(families, 'portcullis_findings', { severity: 'HIGH' }), 2);
  assert.equal(value(families, 'portcullis_findings', { severity: 'CRITICAL' }), 0);
  const age = value(families, 'portcullis_advisory_db_age_seconds');
  assert.ok(age >= 0 && age < 600, `the database was imported just now (${age} s)`);
  assert.equal(value(families, 'portcullis_http_request_duration_seconds_count', { route: 'manifest', status: '201' }), 1);
  assert.equal(value(families, 'portcullis_http_request_duration_seconds_count', { route: 'manifest', status: '403' }), 2);
  assert.equal(value(families, 'portcullis_http_request_duration_seconds_count', { route: 'health', status: '503' }), 2);
  const inf = families.get('portcullis_http_request_duration_seconds')!.samples.find((s) => s.labels['le'] === '+Inf' && s.labels['route'] === 'blob' && s.labels['status'] === '200');
  assert.equal(inf?.value, 1, 'the blob GET in the +Inf bucket');
});
