/**
 * Index once, match many times, on the bundled example image (examples/hello:
 * Debian's zlib1g in layer 0, npm lodash 4.17.15 in layer 1) stored the way
 * the push API leaves it, and advisory databases built with the real importer
 * from real data in ../shared/vulndata (GitHub's advisory-database layout, the
 * Debian tracker JSON), one of them with lodash's GHSA-35jh-r3h4-6jhm
 * (CVE-2021-23337) as GitHub publishes it. Every scan after the first runs in a
 * fresh ScanService (as after a restart) over a blob store that counts reads
 * and fails them when forbidden: a rescan from the kept inventory reads none.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ALL_CATALOGERS, type Cataloger } from '../../../src/catalog/index.js';
import type { Digest } from '../../../src/core/digest.js';
import { inventoryKey } from '../../../src/engine/kept-inventory.js';
import { scanTarget } from '../../../src/engine/scan.js';
import { openSource } from '../../../src/engine/open.js';
import { ManifestClassifier } from '../../../src/server/artifact.js';
import { SqliteInventoryStore } from '../../../src/server/metadata/inventory-sqlite.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { createPullPolicy } from '../../../src/server/policy.js';
import { ScanService, type ScanServiceOptions } from '../../../src/server/scan/service.js';
import type { ScanCompleted, ScanFailed, VulnerabilityChange } from '../../../src/server/services.js';
import type { BlobStore } from '../../../src/server/storage/blob-store.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { importPaths } from '../../../src/vuln/db.js';
import { writeAdvisories, type OsvAdvisory } from '../../support/osv.js';
import { REPO_ROOT, VULNDATA } from '../../support/paths.js';
import { captureLog } from '../../support/registry-log.js';
import { storeOciLayout } from '../../support/registry-content.js';

const HELLO = join(REPO_ROOT, 'examples', 'hello');
/** GHSA-35jh-r3h4-6jhm as GitHub's advisory database publishes it (OSV). */
const LODASH_CVE_2021_23337 = {
  schema_version: '1.4.0',
  id: 'GHSA-35jh-r3h4-6jhm',
  modified: '2024-03-15T05:02:08Z',
  published: '2021-05-06T16:05:51Z',
  aliases: ['CVE-2021-23337'],
  summary: 'Command Injection in lodash',
  affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }],
  database_specific: { severity: 'HIGH', cwe_ids: ['CWE-77', 'CWE-94'], github_reviewed: true },
} as OsvAdvisory;

let dir: string;
/** Real vulndata only: nothing in it affects the example image. */
let without: string;
/** The same, plus lodash's CVE-2021-23337. */
let withLodash: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-kept-'));
  const real = [join(VULNDATA, 'osv/ghsa-samples/advisory-database-layout'), join(VULNDATA, 'debian-tracker/tracker-json/vunnel-fixture-debian.json')];
  without = join(dir, 'without.sqlite');
  withLodash = join(dir, 'with-lodash.sqlite');
  await importPaths(without, real);
  await importPaths(withLodash, [...real, writeAdvisories(join(dir, 'lodash'), [LODASH_CVE_2021_23337])]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A blob store whose reads (read and stat) are counted, and fail while `forbid` is set. */
function watched(blobs: BlobStore): { store: BlobStore; reads: string[]; forbid: boolean } {
  const state = { reads: [] as string[], forbid: false, store: blobs };
  state.store = new Proxy(blobs, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (prop !== 'read' && prop !== 'stat') return method.bind(target);
      return (...args: unknown[]) => {
        state.reads.push(`${String(prop)} ${String(args[0])}`);
        if (state.forbid) throw new Error(`blob ${String(prop)} of ${String(args[0])} while reads are forbidden`);
        return method.apply(target, args);
      };
    },
  });
  return state;
}

interface Registry {
  readonly blobs: ReturnType<typeof watched>;
  readonly metadata: SqliteMetadataStore;
  readonly inventories: SqliteInventoryStore;
  readonly record: Awaited<ReturnType<typeof storeOciLayout>>;
  close(): Promise<void>;
}

