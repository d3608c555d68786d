/**
 * Reading an oci-archive in place: one pass over the tar headers (TarIndex)
 * finds index.json, oci-layout and the blobs; each blob is then a byte range
 * of the file, streamed through a DigestVerifier. Nothing is extracted.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../../core/index.js';
import { TarIndex } from '../local/tar-index.js';
import { blobPath, LayoutSource, type LayoutReader } from '../oci-layout/layout.js';
import type { OciArchiveReference } from './transport.js';

export class TarLayoutReader implements LayoutReader {
  constructor(private readonly tar: TarIndex) {}

  get what(): string {
    return this.tar.what;
  }

  async readFile(name: string, maxBytes: number): Promise<Buffer | undefined> {
    const entry = this.tar.find(name);
    return entry ? this.tar.read(entry, maxBytes) : undefined;
  }

  async openBlob(digest: Digest): Promise<Readable | undefined> {
    const entry = this.tar.find(blobPath(digest));
    return entry ? this.tar.stream(entry) : undefined;
  }

  async close(): Promise<void> {}
}

export async function openOciArchiveSource(reference: OciArchiveReference): Promise<LayoutSource> {
  const tar = await TarIndex.open(reference.path, `oci-archive ${reference.path}`);
  return LayoutSource.open(reference, new TarLayoutReader(tar), reference.ref);
}
