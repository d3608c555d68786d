/**
 * Shared by the local-transport tests: temp dirs, crafting tars with
 * tar-stream, reading streams, running skopeo/umoci, and a tiny in-memory
 * ImageSource for images we compose in a test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { sha256Digest, type Digest } from '../../../../src/core/digest.js';
import type { Descriptor } from '../../../../src/core/oci.js';
import { ImageError } from '../../../../src/image/errors.js';
import type { ImageReference, ImageSource, ManifestBlob } from '../../../../src/image/types.js';
import { runCommand } from '../../../support/peers.js';

export async function tempDir(t: { after(fn: () => Promise<void>): void }, prefix = 'portcullis-local-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface TarItem {
  name: string;
  data?: Uint8Array | string;
  type?: 'file' | 'symlink' | 'directory' | 'link';
  linkname?: string;
}

export async function makeTar(items: readonly TarItem[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const item of items) {
    const type = item.type ?? 'file';
    if (type === 'file') p.entry({ name: item.name }, Buffer.from(item.data ?? ''));
    else p.entry({ name: item.name, type, linkname: item.linkname ?? '' });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export async function skopeo(args: readonly string[]): Promise<string> {
  const result = await runCommand('skopeo', args);
  if (result.code !== 0) throw new Error(`skopeo ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

export async function umoci(args: readonly string[]): Promise<string> {
  const result = await runCommand('umoci', args);
  if (result.code !== 0) throw new Error(`umoci ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Asserts `promise` rejects with an error carrying `code`; returns it. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<Error & { code: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code !== code) throw new Error(`expected code ${code}, got ${String(e.code)}: ${e.message}`);
    return e as Error & { code: string };
  }
  throw new Error(`expected a rejection with code ${code}`);
}

/** An ImageSource over in-memory blobs, to feed destinations images we compose. */
export class MemorySource implements ImageSource {
  readonly blobs = new Map<Digest, Buffer>();
  readonly manifests = new Map<Digest, ManifestBlob>();
  private top: ManifestBlob | undefined;

  constructor(readonly reference: ImageReference) {}

  addBlob(bytes: Buffer, mediaType: string): Descriptor {
    const digest = sha256Digest(bytes);
    this.blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.length };
  }

  addManifest(json: unknown, mediaType: string, top = false): ManifestBlob {
    const bytes = Buffer.from(JSON.stringify(json));
    const blob = { bytes, mediaType, digest: sha256Digest(bytes) };
    this.manifests.set(blob.digest, blob);
    if (top) this.top = blob;
    return blob;
  }

  async getManifest(digest?: Digest): Promise<ManifestBlob> {
    const blob = digest ? this.manifests.get(digest) : this.top;
    if (!blob) throw new ImageError('NOT_FOUND', `no manifest ${digest ?? '(top)'}`);
    return blob;
  }

  async getBlob(descriptor: Descriptor): Promise<Readable> {
    const bytes = this.blobs.get(descriptor.digest);
    if (!bytes) throw new ImageError('NOT_FOUND', `no blob ${descriptor.digest}`);
    return Readable.from([bytes]);
  }

  async close(): Promise<void> {}
}
