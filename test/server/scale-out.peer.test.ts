/**
 * Several `portcullis serve` processes over one PostgreSQL database and one
 * blob folder, run as the real command (test/support/serve-process.ts),
 * against a throwaway PostgreSQL (test/support/postgres.ts):
 * - an image pushed through an `api` process is scanned by a worker; the
 *   first worker is killed with kill -9 in the middle of the scan (held
 *   there by the test gate, PORTCULLIS_TEST_GATE, never by a sleep), the
 *   second takes the job over once the lease runs out, and the result is
 *   what the api process serves;
 * - with one attempt allowed, the job of a killed worker is failed, and the
 *   image refused, naming why (fail closed);
 * - a worker (UI and accounts on) answers 503 with a JSON reason on /v2/,
 *   /api/v1/users, /ui/ and /token, 200 on /healthz, /readyz and /metrics,
 *   and still scans what is pushed through the api process;
 * - two processes starting at once on an empty database migrate it once;
 *   a process older than the schema refuses to start, saying so.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { importPaths } from '../../src/vuln/db.js';
import { tarOf } from '../support/oci-builder.js';
import { TINY_IMAGE_ADVISORIES, writeAdvisories } from '../support/osv.js';
import { startPostgres, type PostgresPeer } from '../support/postgres.js';
import { policyAnswer, pushOneLayerImage, startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { WORKER_REFUSAL } from '../../src/server/worker-gate.js';

let peer: PostgresPeer;
let work: string;
let db: string;
const running: ServeProcess[] = [];

before(async () => {
  peer = await startPostgres();
  work = await mkdtemp(join(tmpdir(), 'portcullis-scale-'));
  db = join(work, 'advisories.sqlite');
  await importPaths(db, [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
});

after(async () => {
  for (const p of running) if (p.process.exitCode === null && p.process.signalCode === null) p.process.kill('SIGKILL');
  await peer?.stop();
  await rm(work, { recursive: true, force: true });
});

async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** One registry: a database, a data folder and a gate folder shared by its processes. */
async function registry(name: string): Promise<{ url: string; data: string; gate: string }> {
  const gate = join(work, `${name}-gate`);
  await mkdir(gate, { recursive: true });
  return { url: await peer.createDatabase(), data: join(work, `${name}-data`), gate };
}

async function serve(reg: { url: string; data: string; gate: string }, role: string, extra: readonly string[] = []): Promise<ServeProcess> {
  const p = await startServeProcess(
    ['--root', reg.data, '--db', db, '--metadata', reg.url, '--role', role, '--no-notary', '--no-ui', '--rescan-interval', '0', '--deny-severity', 'CRITICAL', '--scan-lease', '2s', ...extra],
    { env: { PORTCULLIS_TEST_GATE: reg.gate, PORTCULLIS_TEST_GATE_ON: 'scan' }, logLevel: 'info' },
  );
  running.push(p);
  return p;
}

