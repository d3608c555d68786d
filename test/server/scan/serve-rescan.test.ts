/**
 * Kept inventories through `portcullis serve` as it starts from a
 * configuration file (startRegistry): the bundled example image pushed over
 * HTTP is scanned once from its layers and its inventory kept in the
 * registry's SQLite file; a `db import` that adds lodash's CVE-2021-23337
 * makes the rescan match the kept inventory, log `scan.changes` with one new
 * finding, and the pull policy refuse the image from then on. The layer
 * cache in the data folder: an image on the same layers plus one of its own
 * records only that one (the others are replayed, their files untouched).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import type { Digest } from '../../../src/core/digest.js';
import { inventoryKey } from '../../../src/engine/kept-inventory.js';
import { SqliteInventoryStore } from '../../../src/server/metadata/inventory-sqlite.js';
import { startRegistry, type RunningRegistry } from '../../../src/server/open.js';
import { importPaths } from '../../../src/vuln/db.js';
import { writeAdvisories, type OsvAdvisory } from '../../support/osv.js';
import { DEBIAN_12_SAMPLE, REPO_ROOT, VULNDATA } from '../../support/paths.js';
import { tarOf } from '../../support/oci-builder.js';
import { captureLog } from '../../support/registry-log.js';

const HELLO = join(REPO_ROOT, 'examples', 'hello');
const blob = (digest: string): Buffer => readFileSync(join(HELLO, 'blobs', ...digest.split(':')));

let work: string;
let registry: RunningRegistry;
const log = captureLog('info');

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-serve-rescan-'));
  const config = join(work, 'portcullis.yaml');
  await writeFile(config, ['root: ./data', 'listen:', '  addr: 127.0.0.1:0', 'scan:', '  db: ./advisories.sqlite', '  rescanInterval: 0', 'policy:', '  denySeverity: HIGH', 'notary:', '  enabled: false'].join('\n'));
  const built = await buildConfig({ config }, { stdout: new PassThrough(), stderr: new PassThrough(), env: process.env });
  registry = await startRegistry({ ...built, log: log.log });
});

after(async () => {
  await registry?.close();
  await rm(work, { recursive: true, force: true });
});

async function pushHello(name: string): Promise<Digest> {
  const index = JSON.parse(readFileSync(join(HELLO, 'index.json'), 'utf8')) as { manifests: Array<{ digest: Digest; mediaType: string }> };
  const top = index.manifests[0]!;
  const manifest = blob(top.digest);
  const { config, layers } = JSON.parse(manifest.toString('utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
  for (const digest of [config.digest, ...layers.map((l) => l.digest)]) {
    const r = await fetch(`${registry.url}/v2/${name}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: blob(digest) });
    assert.equal(r.status, 201, await r.text());
  }
  const r = await fetch(`${registry.url}/v2/${name}/manifests/latest`, { method: 'PUT', body: manifest, headers: { 'content-type': top.mediaType } });
  assert.equal(r.status, 201, await r.text());
  return top.digest;
}

test('serve keeps the inventory of a pushed image; after a db import the rescan matches it again and logs what is new', async () => {
  const dbPath = join(work, 'advisories.sqlite');
  // Debian 12 data too: the example image is Debian 12, and without its distribution the scan is incomplete.
  await importPaths(dbPath, [join(VULNDATA, 'osv/ghsa-samples/advisory-database-layout'), DEBIAN_12_SAMPLE]);
  const digest = await pushHello('demo/hello');
  await registry.scanner!.checkDatabase();
  await registry.scanner!.idle();
  const pulled = await fetch(`${registry.url}/v2/demo/hello/manifests/latest`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(pulled.status, 200, 'nothing known against it yet');
  assert.deepEqual(log.events('scan.changes'), []);
  const inventories = new SqliteInventoryStore(join(work, 'data', 'registry.sqlite'));
  assert.equal((await inventories.get(digest))?.catalogersKey, inventoryKey(), 'kept beside the content store');
  await inventories.close();

  const lodash = { id: 'GHSA-35jh-r3h4-6jhm', modified: '2024-03-15T05:02:08Z', aliases: ['CVE-2021-23337'], affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }], database_specific: { severity: 'HIGH' } } as OsvAdvisory;
  await importPaths(dbPath, [writeAdvisories(join(work, 'lodash'), [lodash])]);
  await registry.scanner!.checkDatabase();
  await registry.scanner!.idle();
  assert.deepEqual(
    log.events('scan.changes').map((l) => [l.repository, l.digest, l.new, l.fixed, l.inventory]),
    [['demo/hello', digest, 1, 0, 'kept']],
  );
  const refused = await fetch(`${registry.url}/v2/demo/hello/manifests/latest`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(refused.status, 403);
  assert.match(((await refused.json()) as { errors: Array<{ message: string }> }).errors[0]!.message, /has 1 HIGH vulnerability/);
});

test('serve keeps layer analyses in <root>/layer-cache: an image on the same layers plus one records only its own', async () => {
  const cacheDir = join(work, 'data', 'layer-cache');
  await pushHello('demo/base');
  await registry.scanner!.checkDatabase();
  await registry.scanner!.idle();
  const index = JSON.parse(readFileSync(join(HELLO, 'index.json'), 'utf8')) as { manifests: Array<{ digest: Digest }> };
  const manifest = JSON.parse(blob(index.manifests[0]!.digest).toString('utf8')) as { config: { digest: string }; layers: Array<{ digest: string; size: number; mediaType: string }> };
  const inodes = (): Map<string, number> => new Map(readdirSync(cacheDir).map((f) => [f, statSync(join(cacheDir, f)).ino]));
  const before = inodes();
  assert.equal(before.size, manifest.layers.length);
  for (const f of before.keys()) assert.equal(statSync(join(cacheDir, f)).mode & 0o777, 0o600);

  // The same layers and one more, with its own config.
  const tar = await tarOf([{ name: 'app/extra.txt', body: 'one more layer' }]);
  const extra = gzipSync(tar);
  const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const config = JSON.parse(blob(manifest.config.digest).toString('utf8')) as { rootfs: { diff_ids: string[] }; history?: unknown[] };
  config.rootfs.diff_ids.push(sha(tar));
  delete config.history;
  const configBytes = Buffer.from(JSON.stringify(config));
  const upload = async (bytes: Buffer): Promise<void> => {
    const r = await fetch(`${registry.url}/v2/demo/sibling/blobs/uploads/?digest=${sha(bytes)}`, { method: 'POST', body: bytes });
    assert.equal(r.status, 201, await r.text());
  };
  for (const l of manifest.layers) await upload(blob(l.digest));
  await upload(extra);
  await upload(configBytes);
  const sibling = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(configBytes), size: configBytes.length },
    layers: [...manifest.layers, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(extra), size: extra.length }],
  };
  const put = await fetch(`${registry.url}/v2/demo/sibling/manifests/latest`, { method: 'PUT', body: JSON.stringify(sibling), headers: { 'content-type': sibling.mediaType } });
  assert.equal(put.status, 201, await put.text());
  await registry.scanner!.idle();
  const after = inodes();
  assert.equal(after.size, before.size + 1, 'one new recording: the new layer');
  for (const [f, ino] of before) assert.equal(after.get(f), ino, 'the shared layers were replayed, not read and recorded again');
});