async function registry(name: string, maxJsonBytes?: number): Promise<Registry> {
  const root = join(dir, name);
  const blobs = watched(new FilesystemBlobStore(join(root, 'blobs')));
  const metadata = new SqliteMetadataStore(join(root, 'registry.sqlite'));
  const inventories = new SqliteInventoryStore(join(root, 'registry.sqlite'), maxJsonBytes !== undefined ? { maxJsonBytes } : {});
  const record = await storeOciLayout({ blobs: blobs.store, metadata }, 'demo/hello', HELLO, 'latest');
  await storeOciLayout({ blobs: blobs.store, metadata }, 'team/hello', HELLO, 'v1');
  blobs.reads.length = 0;
  return { blobs, metadata, inventories, record, close: async () => void (await Promise.all([inventories.close(), metadata.close()])) };
}

interface Told {
  readonly completed: ScanCompleted[];
  readonly failed: ScanFailed[];
  readonly changed: VulnerabilityChange[];
}

/** One ScanService life (a process): start (queues what is out of date), push if asked, wait, close. */
async function run(reg: Registry, dbPath: string, options: { push?: boolean; forbidReads?: boolean } & Partial<ScanServiceOptions> = {}): Promise<Told & { fingerprint?: string; log: ReturnType<typeof captureLog> }> {
  const told: Told = { completed: [], failed: [], changed: [] };
  const log = captureLog('info');
  reg.blobs.reads.length = 0;
  reg.blobs.forbid = options.forbidReads ?? false;
  const service = new ScanService({
    blobs: reg.blobs.store,
    metadata: reg.metadata,
    classifier: new ManifestClassifier(reg.blobs.store),
    inventories: reg.inventories,
    dbPath,
    rescanIntervalMs: 0,
    log: log.log,
    events: { scanCompleted: (s) => told.completed.push(s), scanFailed: (s) => told.failed.push(s), vulnerabilitiesChanged: (c) => told.changed.push(c) },
    ...options,
  });
  await service.start();
  if (options.push) service.manifestPushed(reg.record);
  await service.idle();
  const fingerprint = service.databaseFingerprint;
  await service.close();
  reg.blobs.forbid = false;
  return { ...told, ...(fingerprint ? { fingerprint } : {}), log };
}

const describeFinding = (f: VulnerabilityChange['new'][number]): string =>
  `${f.id} (${f.aliases.join(',')}) ${f.severity} ${f.package.purl} fixed ${f.fixedVersion} layer ${f.layer?.index} ${f.layer?.digest} "${f.layerCreatedBy}"`;

