/**
 * Puts a real image (an OCI layout directory) straight into a registry's
 * stores, the way the push API leaves it (blobs linked, manifest recorded,
 * tag set), for tests of what runs behind the API: the scan worker, the pull
 * policy, the UI.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Digest, type Digest } from '../../src/core/digest.js';
import type { ManifestRecord, MetadataStore } from '../../src/server/metadata/store.js';
import type { BlobStore } from '../../src/server/storage/blob-store.js';

export interface Stores {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
}

function blob(dir: string, digest: string): Buffer {
  return readFileSync(join(dir, 'blobs', ...digest.split(':')));
}

/** `oci:DIR:TAG` or a directory; stores the first manifest of index.json (or the one annotated with `tag`). */
export async function storeOciLayout(stores: Stores, repository: string, layout: string, tag?: string): Promise<ManifestRecord> {
  const dir = layout.startsWith('oci:') ? layout.slice(4).replace(/:[^:/]*$/, '') : layout;
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: Digest; mediaType: string }> };
  const top = index.manifests[0]!;
  const bytes = blob(dir, top.digest);
  const manifest = JSON.parse(bytes.toString('utf8')) as { config: { digest: Digest; mediaType: string }; layers: Array<{ digest: Digest }> };
  for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    await stores.blobs.putBytes(d, blob(dir, d));
    await stores.metadata.linkBlob(repository, d);
  }
  return storeManifest(stores, repository, bytes, top.mediaType, manifest.config.mediaType, [manifest.config.digest, ...manifest.layers.map((l) => l.digest)], tag);
}

export async function storeManifest(
  stores: Stores,
  repository: string,
  bytes: Buffer,
  mediaType: string,
  artifactType: string | undefined,
  references: readonly Digest[],
  tag?: string,
  subject?: Digest,
): Promise<ManifestRecord> {
  const digest = sha256Digest(bytes);
  await stores.blobs.putBytes(digest, bytes);
  const record: ManifestRecord = {
    repository,
    digest,
    mediaType,
    size: bytes.length,
    ...(artifactType ? { artifactType } : {}),
    ...(subject ? { subject } : {}),
    references,
    pushedAt: new Date().toISOString(),
  };
  await stores.metadata.putManifest(record, tag);
  return record;
}
