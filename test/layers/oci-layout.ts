/**
 * A minimal reader of OCI image layouts on disk for the layer tests (the
 * transports live elsewhere): index.json → manifest (first one, or the one
 * whose ref name annotation matches) → config and layer blobs, which are plain
 * files under blobs/<alg>/<hex>.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../src/core/digest.js';
import { parseImageConfig, parseIndex, parseManifest, type ImageConfig, type ImageManifest } from '../../src/core/oci.js';
import type { LayerInput } from '../../src/layers/stream.js';

export interface LayoutImage {
  dir: string;
  manifest: ImageManifest;
  config: ImageConfig;
  layers: LayerInput[];
  blobPath(digest: Digest): string;
}

/** Accepts `oci:DIR:TAG`, `oci:DIR` or a bare directory. */
export async function openLayout(reference: string): Promise<LayoutImage> {
  let spec = reference.startsWith('oci:') ? reference.slice(4) : reference;
  let tag: string | undefined;
  const colon = spec.lastIndexOf(':');
  if (colon > 0 && !spec.slice(colon).includes('/')) {
    tag = spec.slice(colon + 1);
    spec = spec.slice(0, colon);
  }
  const dir = spec;
  const blobPath = (digest: Digest): string => join(dir, 'blobs', ...digest.split(':'));
  const index = parseIndex(await readFile(join(dir, 'index.json')));
  const entry =
    index.manifests.find((m) => tag !== undefined && m.annotations?.['org.opencontainers.image.ref.name'] === tag) ?? index.manifests[0];
  if (!entry) throw new Error(`${dir}: index.json lists no manifest`);
  const manifest = parseManifest(await readFile(blobPath(entry.digest)));
  const config = parseImageConfig(await readFile(blobPath(manifest.config.digest)));
  const layers: LayerInput[] = manifest.layers.map((descriptor, index) => ({
    origin: { index, digest: descriptor.digest, ...(config.rootfs.diff_ids[index] ? { diffId: config.rootfs.diff_ids[index] } : {}) },
    mediaType: descriptor.mediaType,
    open: async () => createReadStream(blobPath(descriptor.digest)),
  }));
  return { dir, manifest, config, layers, blobPath };
}
