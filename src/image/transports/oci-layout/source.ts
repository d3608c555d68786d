/**
 * Reading an OCI layout directory: index.json picks the manifest, blobs are
 * streamed from `blobs/<alg>/<hex>` through a DigestVerifier.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type Digest, openRegularFile } from '../../../core/index.js';
import { ImageError } from '../../errors.js';
import { errnoCode, fsError, READ_CHUNK_BYTES, readSmallFile } from '../local/files.js';
import { blobPath, LayoutSource, type LayoutReader } from './layout.js';
import type { OciLayoutReference } from './transport.js';

export class DirectoryLayoutReader implements LayoutReader {
  readonly what: string;

  constructor(readonly dir: string) {
    this.what = `oci layout ${dir}`;
  }

  readFile(name: string, maxBytes: number): Promise<Buffer | undefined> {
    return readSmallFile(join(this.dir, name), maxBytes, `${this.what}: ${name}`);
  }

  async openBlob(digest: Digest): Promise<Readable | undefined> {
    const path = join(this.dir, blobPath(digest));
    let handle;
    try {
      // A FIFO in the layout would block the read forever: refused (FILE_NOT_REGULAR).
      ({ handle } = await openRegularFile(path, `${this.what}: blob ${digest}`));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw fsError(error, `${this.what}: blob ${digest}`);
    }
    return handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
  }

  async close(): Promise<void> {}
}

export async function openOciLayoutSource(reference: OciLayoutReference): Promise<LayoutSource> {
  const stat = await fs.stat(reference.path).catch((error: unknown) => {
    throw fsError(error, `oci layout ${reference.path}`);
  });
  if (!stat.isDirectory()) throw new ImageError('ARCHIVE_INVALID', `oci layout ${reference.path} is not a directory`);
  return LayoutSource.open(reference, new DirectoryLayoutReader(reference.path), reference.ref);
}
