/**
 * Eight clients push over real HTTP while garbage collection runs back to back with no grace period for
 * blobs: a blob nothing links or references may be claimed the moment it is, even while a client is
 * finishing its upload — the protocol's safety must not rest on the grace period, only the pushes'
 * convenience does. (Links keep a minute of grace: a link younger than the time a client takes between
 * an upload and its manifest cannot be "loose", or no push could ever finish.) The clients push as
 * registry clients do — HEAD each blob, upload the missing ones (monolithic, or POST then PUT), then the
 * manifest; every third image an index of two manifests pushed by digest — into three repositories, with
 * a layer every client shares, layers each client reuses, their own layers, and layers that were garbage
 * when the test began; they retry what the registry asks them to (503 with Retry-After, a push that met a
 * collector) and push blobs again if a manifest PUT says one is missing. Afterwards every tag pushed
 * reads back whole with the right digests, the garbage that existed before is gone (unless a client
 * pushed the same bytes again), no claim is left, and one more run leaves storage holding exactly what
 * the tags reference.
 */
import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import { test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { parseProjectSettings, runGc } from '../../../src/server/gc/index.js';
import { startServer } from '../../../src/server/server.js';
import type { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { digestOf, imageManifest, makeRegistry, OCI_INDEX, OCI_MANIFEST, pushBlob } from '../api/helpers.js';
import { captureLog } from '../../support/registry-log.js';
import { pushArtifact, stored } from './helpers.js';

const CLIENTS = 8;
const IMAGES_PER_CLIENT = 6;
const REPOSITORIES = ['team/a', 'team/b', 'other/c'];

interface Pushed {
  readonly repository: string;
  readonly tag: string;
  readonly digest: Digest;
  readonly blobs: readonly Digest[];
  readonly children: readonly Digest[];
}

interface Counters {
  unavailable: number;
  blobUnknown: number;
  uploads: number;
}

async function retrying(what: string, counters: Counters, attempt: () => Promise<Response>): Promise<Response> {
  for (let i = 0; i < 200; i++) {
    const res = await attempt();
    if (res.status !== 503) return res;
    counters.unavailable++;
    await res.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`${what}: still 503 after 200 attempts`);
}

/** HEAD each blob, upload the missing ones (monolithic or POST + PUT), retrying 503s. */
async function pushBlobs(base: string, repository: string, blobs: readonly Buffer[], counters: Counters): Promise<void> {
  for (const [i, bytes] of blobs.entries()) {
    const digest = digestOf(bytes);
    const head = await retrying('HEAD', counters, () => fetch(`${base}/v2/${repository}/blobs/${digest}`, { method: 'HEAD' }));
    if (head.status === 200) continue;
    counters.uploads++;
    const done = await retrying('upload', counters, async () => {
      if (i % 2 === 0) return fetch(`${base}/v2/${repository}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
      const start = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
      assert.equal(start.status, 202);
      const location = new URL(start.headers.get('location')!, base);
      location.searchParams.set('digest', digest);
      return fetch(location, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    });
    assert.equal(done.status, 201, `${repository} upload: ${await done.text()}`);
  }
}

/** Blobs, then the manifest; again from the blobs when the PUT says one is missing. */
async function pushManifest(base: string, repository: string, reference: string, blobs: readonly Buffer[], bytes: Buffer, mediaType: string, counters: Counters, before?: () => Promise<void>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await pushBlobs(base, repository, blobs, counters);
    await before?.();
    const res = await retrying('manifest PUT', counters, () => fetch(`${base}/v2/${repository}/manifests/${reference}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } }));
    const text = await res.text();
    if (res.status === 201) return;
    assert.equal(res.status, 400, text);
    assert.match(text, /MANIFEST_BLOB_UNKNOWN/);
    counters.blobUnknown++;
  }
  throw new Error(`${repository}:${reference} never went through`);
}

function imageParts(seed: string, layers: readonly string[]): { blobs: Buffer[]; manifest: Buffer } {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed }));
  const layerBytes = layers.map((l) => Buffer.from(l));
  const manifest = Buffer.from(JSON.stringify(imageManifest({ digest: digestOf(config), size: config.length }, layerBytes.map((l) => ({ digest: digestOf(l), size: l.length })))));
  return { blobs: [config, ...layerBytes], manifest };
}

async function client(base: string, n: number, garbageLayers: readonly string[], counters: Counters): Promise<Pushed[]> {
  const pushed: Pushed[] = [];
  for (let i = 0; i < IMAGES_PER_CLIENT; i++) {
    const repository = REPOSITORIES[(n + i) % REPOSITORIES.length]!;
    const layers = ['the layer every client pushes', `client ${n} base layer`, `client ${n} image ${i} layer`, garbageLayers[(n * IMAGES_PER_CLIENT + i) % garbageLayers.length]!];
    const tag = `c${n}-i${i}`;
    if (i % 3 !== 2) {
      const image = imageParts(`${tag} config`, layers);
      await pushManifest(base, repository, tag, image.blobs, image.manifest, OCI_MANIFEST, counters);
      pushed.push({ repository, tag, digest: digestOf(image.manifest), blobs: image.blobs.map((b) => digestOf(b)), children: [] });
      continue;
    }
    // An index of two images pushed by digest (untagged until the index names them).
    const amd = imageParts(`${tag} amd64`, layers);
    const arm = imageParts(`${tag} arm64`, [...layers.slice(0, 2), `client ${n} image ${i} arm layer`]);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [amd, arm].map((p, k) => ({ mediaType: OCI_MANIFEST, digest: digestOf(p.manifest), size: p.manifest.length, platform: { architecture: k === 0 ? 'amd64' : 'arm64', os: 'linux' } })),
      }),
    );
    const children = async (): Promise<void> => {
      for (const p of [amd, arm]) await pushManifest(base, repository, digestOf(p.manifest), p.blobs, p.manifest, OCI_MANIFEST, counters);
    };
    await pushManifest(base, repository, tag, [], index, OCI_INDEX, counters, children);
    pushed.push({ repository, tag, digest: digestOf(index), blobs: [...amd.blobs, ...arm.blobs].map((b) => digestOf(b)), children: [digestOf(amd.manifest), digestOf(arm.manifest)] });
  }
  return pushed;
}

