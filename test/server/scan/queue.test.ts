/**
 * The scan service over the shared scan queue (SQLite here; the same with
 * PostgreSQL in test/server/scale-out.peer.test.ts with real processes):
 * an `api` process queues and never scans; a job whose worker died is
 * taken over once its lease has run out, and failed, never scanned, when
 * it has used its attempts (fail closed); a live lease is left alone; a
 * worker without an advisory database takes no job.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MediaType } from '../../../src/core/media-types.js';
import { ManifestClassifier } from '../../../src/server/artifact.js';
import { SqliteScanQueueStore } from '../../../src/server/metadata/scan-queue-sqlite.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import type { ManifestRecord } from '../../../src/server/metadata/store.js';
import { ScanService } from '../../../src/server/scan/service.js';
import type { ScanFailed } from '../../../src/server/services.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { importPaths } from '../../../src/vuln/db.js';
import { TINY_IMAGE_ADVISORIES, writeAdvisories } from '../../support/osv.js';
import { storeManifest, type Stores } from '../../support/registry-content.js';

let dir: string;
let stores: Stores & { metadata: SqliteMetadataStore };
let queue: SqliteScanQueueStore;
let n = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scan-queue-service-'));
  stores = { blobs: new FilesystemBlobStore(join(dir, 'blobs')), metadata: new SqliteMetadataStore(join(dir, 'registry.sqlite')) };
  queue = new SqliteScanQueueStore(join(dir, 'registry.sqlite'));
  await importPaths(join(dir, 'advisories.sqlite'), [writeAdvisories(join(dir, 'osv'), TINY_IMAGE_ADVISORIES)]);
});

after(async () => {
  await queue.close();
  await stores.metadata.close();
  await rm(dir, { recursive: true, force: true });
});

async function image(): Promise<ManifestRecord> {
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, n: n++ }));
  return storeManifest(stores, 'team/app', body, MediaType.OciManifest, MediaType.OciConfig, [], 'v1');
}

function service(options: { work?: boolean; maxAttempts?: number; failed?: ScanFailed[] } = {}): ScanService {
  return new ScanService({
    ...stores,
    queue,
    classifier: new ManifestClassifier(stores.blobs),
    dbPath: join(dir, options.work === false ? 'none.sqlite' : 'advisories.sqlite'),
    rescanIntervalMs: 0,
    pollIntervalMs: 60_000,
    ...(options.work !== undefined ? { work: options.work } : {}),
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    events: { scanFailed: (scan) => options.failed?.push(scan) },
  });
}

const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();
const ahead = (ms: number): string => new Date(Date.now() + ms).toISOString();

test('an api process queues the image in the store and scans nothing', async () => {
  const api = service({ work: false });
  await api.start();
  const record = await image();
  api.manifestPushed(record);
  await api.idle();
  assert.equal((await stores.metadata.getScan(record.digest))?.state, 'queued');
  assert.deepEqual(await queue.counts(new Date().toISOString()), { queued: 1, running: 0 });
  assert.equal(api.queueLength, 1, 'the registry-wide queue, as the api process sees it');
  await api.close();
  const [job] = await queue.claim('cleanup', new Date().toISOString(), ahead(1000), 10);
  assert.equal(job?.digest, record.digest);
  await queue.finish(record.digest, 'cleanup');
});

test('a job its dead worker leased with no attempt left is failed, not scanned, and the failure told', async () => {
  const record = await image();
  await stores.metadata.saveScan({ manifestDigest: record.digest, state: 'scanning', updatedAt: ago(5000) });
  await queue.enqueue(record.digest, record.repository, ago(5000));
  await queue.claim('dead-worker', ago(4000), ago(1000), 1);
  const failed: ScanFailed[] = [];
  const worker = service({ maxAttempts: 1, failed });
  await worker.start();
  await worker.idle();
  const scan = await stores.metadata.getScan(record.digest);
  assert.equal(scan?.state, 'failed');
  assert.match(scan?.error ?? '', /^scan abandoned: 1 attempt ended without a result \(the worker scanning it stopped/);
  // (The worker also takes what earlier tests left queued: only this image's failure is looked at.)
  assert.deepEqual(failed.filter((f) => f.manifestDigest === record.digest).map((f) => f.repositories), [['team/app']]);
  assert.deepEqual(await queue.counts(new Date().toISOString()), { queued: 0, running: 0 }, 'the job left the queue');
  await worker.close();
});

test('a job under a live lease of another worker is left to it', async () => {
  const record = await image();
  await stores.metadata.saveScan({ manifestDigest: record.digest, state: 'scanning', updatedAt: ago(1000) });
  await queue.enqueue(record.digest, record.repository, ago(1000));
  await queue.claim('live-worker', ago(500), ahead(3_600_000), 1);
  const worker = service({ maxAttempts: 1 });
  await worker.start();
  await worker.idle();
  assert.equal((await stores.metadata.getScan(record.digest))?.state, 'scanning');
  assert.deepEqual(await queue.counts(new Date().toISOString()), { queued: 0, running: 1 });
  await worker.close();
  assert.equal(await queue.finish(record.digest, 'live-worker'), true);
});

test('a worker without an advisory database takes no job: the image waits queued, saying why, and the gauge counts it', async () => {
  const record = await image();
  const worker = new ScanService({ ...stores, queue, classifier: new ManifestClassifier(stores.blobs), dbPath: join(dir, 'missing.sqlite'), rescanIntervalMs: 0, pollIntervalMs: 60_000 });
  await worker.start();
  worker.manifestPushed(record);
  await worker.idle();
  const scan = await stores.metadata.getScan(record.digest);
  assert.equal(scan?.state, 'queued');
  assert.match(scan?.error ?? '', /no advisory database yet/);
  assert.deepEqual(worker.queueState, { queued: 1, scanning: 0, waitingForDatabase: 1 });
  await worker.close();
  const [job] = await queue.claim('cleanup', new Date().toISOString(), ahead(1000), 10);
  assert.equal(job?.digest, record.digest, 'still in the queue for a worker with a database');
  await queue.finish(record.digest, 'cleanup');
});
