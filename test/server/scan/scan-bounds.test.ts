/**
 * A scan in the registry is bounded (fail closed, and the registry stays up):
 * an image listing one small layer 25,000 times (what a 4 MiB manifest can
 * hold) ends as an incomplete scan naming the layer cap, refused at pull,
 * without walking a layer, and its inventory is not kept; a scan past `scan.timeout` (here a layer blob
 * that never ends) is aborted, recorded as failed with the deadline as its
 * reason, logged (the `scan` event, state failed, with the reason), told to
 * the scanFailed listeners and refused at pull.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { ManifestClassifier } from '../../../src/server/artifact.js';
import { SqliteInventoryStore } from '../../../src/server/metadata/inventory-sqlite.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { createPullPolicy } from '../../../src/server/policy.js';
import { ScanService } from '../../../src/server/scan/service.js';
import type { ScanCompleted, ScanFailed } from '../../../src/server/services.js';
import type { BlobStore } from '../../../src/server/storage/blob-store.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { importPaths } from '../../../src/vuln/db.js';
import { buildLayout, writeStreamedLayer, type TarEntry } from '../../support/oci-builder.js';
import { VULNDATA } from '../../support/paths.js';
import { storeManifest } from '../../support/registry-content.js';
import { captureLog, type CapturedLog } from '../../support/registry-log.js';

let dir: string;
let db: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-scan-bounds-'));
  db = join(dir, 'db.sqlite');
  await importPaths(db, [join(VULNDATA, 'alpine-secdb/yaml/v3.4/main.yaml')]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function* files(count: number): Generator<TarEntry> {
  yield { name: 'etc/os-release', body: 'ID=alpine\nVERSION_ID=3.4.6\n' };
  for (let i = 0; i < count; i++) yield { name: `usr/share/doc/p${i % 100}/f${i}.txt`, body: 'x' };
}

/** An image of `times` listings of one layer of `count` files, stored as a push leaves it (each blob once). */
async function stored(name: string, times: number, count: number, blobs: BlobStore, metadata: SqliteMetadataStore): Promise<Awaited<ReturnType<typeof storeManifest>>> {
  const layout = join(dir, name);
  const layer = await writeStreamedLayer(layout, files(count));
  const built = await buildLayout({ dir: layout, layers: Array.from({ length: times }, () => ({ written: layer })) });
  const manifest = built.manifest as { config: { digest: Digest; mediaType: string } };
  const references = [manifest.config.digest, layer.digest as Digest];
  for (const d of references) {
    await blobs.putBytes(d, readFileSync(built.blobPath(d)));
    await metadata.linkBlob('attack/repeat', d);
  }
  const bytes = readFileSync(built.blobPath(built.manifestDigest));
  return storeManifest({ blobs, metadata }, 'attack/repeat', bytes, 'application/vnd.oci.image.manifest.v1+json', manifest.config.mediaType, references, 'latest');
}

/** A stream that gives `head` and then never ends. */
function stalled(head: Buffer): Readable {
  let given = false;
  return new Readable({
    read() {
      if (!given) this.push(head);
      given = true;
    },
  });
}

interface Told {
  readonly completed: ScanCompleted[];
  readonly failed: ScanFailed[];
}

async function scanOnce(blobs: BlobStore, metadata: SqliteMetadataStore, record: Awaited<ReturnType<typeof storeManifest>>, timeoutMs?: number, inventories?: SqliteInventoryStore, log?: CapturedLog): Promise<Told> {
  const told: Told = { completed: [], failed: [] };
  const service = new ScanService({
    blobs,
    metadata,
    classifier: new ManifestClassifier(blobs),
    dbPath: db,
    rescanIntervalMs: 0,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(inventories ? { inventories } : {}),
    ...(log ? { log: log.log } : {}),
    events: { scanCompleted: (s) => told.completed.push(s), scanFailed: (s) => told.failed.push(s), vulnerabilitiesChanged: () => undefined },
  });
  await service.start();
  service.manifestPushed(record);
  await service.idle();
  await service.close();
  return told;
}

test('an image listing one layer 25,000 times (a 4 MiB manifest): the scan ends incomplete, naming the layer cap, and the image is refused at pull', async () => {
  const root = join(dir, 'repeat-registry');
  const blobs = new FilesystemBlobStore(join(root, 'blobs'));
  const metadata = new SqliteMetadataStore(join(root, 'registry.sqlite'));
  const inventories = new SqliteInventoryStore(join(root, 'registry.sqlite'));
  try {
    const record = await stored('repeat', 25_000, 3000, blobs, metadata);
    assert.ok(record.size > 3 * 1024 * 1024, `the manifest is ${record.size} bytes`);
    const told = await scanOnce(blobs, metadata, record, undefined, inventories);
    assert.deepEqual(told.failed, []);
    assert.equal(told.completed.length, 1);
    assert.deepEqual(told.completed[0]?.incomplete, ['layers: the image has 25000 layers, over the cap of 1000 layers a scan reads (set PORTCULLIS_MAX_LAYERS to raise it)']);
    const scan = await metadata.getScan(record.digest);
    assert.equal(scan?.state, 'done');
    assert.deepEqual(scan?.result?.packageCounts ?? {}, {});
    const policy = createPullPolicy({ metadata, classifier: new ManifestClassifier(blobs), denySeverity: 'CRITICAL' })!;
    const verdict = await policy.check(record);
    assert.deepEqual([verdict.allowed, !verdict.allowed && verdict.kind], [false, 'scan_partial']);
    // Not kept: with the cap raised, a scan again reads the layers instead of matching the capped inventory.
    assert.equal(await inventories.get(record.digest), undefined);
  } finally {
    await inventories.close();
    await metadata.close();
  }
});

test('a scan over scan.timeout (a layer blob that never ends) is aborted, failed with the deadline as its reason, and refused at pull', async () => {
  const root = join(dir, 'stall-registry');
  const files = new FilesystemBlobStore(join(root, 'blobs'));
  const metadata = new SqliteMetadataStore(join(root, 'registry.sqlite'));
  try {
    const record = await stored('stall', 1, 10, files, metadata);
    const layer = record.references[1] as Digest;
    // Reads of the layer blob yield its first bytes (the classifier sniffs them), then nothing, ever: only the deadline can end the scan.
    const head = (await buffer(await files.read(layer))).subarray(0, 64);
    const stalling = new Proxy(files, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (prop !== 'read') return method.bind(target);
        return (digest: Digest, ...rest: unknown[]) => (digest === layer ? Promise.resolve(stalled(head)) : method.apply(target, [digest, ...rest]));
      },
    });
    const log = captureLog('info');
    const told = await scanOnce(stalling, metadata, record, 300, undefined, log);
    const logged = log.events('scan').map((l) => [l.state, l.error, l.digest]);
    assert.deepEqual(logged, [['failed', 'scan stopped after 300ms: over scan.timeout (--scan-timeout)', record.digest]]);
    assert.deepEqual(told.completed, []);
    assert.deepEqual(told.failed.map((f) => f.error), ['scan stopped after 300ms: over scan.timeout (--scan-timeout)']);
    const scan = await metadata.getScan(record.digest);
    assert.deepEqual([scan?.state, scan?.error], ['failed', 'scan stopped after 300ms: over scan.timeout (--scan-timeout)']);
    const policy = createPullPolicy({ metadata, classifier: new ManifestClassifier(files), denySeverity: 'CRITICAL' })!;
    const verdict = await policy.check(record);
    assert.deepEqual([verdict.allowed, !verdict.allowed && verdict.kind], [false, 'scan_failed']);
  } finally {
    await metadata.close();
  }
});