test('8 clients pushing over HTTP while garbage collection runs back to back with no grace period: every pushed tag is whole, old garbage is gone', async (t) => {
  const r = await makeRegistry({ pushGuard: { graceMs: 0 } });
  t.after(() => r.close());
  const stores = { blobs: r.services.blobs, metadata: r.services.metadata };

  // Garbage from before: blobs deleted from their repository (some of which the clients will push again),
  // manifests never tagged in a project that keeps untagged ones for no time (their blobs deleted from
  // the repository too), and bytes without metadata.
  const garbageLayers = Array.from({ length: 12 }, (_, i) => `layer that was garbage ${i}`);
  const garbage = new Set<Digest>();
  const unlink = async (repository: string, digest: Digest): Promise<void> => {
    assert.equal((await r.app.inject({ method: 'DELETE', url: `/v2/${repository}/blobs/${digest}` })).statusCode, 202);
  };
  for (const layer of garbageLayers) {
    garbage.add(await pushBlob(r.app, 'team/a', layer));
    await unlink('team/a', digestOf(layer));
  }
  for (let i = 0; i < 10; i++) {
    garbage.add(await pushBlob(r.app, 'other/c', `unused upload ${i}`));
    await unlink('other/c', digestOf(`unused upload ${i}`));
  }
  for (let i = 0; i < 4; i++) {
    const untagged = await pushArtifact(r.app, 'old/x', { seed: `old untagged ${i}`, layers: [`old untagged layer ${i}`] });
    for (const d of [untagged.digest, ...untagged.blobs]) garbage.add(d);
    for (const d of untagged.blobs) await unlink('old/x', d);
  }
  const projects = parseProjectSettings('defaults:\n  untaggedRetention: 1m\nprojects:\n  old:\n    untaggedRetention: 0\n', 'test');
  const fs = r.services.blobs as FilesystemBlobStore;
  for (let i = 0; i < 4; i++) {
    const bytes = Buffer.from(`orphan bytes ${i}`);
    await fs.putBytes(digestOf(bytes), bytes);
    const old = new Date(Date.now() - 3_600_000);
    await utimes(fs.blobPath(digestOf(bytes)), old, old);
    garbage.add(digestOf(bytes));
  }

  const captured = captureLog('warn');
  const server = await startServer({ services: r.services, port: 0, log: captured.log });
  t.after(() => {
    for (const line of captured.events('error').slice(0, 3)) t.diagnostic(JSON.stringify(line).slice(0, 2000));
  });
  t.after(() => server.close());
  let stop = false;
  let runs = 0;
  let collected = 0;
  const collector = (async () => {
    while (!stop) {
      const report = await runGc(stores, { graceMs: 0, linkGraceMs: 60_000, projects });
      runs++;
      collected += report.blobsDeleted;
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  const counters: Counters = { unavailable: 0, blobUnknown: 0, uploads: 0 };
  let pushed: Pushed[];
  try {
    pushed = (await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(server.url, n, garbageLayers, counters)))).flat();
  } finally {
    stop = true;
    await collector;
  }
  t.diagnostic(`${runs} collections during the pushes deleted ${collected} blobs; clients made ${counters.uploads} uploads, retried ${counters.unavailable} times after 503 and ${counters.blobUnknown} times after MANIFEST_BLOB_UNKNOWN`);
  assert.ok(runs >= 3, `the collector ran during the pushes (${runs} runs)`);
  assert.equal(pushed.length, CLIENTS * IMAGES_PER_CLIENT);

  const whole = async (): Promise<void> => {
    for (const p of pushed) {
      const res = await fetch(`${server.url}/v2/${p.repository}/manifests/${p.tag}`);
      assert.equal(res.status, 200, `${p.repository}:${p.tag}`);
      assert.equal(digestOf(Buffer.from(await res.arrayBuffer())), p.digest);
      for (const child of p.children) {
        const c = await fetch(`${server.url}/v2/${p.repository}/manifests/${child}`);
        assert.equal(c.status, 200, `${p.repository}@${child}`);
        assert.equal(digestOf(Buffer.from(await c.arrayBuffer())), child);
      }
      for (const blob of p.blobs) {
        const b = await fetch(`${server.url}/v2/${p.repository}/blobs/${blob}`);
        assert.equal(b.status, 200, `${p.repository} blob ${blob}`);
        assert.equal(digestOf(Buffer.from(await b.arrayBuffer())), blob);
      }
    }
  };
  await whole();
  const referenced = new Set(pushed.flatMap((p) => [p.digest, ...p.children, ...p.blobs]));
  let left = await stored(r.services.blobs);
  for (const digest of garbage) if (!referenced.has(digest)) assert.ok(!left.has(digest), `old garbage ${digest} is gone`);
  assert.deepEqual(await r.services.metadata.claimedBlobs({ limit: 10 }), [], 'no claim left');

  // One more run once the pushes are over: what failed retries left behind goes, nothing else.
  await runGc(stores, { graceMs: 0, projects });
  await whole();
  left = await stored(r.services.blobs);
  assert.deepEqual([...left].sort(), [...referenced].sort(), 'storage holds exactly what the tags reference');
});