test('a rescan after a database update matches the kept inventory without reading a blob, and tells what is new; the reverse tells what is fixed', async () => {
  const reg = await registry('new-and-fixed');
  const { layers } = JSON.parse(readFileSync(join(HELLO, 'blobs', ...reg.record.digest.split(':')), 'utf8')) as { layers: Array<{ digest: Digest }> };

  const first = await run(reg, without, { push: true });
  assert.ok(reg.blobs.reads.length > 2, 'the first scan reads the manifest, the config and the layers');
  const scanned = await reg.metadata.getScan(reg.record.digest);
  assert.equal(scanned?.state, 'done', scanned?.error);
  assert.deepEqual(scanned?.result?.findings, []);
  assert.deepEqual(first.completed.map((c) => [c.manifestDigest, c.repositories, c.inventory, c.incomplete]), [[reg.record.digest, ['demo/hello', 'team/hello'], 'layers', []]]);
  assert.deepEqual(first.changed, [], 'the first scan of a push is not "new"');
  const kept = await reg.inventories.get(reg.record.digest);
  assert.equal(kept?.catalogersKey, inventoryKey());
  assert.deepEqual(kept?.inventory.packages.map((p) => `${p.foundBy} ${p.name}@${p.version} layer ${p.layer?.index}`).sort(), ['dpkg zlib1g@1:1.2.13.dfsg-1 layer 0', 'npm lodash@4.17.15 layer 1']);

  // The database gains the advisory: a fresh service (a restart) rescans the image from its kept inventory.
  const update = await run(reg, withLodash, { forbidReads: true });
  assert.deepEqual(reg.blobs.reads, [], 'no blob read: not the manifest, not the config, not a layer');
  const rescanned = await reg.metadata.getScan(reg.record.digest);
  assert.equal(rescanned?.state, 'done', rescanned?.error);
  assert.deepEqual(rescanned?.counts, { HIGH: 1 });
  assert.equal(rescanned?.databaseDigest, update.fingerprint);
  const expected = `CVE-2021-23337 (GHSA-35jh-r3h4-6jhm) HIGH pkg:npm/lodash@4.17.15 fixed 4.17.21 layer 1 ${layers[1]!.digest} "COPY app/ /app/ # with node_modules/lodash 4.17.15"`;
  assert.equal(update.changed.length, 1);
  const change = update.changed[0]!;
  assert.deepEqual(change.new.map(describeFinding), [expected]);
  assert.deepEqual(change.fixed, []);
  assert.deepEqual([change.manifestDigest, change.repositories, change.inventory], [reg.record.digest, ['demo/hello', 'team/hello'], 'kept']);
  assert.equal(change.database.fingerprint, update.fingerprint);
  assert.equal(change.previousDatabase, first.fingerprint);
  assert.match(change.database.importedAt ?? '', /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual(update.completed.map((c) => [c.inventory, c.counts]), [['kept', { HIGH: 1 }]]);
  assert.deepEqual(
    update.log.events('scan.changes').map((l) => [l.digest, l.new, l.fixed, l.repositories, l.inventory]),
    [[reg.record.digest, 1, 0, 2, 'kept']],
  );

  // The same findings as a scan that reads the image's layers (the CLI's path).
  const source = await openSource(`oci:${HELLO}:latest`, {});
  const full = await scanTarget({ kind: 'source', name: 'hello', source }, { dbPath: withLodash }).finally(() => source.close());
  assert.deepEqual(rescanned?.result?.findings, full.result.findings);

  // And back: the advisory is gone from the database in use, so the finding is fixed.
  const back = await run(reg, without, { forbidReads: true });
  assert.deepEqual(reg.blobs.reads, []);
  assert.deepEqual(back.changed.map((c) => [c.new.length, c.fixed.map(describeFinding)]), [[0, [expected]]]);
  assert.deepEqual((await reg.metadata.getScan(reg.record.digest))?.counts, {});
  assert.deepEqual(back.log.events('scan.changes').map((l) => [l.new, l.fixed]), [[0, 1]]);
  await reg.close();
});

/** npm's cataloguer with its version bumped, as a release that changes its output would. */
const BUMPED: readonly Cataloger[] = ALL_CATALOGERS.map((c) => (c.name === 'npm' ? { ...c, version: c.version + 1 } : c));

test('a changed cataloguer version reads the layers again, keeps the new inventory under the new key, and matches that one next', async () => {
  const reg = await registry('catalogers');
  await run(reg, without, { push: true });
  assert.equal((await reg.inventories.get(reg.record.digest))?.catalogersKey, inventoryKey());
  assert.notEqual(inventoryKey(BUMPED), inventoryKey());

  const upgraded = await run(reg, withLodash, { catalogers: BUMPED });
  assert.ok(reg.blobs.reads.filter((r) => r.startsWith('read ')).length >= 4, `layers read again: ${reg.blobs.reads.join(', ')}`);
  assert.deepEqual(upgraded.completed.map((c) => c.inventory), ['layers']);
  assert.deepEqual(upgraded.changed.map((c) => [c.inventory, c.new.map((f) => f.id), c.fixed.length]), [['layers', ['CVE-2021-23337'], 0]]);
  assert.equal((await reg.inventories.get(reg.record.digest))?.catalogersKey, inventoryKey(BUMPED));

  const next = await run(reg, without, { catalogers: BUMPED, forbidReads: true });
  assert.deepEqual(reg.blobs.reads, []);
  assert.deepEqual(next.changed.map((c) => [c.inventory, c.fixed.map((f) => f.id)]), [['kept', ['CVE-2021-23337']]]);
  await reg.close();
});

test('an incomplete inventory stays incomplete when matched again, and the pull policy keeps refusing the image', async () => {
  const broken: Cataloger = {
    name: 'broken',
    version: 1,
    wants: () => false,
    catalog: async () => {
      throw new Error('cannot read its database');
    },
  };
  const catalogers = [...ALL_CATALOGERS, broken];
  const reg = await registry('incomplete');
  const policy = createPullPolicy({ metadata: reg.metadata, classifier: new ManifestClassifier(reg.blobs.store), denySeverity: 'CRITICAL' })!;
  const first = await run(reg, without, { push: true, catalogers });
  assert.deepEqual(first.completed.map((c) => c.incomplete), [['broken: failed: cannot read its database']]);
  const refused = await policy.check(reg.record);
  assert.deepEqual([refused.allowed, !refused.allowed && refused.kind], [false, 'scan_partial']);

  const update = await run(reg, withLodash, { catalogers, forbidReads: true });
  assert.deepEqual(reg.blobs.reads, []);
  const rescanned = await reg.metadata.getScan(reg.record.digest);
  assert.deepEqual([rescanned?.state, rescanned?.counts, rescanned?.result?.incomplete], ['done', { HIGH: 1 }, ['broken: failed: cannot read its database']]);
  assert.deepEqual(update.completed.map((c) => [c.inventory, c.incomplete]), [['kept', ['broken: failed: cannot read its database']]]);
  const still = await policy.check(reg.record);
  assert.deepEqual([still.allowed, !still.allowed && still.kind], [false, 'scan_partial'], 'a partial scan is "no", matched again or not');
  await reg.close();
});

test('an inventory over the cap, or one that cannot be read back, costs the next rescan a read of the layers, never a wrong result', async () => {
  const reg = await registry('over-cap', 200);
  const first = await run(reg, without, { push: true });
  assert.deepEqual(first.log.events('inventory.not-kept').map((l) => l.reason), [
    `the inventory of ${reg.record.digest} is 0.0 MiB as JSON (2 packages), over the 0.0 MiB kept per image: its rescans read its layers again`,
  ]);
  assert.equal(await reg.inventories.get(reg.record.digest), undefined);
  const update = await run(reg, withLodash);
  assert.ok(reg.blobs.reads.length > 2, 'the layers are read again');
  assert.deepEqual(update.changed.map((c) => [c.inventory, c.new.map((f) => f.id)]), [['layers', ['CVE-2021-23337']]]);
  await reg.close();

  const damaged = await registry('damaged');
  await run(damaged, without, { push: true });
  damaged.inventories.db.prepare('UPDATE inventories SET data = ?').run(Buffer.from('not gzip'));
  const again = await run(damaged, withLodash);
  assert.ok(damaged.blobs.reads.length > 2);
  assert.match(String(again.log.events('inventory.unreadable')[0]?.msg), new RegExp(`^the kept inventory of ${damaged.record.digest} cannot be used: reading its layers again$`));
  assert.deepEqual(again.completed.map((c) => [c.inventory, c.counts]), [['layers', { HIGH: 1 }]]);
  assert.equal((await damaged.inventories.get(damaged.record.digest))?.catalogersKey, inventoryKey(), 'kept again, readable');
  await damaged.close();
});

test('the kept inventory of a manifest no repository holds any more is dropped by the next database check', async () => {
  const reg = await registry('sweep');
  await run(reg, without, { push: true });
  assert.ok(await reg.inventories.get(reg.record.digest));
  await reg.metadata.deleteManifest('demo/hello', reg.record.digest);
  await run(reg, without);
  assert.ok(await reg.inventories.get(reg.record.digest), 'team/hello still holds it');
  await reg.metadata.deleteManifest('team/hello', reg.record.digest);
  const swept = await run(reg, without);
  assert.equal(await reg.inventories.get(reg.record.digest), undefined);
  assert.deepEqual(swept.log.events('inventory.swept').map((l) => l.dropped), [1]);
  await reg.close();
});
