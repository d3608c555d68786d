/**
 * `serve --db-from`: the registry's scan service gets its advisory database
 * by pulling a signed artifact from the real docker-registry. A verified pull
 * is swapped in and rescans at once; the same digest again downloads nothing;
 * an unsigned artifact under the tag is refused and the database in place
 * stays byte for byte, with the scan results it gave; a newly signed one
 * replaces it and the rescan reports what changed. The settings map
 * `--db-from` onto the registry's configuration.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resolveServeSettings, toRegistryConfig } from '../../../src/cli/commands/serve-config.js';
import { openKeyStoreFromEnv } from '../../../src/cli/commands/trust-shared.js';
import { ManifestClassifier } from '../../../src/server/artifact.js';
import { DbPuller } from '../../../src/server/scan/db-pull.js';
import { ScanService } from '../../../src/server/scan/service.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { silentLog } from '../../../src/server/log.js';
import { importPaths } from '../../../src/vuln/db.js';
import { cli, trustHome } from '../../cli/trust/helpers.js';
import { npmAdvisory, TINY_IMAGE_ADVISORIES, writeAdvisories } from '../../support/osv.js';
import { peerImages, startRegistry, type RegistryPeer } from '../../support/peers.js';
import { storeOciLayout, type Stores } from '../../support/registry-content.js';

let dir: string;
let registry: RegistryPeer;
let env: NodeJS.ProcessEnv;
let stores: Stores & { metadata: SqliteMetadataStore };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-db-from-'));
  registry = await startRegistry();
  env = await trustHome();
  assert.equal((await cli(['key', 'generate'], env)).code, 0);
  stores = { blobs: new FilesystemBlobStore(join(dir, 'blobs')), metadata: new SqliteMetadataStore(join(dir, 'registry.sqlite')) };
});
after(async () => {
  await stores?.metadata.close();
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function publish(db: string, ref: string, sign: boolean): Promise<void> {
  const r = await cli(['db', 'push', ref, '--db', db, '--tls-verify=false', ...(sign ? ['--sign'] : [])], env);
  assert.equal(r.code, 0, r.stderr);
}

test('--db-from: a signed database is pulled, verified, swapped in and rescanned; unsigned ones never replace it', async () => {
  const v1 = join(dir, 'v1.sqlite');
  await importPaths(v1, [writeAdvisories(join(dir, 'osv-v1'), TINY_IMAGE_ADVISORIES)]);
  const v2 = join(dir, 'v2.sqlite');
  await importPaths(v2, [writeAdvisories(join(dir, 'osv-v2'), [npmAdvisory('GHSA-xvch-5gv4-984h', 'minimist', '1.2.3', 'CRITICAL'), npmAdvisory('GHSA-29mw-wpgm-hmr9', 'lodash', '4.17.21', 'MEDIUM')])]);
  const ref = `docker://${registry.host}/portcullis/db:latest`;
  await publish(v1, ref, true);

  const dbPath = join(dir, 'served', 'advisories.sqlite');
  const service = new ScanService({ ...stores, classifier: new ManifestClassifier(stores.blobs), dbPath, rescanIntervalMs: 0 });
  await service.start();
  const record = await storeOciLayout(stores, 'demo/tiny', (await peerImages('tiny')).tinyOci, 'latest');
  service.manifestPushed(record);
  await service.idle();
  assert.equal((await stores.metadata.getScan(record.digest))?.state, 'queued', 'no database yet: waiting');

  const puller = new DbPuller({
    reference: ref,
    intervalMs: 3_600_000,
    dbPath,
    trust: { store: openKeyStoreFromEnv(env), policyKeys: [] },
    context: { env, tlsVerify: false },
    onChanged: () => service.checkDatabase(),
    log: silentLog(),
  });
  try {
    const first = await puller.pullNow();
    assert.equal(first.outcome, 'pulled', first.outcome === 'failed' ? first.error.message : '');
    await service.idle();
    const scan = await stores.metadata.getScan(record.digest);
    assert.equal(scan?.state, 'done', scan?.error);
    assert.deepEqual(scan?.counts, { CRITICAL: 1, HIGH: 2 });
    assert.equal((await puller.pullNow()).outcome, 'unchanged');

    // Someone pushes an unsigned database under the tag: refused, nothing changes.
    await publish(v2, ref, false);
    const bytes = readFileSync(dbPath);
    const fingerprint = service.databaseFingerprint;
    const refused = await puller.pullNow();
    assert.equal(refused.outcome, 'failed');
    assert.match(refused.outcome === 'failed' ? refused.error.message : '', /remote trust data does not exist for .*portcullis\/db/);
    assert.ok(readFileSync(dbPath).equals(bytes), 'the database in place is byte-identical');
    await service.checkDatabase();
    assert.equal(service.databaseFingerprint, fingerprint);
    assert.deepEqual((await stores.metadata.getScan(record.digest))?.counts, { CRITICAL: 1, HIGH: 2 });

    // Signed now: pulled, and the rescan runs without waiting for the service's timer.
    await publish(v2, ref, true);
    assert.equal((await puller.pullNow()).outcome, 'pulled');
    await service.idle();
    assert.notEqual(service.databaseFingerprint, fingerprint);
    // The pulled file replaces the database whole: only v2's advisories (minimist fixed below 1.2.5, one MEDIUM for lodash).
    assert.deepEqual((await stores.metadata.getScan(record.digest))?.counts, { MEDIUM: 1 });
  } finally {
    await puller.close();
    await service.close();
  }
});

test('--db-from and --db-from-interval reach the registry configuration; a non-registry reference is refused', async () => {
  const home = { ...env, PORTCULLIS_DB: join(dir, 'x.sqlite') };
  const resolved = await resolveServeSettings({ root: join(dir, 'root'), dbFrom: 'docker://registry.internal/portcullis/db:latest', dbFromInterval: '30m' }, home);
  const config = await toRegistryConfig(resolved, { env: home, stdout: process.stdout, stderr: process.stderr });
  assert.ok(config.scan);
  assert.equal(config.scan.dbFrom?.reference, 'docker://registry.internal/portcullis/db:latest');
  assert.equal(config.scan.dbFrom?.intervalMs, 30 * 60_000);
  assert.equal(config.requireSignature, undefined, '--db-from does not turn on --require-signature');
  await assert.rejects(resolveServeSettings({ dbFrom: 'oci:./layout:db' }, home), /--db-from takes docker:\/\/HOST\/REPOSITORY\[:TAG\], not "oci:\.\/layout:db"/);
  await assert.rejects(resolveServeSettings({ dbFrom: 'docker://r/db:1', scan: false }, home), /--db-from pulls a database for scans/);
});
