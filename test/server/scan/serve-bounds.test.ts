/**
 * The repeated-layer attack through `portcullis serve` as it starts from a
 * configuration file (startRegistry), over HTTP on 127.0.0.1: a 3.9 MB
 * manifest listing one small layer 25,000 times is accepted like every image,
 * the registry keeps answering while and after it is scanned, and the scan
 * ends incomplete at the layer cap, so the pull policy refuses the image
 * (403 DENIED naming the cap); `scan.timeout` from the file reaches the
 * running configuration.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../../src/server/open.js';
import { importPaths } from '../../../src/vuln/db.js';
import { buildLayout, writeStreamedLayer, type TarEntry } from '../../support/oci-builder.js';
import { VULNDATA } from '../../support/paths.js';

let work: string;
let registry: RunningRegistry;
let timeoutMs: number | undefined;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-serve-bounds-'));
  await importPaths(join(work, 'advisories.sqlite'), [join(VULNDATA, 'alpine-secdb/yaml/v3.4/main.yaml')]);
  const config = join(work, 'portcullis.yaml');
  await writeFile(config, ['root: ./data', 'listen:', '  addr: 127.0.0.1:0', 'scan:', '  db: ./advisories.sqlite', '  rescanInterval: 0', '  timeout: 10m', 'policy:', '  denySeverity: CRITICAL', 'notary:', '  enabled: false'].join('\n'));
  const built = await buildConfig({ config }, { stdout: new PassThrough(), stderr: new PassThrough(), env: process.env });
  timeoutMs = built.scan ? built.scan.timeoutMs : undefined;
  registry = await startRegistry(built);
});

after(async () => {
  await registry?.close();
  await rm(work, { recursive: true, force: true });
});

function* files(count: number): Generator<TarEntry> {
  for (let i = 0; i < count; i++) yield { name: `usr/share/doc/p${i % 100}/f${i}.txt`, body: 'x' };
}

test('a manifest listing one layer 25,000 times: pushed, scanned to an incomplete result at the layer cap, refused at pull; the registry keeps answering', async () => {
  assert.equal(timeoutMs, 600_000);
  const layout = join(work, 'layout');
  const layer = await writeStreamedLayer(layout, files(3000));
  const built = await buildLayout({ dir: layout, layers: Array.from({ length: 25_000 }, () => ({ written: layer })) });
  const manifest = readFileSync(built.blobPath(built.manifestDigest));
  const configDigest = (built.manifest as { config: { digest: string } }).config.digest;
  for (const digest of [configDigest, layer.digest]) {
    const r = await fetch(`${registry.url}/v2/attack/repeat/blobs/uploads/?digest=${digest}`, { method: 'POST', body: readFileSync(built.blobPath(digest)) });
    assert.equal(r.status, 201, await r.text());
  }
  const put = await fetch(`${registry.url}/v2/attack/repeat/manifests/latest`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(put.status, 201, await put.text());
  const during = await fetch(`${registry.url}/v2/`);
  assert.equal(during.status, 200);
  await registry.scanner!.idle();
  const after = await fetch(`${registry.url}/v2/`);
  assert.equal(after.status, 200);
  const pulled = await fetch(`${registry.url}/v2/attack/repeat/manifests/latest`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const body = await pulled.text();
  assert.equal(pulled.status, 403, body);
  assert.match(body, /DENIED/);
  assert.match(body, /over the cap of 1000 layers a scan reads/);
});
