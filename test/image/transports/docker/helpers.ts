/**
 * Test helpers for the registry client: reading a real OCI layout (the peers'
 * tiny image) straight from disk, pushing it through an ImageDestination,
 * and draining streams.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseIndex, parseManifest, type Descriptor, type ImageManifest } from '../../../../src/core/oci.js';
import type { Digest } from '../../../../src/core/digest.js';
import { digestHex } from '../../../../src/core/digest.js';
import type { ImageDestination, ManifestBlob } from '../../../../src/image/types.js';

export interface Layout {
  dir: string;
  manifest: ManifestBlob;
  parsed: ImageManifest;
  /** config + layers */
  blobs: Descriptor[];
}

/** `oci:DIR:latest` → the single manifest of that layout. */
export async function readLayout(ociRef: string): Promise<Layout> {
  const dir = ociRef.replace(/^oci:/, '').replace(/:[^:/]+$/, '');
  const index = parseIndex(await readFile(join(dir, 'index.json')));
  const entry = index.manifests[0];
  if (!entry) throw new Error(`no manifest in ${dir}`);
  const bytes = await readFile(blobPath(dir, entry.digest));
  const parsed = parseManifest(bytes);
  return { dir, manifest: { bytes, mediaType: entry.mediaType, digest: entry.digest }, parsed, blobs: [parsed.config, ...parsed.layers] };
}

export function blobPath(dir: string, digest: Digest): string {
  return join(dir, 'blobs', 'sha256', digestHex(digest));
}

export function blobStream(layout: Layout, digest: Digest): Readable {
  return createReadStream(blobPath(layout.dir, digest));
}

/** Pushes every blob the destination lacks, then the manifest, the way copyImage does. */
export async function pushLayout(destination: ImageDestination, layout: Layout): Promise<void> {
  for (const blob of layout.blobs) {
    if (!(await destination.hasBlob(blob))) await destination.putBlob(blob, blobStream(layout, blob.digest));
  }
  await destination.putManifest(layout.manifest);
  await destination.commit();
}

export async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Runs `fn` and returns the error it throws (fails the test when it does not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected an error, got none');
}