/** Waits (bounded) until `check` holds; the bound only turns a hang into a failure. */
async function until(what: string, check: () => boolean | Promise<boolean>, polls = 600): Promise<void> {
  for (let i = 0; i < polls; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function killHard(p: ServeProcess): Promise<void> {
  const gone = new Promise((resolve) => p.process.once('exit', resolve));
  p.process.kill('SIGKILL');
  await gone;
}

async function emptyLayer(seed: string): Promise<{ blob: Buffer; diffId: string; mediaType: string }> {
  const tar = await tarOf([{ name: `etc/${seed}`, body: seed }]);
  return { blob: gzipSync(tar), diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}`, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
}

const scanEvents = (p: ServeProcess): Array<Record<string, unknown>> => p.lines.filter((l) => l.event === 'scan');

describe('serve: api and worker processes over one PostgreSQL database', () => {
  test('pushed through api process A, worker W1 killed with kill -9 mid-scan, W2 finishes the job, A serves the result', async () => {
    const reg = await registry('takeover');
    const a = await serve(reg, 'api');
    const w1 = await serve(reg, 'worker');
    const digest = await pushOneLayerImage(a.url, 'team/app', await emptyLayer('takeover'));
    await until('W1 to start the scan', () => existsSync(join(reg.gate, `scan.${w1.process.pid}`)));
    const waiting = await fetch(`${a.url}/v2/team/app/manifests/v1`);
    assert.equal(waiting.status, 403, 'refused while the scan is unfinished');
    assert.match(await waiting.text(), /waiting to be scanned|being scanned/);

    await killHard(w1);
    await writeFile(join(reg.gate, 'release'), '');
    const w2 = await serve(reg, 'worker');
    const answer = await policyAnswer(a.url, 'team/app');
    assert.equal(answer.status, 200, answer.message);
    assert.ok(existsSync(join(reg.gate, `scan.${w2.process.pid}`)), 'W2 took the job');
    const done = scanEvents(w2).find((l) => l.digest === digest);
    assert.equal(done?.state, 'done');
    assert.deepEqual(scanEvents(a), [], 'the api process scanned nothing');
    assert.match(a.stderr(), /role: +api: answers clients and queues scans/);
    assert.match(a.stderr(), /advisories: +not opened/);
    assert.match(w2.stderr(), /role: +worker: takes scans from the shared queue/);
    const [record] = await sql<{ state: string }>(reg.url, 'SELECT state FROM portcullis_registry.scans WHERE manifest_digest = $1', [digest]);
    assert.equal(record?.state, 'done');
    assert.deepEqual(await sql(reg.url, 'SELECT digest FROM portcullis_registry.scan_jobs'), [], 'the job left the queue');
    await Promise.all([a.stop(), w2.stop()]);
  });

  test('with one attempt allowed, the job of a worker killed mid-scan is failed and the image refused', async () => {
    const reg = await registry('attempts');
    const a = await serve(reg, 'api', ['--scan-attempts', '1']);
    const w1 = await serve(reg, 'worker', ['--scan-attempts', '1']);
    const digest = await pushOneLayerImage(a.url, 'team/once', await emptyLayer('attempts'));
    await until('W1 to start the scan', () => existsSync(join(reg.gate, `scan.${w1.process.pid}`)));
    await killHard(w1);
    await writeFile(join(reg.gate, 'release'), '');
    const w2 = await serve(reg, 'worker', ['--scan-attempts', '1']);
    const answer = await policyAnswer(a.url, 'team/once');
    assert.deepEqual(scanEvents(w2).filter((l) => l.digest === digest).map((l) => l.state), ['failed']);
    assert.equal(answer.status, 403);
    assert.match(answer.message, /could not be scanned \(scan abandoned: 1 attempt ended without a result/);
    assert.equal(existsSync(join(reg.gate, `scan.${w2.process.pid}`)), false, 'W2 did not scan it again');
    assert.equal(scanEvents(w2).find((l) => l.digest === digest)?.state, 'failed');
    await Promise.all([a.stop(), w2.stop()]);
  });
});

describe('serve: a worker answers operators, not clients', () => {
  test('a worker refuses /v2/, /api/v1/users, /ui/ and /token with 503, answers /healthz, /readyz and /metrics', async () => {
    const reg = await registry('gated');
    const common = ['--root', reg.data, '--db', db, '--metadata', reg.url, '--no-notary', '--accounts', '--rescan-interval', '0', '--deny-severity', 'CRITICAL'];
    const a = await startServeProcess([...common, '--role', 'api', '--no-ui'], { logLevel: 'info' });
    running.push(a);
    const w = await startServeProcess([...common, '--role', 'worker'], { logLevel: 'info' });
    running.push(w);
    for (const [method, path] of [['GET', '/v2/'], ['HEAD', '/v2/'], ['GET', '/v2/team/app/manifests/v1'], ['GET', '/api/v1/users'], ['POST', '/api/v1/gc'], ['GET', '/ui/'], ['GET', '/token?service=x'], ['GET', '/nowhere']] as const) {
      const response = await fetch(`${w.url}${path}`, { method });
      assert.equal(response.status, 503, `${method} ${path}`);
      assert.equal(response.headers.get('retry-after'), null, `${method} ${path}: never retried here`);
      if (method === 'GET') assert.deepEqual(await response.json(), { errors: [{ code: 'UNAVAILABLE', message: WORKER_REFUSAL }] }, path);
    }
    assert.equal((await fetch(`${w.url}/healthz`)).status, 200);
    const ready = await fetch(`${w.url}/readyz`);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { storage: 'ok', metadata: 'ok', advisories: 'ok' } });
    assert.equal(ready.status, 200);
    assert.equal((await fetch(`${a.url}/v2/`)).status, 401, 'the api process answers clients (asking for credentials)');
    assert.doesNotMatch(w.stderr(), /UI: /, 'the worker announces no UI');
    assert.match(w.stderr(), /role: +worker: takes scans from the shared queue; answers only \/healthz/);
    assert.notEqual((await fetch(`${w.url}/metrics`)).status, 503, 'metrics are not refused on a worker without --metrics-addr');
    await Promise.all([a.stop(), w.stop()]);
  });

  test('a worker without accounts scans what the api process queues; /metrics on its own listener', async () => {
    const reg = await registry('gated-scan');
    const a = await serve(reg, 'api');
    await writeFile(join(reg.gate, 'release'), '');
    const w = await serve(reg, 'worker', ['--metrics-addr', '127.0.0.1:0']);
    const digest = await pushOneLayerImage(a.url, 'team/gated', await emptyLayer('gated'));
    const answer = await policyAnswer(a.url, 'team/gated');
    assert.equal(answer.status, 200, answer.message);
    assert.equal(scanEvents(w).find((l) => l.digest === digest)?.state, 'done');
    assert.equal((await fetch(`${w.url}/v2/team/gated/manifests/${digest}`)).status, 503);
    assert.equal((await fetch(`${w.url}/metrics`)).status, 503, 'with --metrics-addr, /metrics is on that listener only');
    await Promise.all([a.stop(), w.stop()]);
  });
});

describe('serve: schema migrations with several processes', () => {
  test('two processes starting at once on an empty database migrate it once, and both serve', async () => {
    const reg = await registry('migrate');
    const [one, two] = await Promise.all([serve(reg, 'all'), serve(reg, 'all')]);
    for (const table of ['schema_migrations', 'scan_queue_migrations', 'inventory_migrations']) {
      const rows = await sql<{ version: number }>(reg.url, `SELECT version FROM portcullis_registry.${table} ORDER BY version`);
      assert.deepEqual(
        rows.map((r) => r.version),
        rows.map((_, i) => i + 1),
        `${table}: each version once`,
      );
      assert.ok(rows.length > 0, table);
    }
    for (const p of [one!, two!]) assert.equal((await fetch(`${p.url}/v2/`)).status, 200);
    await Promise.all([one!.stop(), two!.stop()]);
  });

  test('a process older than the schema refuses to start, naming both versions', async () => {
    const reg = await registry('newer');
    const first = await serve(reg, 'all');
    await first.stop();
    await sql(reg.url, 'INSERT INTO portcullis_registry.schema_migrations (version) VALUES (99)');
    await assert.rejects(serve(reg, 'all'), /schema version 99 is newer than this portcullis supports \(\d+\): upgrade portcullis/);
    assert.deepEqual((await readdir(reg.gate)).filter((f) => f.startsWith('scan.')), []);
  });
});
