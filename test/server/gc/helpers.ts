/**
 * What the garbage-collection tests share: pushing artifacts (by tag or by digest, with a subject),
 * checking that an image is whole through the API, and looking into storage.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Digest } from '../../../src/core/digest.js';
import type { BlobStore } from '../../../src/server/storage/blob-store.js';
import { digestOf, imageManifest, OCI_MANIFEST, pushBlob, putManifest } from '../api/helpers.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** A clock `ms` ahead of the real one. */
export const ahead = (ms: number) => (): Date => new Date(Date.now() + ms);

export interface Artifact {
  readonly digest: Digest;
  readonly blobs: readonly Digest[];
  readonly size: number;
}

/** A manifest with its own config and one layer, pushed by tag or (without one) by digest; optionally with a subject. */
export async function pushArtifact(app: FastifyInstance, repository: string, options: { seed: string; tag?: string; subject?: { digest: Digest; size: number }; layers?: readonly string[] }): Promise<Artifact> {
  const configBytes = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed: options.seed });
  const layerBytes = options.layers ?? [`only layer of ${options.seed}`];
  const config = await pushBlob(app, repository, configBytes);
  const layers: Digest[] = [];
  for (const l of layerBytes) layers.push(await pushBlob(app, repository, l));
  const manifest = imageManifest(
    { digest: config, size: Buffer.byteLength(configBytes) },
    layers.map((digest, i) => ({ digest, size: Buffer.byteLength(layerBytes[i]!) })),
    options.subject ? { subject: { mediaType: OCI_MANIFEST, ...options.subject }, artifactType: 'application/vnd.example.sbom' } : {},
  );
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = digestOf(bytes);
  const response = await putManifest(app, repository, options.tag ?? digest, bytes, OCI_MANIFEST);
  assert.equal(response.statusCode, 201, response.body);
  return { digest, blobs: [config, ...layers], size: bytes.length };
}

/** The tag of an accessory of `subject`: `sha256-<hex>` and a suffix (`.sig`, `.att`, or none for the referrers fallback index). */
export const accessoryTag = (subject: Digest, suffix = ''): string => `${subject.replace(':', '-')}${suffix}`;

/** The manifest at `reference` and every blob it names come back through the API with the right digests. */
export async function assertWhole(app: FastifyInstance, repository: string, reference: string, expected: Artifact): Promise<void> {
  const res = await app.inject({ method: 'GET', url: `/v2/${repository}/manifests/${reference}` });
  assert.equal(res.statusCode, 200, `${repository}:${reference}: ${res.body}`);
  assert.equal(digestOf(res.rawPayload), expected.digest);
  for (const blob of expected.blobs) {
    const b = await app.inject({ method: 'GET', url: `/v2/${repository}/blobs/${blob}` });
    assert.equal(b.statusCode, 200, `${repository} blob ${blob}`);
    assert.equal(digestOf(b.rawPayload), blob);
  }
}

export async function stored(blobs: BlobStore): Promise<Set<Digest>> {
  const out = new Set<Digest>();
  for await (const blob of blobs.list()) out.add(blob.digest);
  return out;
}
