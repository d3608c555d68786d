/**
 * The walk's caps as serve settings: `scan.maxEntries` from the
 * configuration file reaches the scans, so an image of 300 files under a cap
 * of 100 entries ends as an incomplete scan whose reason names the setting,
 * and is refused at pull (403 DENIED naming it); `scan.maxLayers` is read
 * from the file and from its variable, PORTCULLIS_MAX_LAYERS; without either,
 * the walk's defaults.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import { overWalkCaps } from '../../../src/engine/inventory.js';
import { startRegistry, type RunningRegistry } from '../../../src/server/open.js';
import { importPaths } from '../../../src/vuln/db.js';
import { buildLayout, writeStreamedLayer, type TarEntry } from '../../support/oci-builder.js';
import { VULNDATA } from '../../support/paths.js';

let work: string;
let registry: RunningRegistry;

const streams = (): { stdout: PassThrough; stderr: PassThrough } => ({ stdout: new PassThrough(), stderr: new PassThrough() });

async function configFile(name: string, scanLines: readonly string[]): Promise<string> {
  const path = join(work, name);
  await writeFile(path, ['root: ./data', 'listen:', '  addr: 127.0.0.1:0', 'scan:', '  db: ./advisories.sqlite', '  rescanInterval: 0', ...scanLines, 'policy:', '  denySeverity: CRITICAL', 'notary:', '  enabled: false'].join('\n'));
  return path;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-serve-walk-caps-'));
  await importPaths(join(work, 'advisories.sqlite'), [join(VULNDATA, 'alpine-secdb/yaml/v3.4/main.yaml')]);
  const built = await buildConfig({ config: await configFile('portcullis.yaml', ['  maxEntries: 100']) }, { ...streams(), env: { PATH: process.env.PATH ?? '' } });
  registry = await startRegistry(built);
});

after(async () => {
  await registry?.close();
  await rm(work, { recursive: true, force: true });
});

function* files(count: number): Generator<TarEntry> {
  for (let i = 0; i < count; i++) yield { name: `usr/share/doc/p${i % 10}/f${i}.txt`, body: 'x' };
}

test('scan.maxEntries from the file: an image over it is scanned incomplete, naming the setting, and refused at pull', async () => {
  const layout = join(work, 'layout');
  const layer = await writeStreamedLayer(layout, files(300));
  const built = await buildLayout({ dir: layout, layers: [{ written: layer }] });
  const configDigest = (built.manifest as { config: { digest: string } }).config.digest;
  for (const digest of [configDigest, layer.digest]) {
    const r = await fetch(`${registry.url}/v2/caps/files/blobs/uploads/?digest=${digest}`, { method: 'POST', body: readFileSync(built.blobPath(digest)) });
    assert.equal(r.status, 201, await r.text());
  }
  const put = await fetch(`${registry.url}/v2/caps/files/manifests/latest`, { method: 'PUT', body: readFileSync(built.blobPath(built.manifestDigest)), headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(put.status, 201, await put.text());
  await registry.scanner!.idle();
  const scan = await registry.services.metadata.getScan(built.manifestDigest as `sha256:${string}`);
  assert.equal(scan?.state, 'done');
  assert.deepEqual(scan?.result?.incomplete, [`layers: layer 0 (sha256:${layer.digest.slice(7, 19)}): the image's layers hold more than 100 tar entries, over the cap a scan visits (a layer listed n times counts n times) (set scan.maxEntries to raise it)`]);
  assert.equal(overWalkCaps({ packages: [], ownedFiles: [], warnings: [], incomplete: scan?.result?.incomplete ?? [] }), true, 'an inventory cut at the cap is not kept: raising it and scanning again reads the layers');
  const pulled = await fetch(`${registry.url}/v2/caps/files/manifests/latest`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const body = await pulled.text();
  assert.equal(pulled.status, 403, body);
  assert.match(body, /DENIED/);
  assert.match(body, /set scan\.maxEntries to raise it/);
});

test('scan.maxLayers from the file or PORTCULLIS_MAX_LAYERS; the defaults without them', async () => {
  const fromFile = await buildConfig({ config: await configFile('layers.yaml', ['  maxLayers: 7']) }, { ...streams(), env: { PATH: process.env.PATH ?? '' } });
  assert.deepEqual(fromFile.scan ? fromFile.scan.limits : undefined, { maxLayers: 7, maxEntries: 2_000_000 });
  const plain = await configFile('plain.yaml', []);
  const fromEnv = await buildConfig({ config: plain }, { ...streams(), env: { PATH: process.env.PATH ?? '', PORTCULLIS_MAX_LAYERS: '9', PORTCULLIS_MAX_ENTRIES: '5000' } });
  assert.deepEqual(fromEnv.scan ? fromEnv.scan.limits : undefined, { maxLayers: 9, maxEntries: 5000 });
  const defaults = await buildConfig({ config: plain }, { ...streams(), env: { PATH: process.env.PATH ?? '' } });
  assert.deepEqual(defaults.scan ? defaults.scan.limits : undefined, { maxLayers: 1000, maxEntries: 2_000_000 });
  await assert.rejects(buildConfig({ config: await configFile('zero.yaml', ['  maxLayers: 0']) }, { ...streams(), env: { PATH: process.env.PATH ?? '' } }), /scan\.maxLayers/);
});
