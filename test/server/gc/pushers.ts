/**
 * Registry clients for the garbage-collection stress tests, pushing over HTTP as docker and skopeo do:
 * HEAD each blob, upload the missing ones (monolithic, or POST then PUT), then the manifest; every third
 * image an index of two manifests pushed by digest. They retry what the registry asks them to (503 with
 * Retry-After: a push that met a collector) and push the blobs again when a manifest PUT says one is
 * missing. `checkWhole` reads every pushed tag back and checks every digest.
 */
import assert from 'node:assert/strict';
import type { Digest } from '../../../src/core/digest.js';
import { digestOf, imageManifest, OCI_INDEX, OCI_MANIFEST } from '../api/helpers.js';

export const REPOSITORIES = ['team/a', 'team/b', 'other/c'];

export interface Pushed {
  readonly repository: string;
  readonly tag: string;
  readonly digest: Digest;
  readonly blobs: readonly Digest[];
  readonly children: readonly Digest[];
}

export interface Counters {
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

/** Client `n`: `images` pushes into the repositories in turn, using the shared, reused, own and `garbageLayers` layers. */
export async function client(base: string, n: number, images: number, garbageLayers: readonly string[], counters: Counters): Promise<Pushed[]> {
  const pushed: Pushed[] = [];
  for (let i = 0; i < images; i++) {
    const repository = REPOSITORIES[(n + i) % REPOSITORIES.length]!;
    const layers = ['the layer every client pushes', `client ${n} base layer`, `client ${n} image ${i} layer`, garbageLayers[(n * images + i) % garbageLayers.length]!];
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

/** Every pushed tag, its children and its blobs read back through `base` with their digests. */
export async function checkWhole(base: string, pushed: readonly Pushed[]): Promise<void> {
  for (const p of pushed) {
    const res = await fetch(`${base}/v2/${p.repository}/manifests/${p.tag}`);
    assert.equal(res.status, 200, `${p.repository}:${p.tag}`);
    assert.equal(digestOf(Buffer.from(await res.arrayBuffer())), p.digest);
    for (const child of p.children) {
      const c = await fetch(`${base}/v2/${p.repository}/manifests/${child}`);
      assert.equal(c.status, 200, `${p.repository}@${child}`);
      assert.equal(digestOf(Buffer.from(await c.arrayBuffer())), child);
    }
    for (const blob of p.blobs) {
      const b = await fetch(`${base}/v2/${p.repository}/blobs/${blob}`);
      assert.equal(b.status, 200, `${p.repository} blob ${blob}`);
      assert.equal(digestOf(Buffer.from(await b.arrayBuffer())), blob);
    }
  }
}
