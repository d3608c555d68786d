/**
 * Scan on push and rescan on advisory change, on the real tiny image (npm
 * lodash 4.17.15 and minimist 1.2.5 in its third layer) stored the way the
 * push API leaves it, and the pull policy built on the results. Advisories are
 * OSV documents for those two packages (test/support/osv.ts), imported with
 * the real importer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sha256Digest } from '../../../src/core/digest.js';
import { MediaType } from '../../../src/core/media-types.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { ManifestClassifier } from '../../../src/server/artifact.js';
import { createPullPolicy } from '../../../src/server/policy.js';
import { ScanService } from '../../../src/server/scan/service.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { importPaths } from '../../../src/vuln/db.js';
import { npmAdvisory, TINY_IMAGE_ADVISORIES, writeAdvisories } from '../../support/osv.js';
import { peerImages } from '../../support/peers.js';
import { storeManifest, storeOciLayout, type Stores } from '../../support/registry-content.js';

let dir: string;
let stores: Stores & { metadata: SqliteMetadataStore };
let dbPath: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-regscan-'));
  stores = { blobs: new FilesystemBlobStore(join(dir, 'blobs')), metadata: new SqliteMetadataStore(join(dir, 'registry.sqlite')) };
  dbPath = join(dir, 'advisories.sqlite');
  await importPaths(dbPath, [writeAdvisories(join(dir, 'v1'), TINY_IMAGE_ADVISORIES)]);
});
after(async () => {
  await stores.metadata.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a pushed image is scanned once, with counts by severity; a changed database rescans it; the policy follows', async () => {
  const images = await peerImages('tiny');
  const record = await storeOciLayout(stores, 'demo/tiny', images.tinyOci, 'latest');
  const service = new ScanService({ ...stores, classifier: new ManifestClassifier(stores.blobs), dbPath, rescanIntervalMs: 0 });
  await service.start();
  service.manifestPushed(record);
  service.manifestPushed(record); // the same digest twice: one scan
  await service.idle();

  const scan = await stores.metadata.getScan(record.digest);
  assert.equal(scan?.state, 'done', scan?.error);
  assert.deepEqual(scan?.counts, { CRITICAL: 1, HIGH: 2 });
  const ids = scan?.result?.findings.map((f) => `${f.id} ${f.package.name}@${f.package.version} fixed ${f.fixedVersion ?? '-'}`).sort();
  assert.deepEqual(ids, [
    'GHSA-35jh-r3h4-6jhm lodash@4.17.15 fixed 4.17.21',
    'GHSA-p6mc-m468-83gw lodash@4.17.15 fixed 4.17.19',
    'GHSA-xvch-5gv4-984h minimist@1.2.5 fixed 1.2.6',
  ]);
  assert.equal(scan?.databaseDigest, service.databaseFingerprint);
  assert.equal(scan?.result?.image?.digest, record.digest);

  const critical = createPullPolicy({ ...stores, classifier: new ManifestClassifier(stores.blobs), denySeverity: 'CRITICAL' });
  const decision = await critical!.check(record);
  assert.equal(decision.allowed, false);
  assert.match(!decision.allowed ? decision.reason : '', /1 CRITICAL vulnerability \(policy: deny CRITICAL and above\)/);
  const high = await createPullPolicy({ ...stores, classifier: new ManifestClassifier(stores.blobs), denySeverity: 'HIGH' })!.check(record);
  assert.match(!high.allowed ? high.reason : '', /1 CRITICAL, 2 HIGH/);

  // The minimist advisory is withdrawn from the feed's view (a new import where it is fixed below 1.2.5) and a MEDIUM one appears.
  const before = service.databaseFingerprint;
  await importPaths(dbPath, [
    writeAdvisories(join(dir, 'v2'), [npmAdvisory('GHSA-xvch-5gv4-984h', 'minimist', '1.2.3', 'CRITICAL'), npmAdvisory('GHSA-29mw-wpgm-hmr9', 'lodash', '4.17.21', 'MEDIUM')]),
  ]);
  await service.checkDatabase();
  await service.idle();
  assert.notEqual(service.databaseFingerprint, before);
  const rescanned = await stores.metadata.getScan(record.digest);
  assert.equal(rescanned?.state, 'done');
  assert.deepEqual(rescanned?.counts, { HIGH: 2, MEDIUM: 1 });
  assert.equal(rescanned?.databaseDigest, service.databaseFingerprint);
  assert.equal((await critical!.check(record)).allowed, true, 'no CRITICAL left: served again');

  // Nothing changed: no rescan is queued.
  await service.checkDatabase();
  assert.equal(service.queueLength, 0);
  await service.close();
});

test('signatures and other artifacts are not scanned and never refused', async () => {
  const config = Buffer.from('{}');
  await stores.blobs.putBytes(sha256Digest(config), config);
  await stores.metadata.linkBlob('demo/tiny', sha256Digest(config));
  const payload = Buffer.from('{"critical":{}}');
  await stores.blobs.putBytes(sha256Digest(payload), payload);
  await stores.metadata.linkBlob('demo/tiny', sha256Digest(payload));
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: sha256Digest(payload), size: payload.length }],
    }),
  );
  const sig = await storeManifest(stores, 'demo/tiny', body, MediaType.OciManifest, MediaType.OciConfig, [sha256Digest(config), sha256Digest(payload)], 'sha256-abc.sig');
  const service = new ScanService({ ...stores, classifier: new ManifestClassifier(stores.blobs), dbPath, rescanIntervalMs: 0 });
  await service.start();
  service.manifestPushed(sig);
  await service.idle();
  assert.equal((await stores.metadata.getScan(sig.digest))?.state, 'skipped');
  const policy = createPullPolicy({ ...stores, classifier: new ManifestClassifier(stores.blobs), denySeverity: 'LOW', requireSignature: async () => ({ allowed: false, reason: 'unsigned' }) });
  assert.deepEqual(await policy!.check(sig), { allowed: true });
  await service.close();
});

test('without a database the registry still accepts images; they wait queued and are scanned once one appears', async () => {
  const images = await peerImages('tiny');
  const missing = join(dir, 'later.sqlite');
  const record = await storeOciLayout(stores, 'demo/waiting', images.tinyOci, 'latest');
  await stores.metadata.saveScan({ manifestDigest: record.digest, state: 'queued', updatedAt: new Date().toISOString() });
  const service = new ScanService({ ...stores, classifier: new ManifestClassifier(stores.blobs), dbPath: missing, rescanIntervalMs: 0 });
  await service.start();
  service.manifestPushed(record);
  await service.idle();
  const waiting = await stores.metadata.getScan(record.digest);
  assert.equal(waiting?.state, 'queued');
  assert.match(waiting?.error ?? '', /no advisory database/);
  const unscanned = await createPullPolicy({ ...stores, classifier: new ManifestClassifier(stores.blobs), denySeverity: 'CRITICAL' })!.check(record);
  assert.equal(unscanned.allowed, false);

  await importPaths(missing, [join(dir, 'v1')]);
  await service.checkDatabase();
  await service.idle();
  assert.deepEqual((await stores.metadata.getScan(record.digest))?.counts, { CRITICAL: 1, HIGH: 2 });
  await service.close();
});
