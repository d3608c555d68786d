/**
 * Writing an oci-archive: blobs stream straight into a tar being written at
 * `.FILE.tmp-<random>` (verified on the way; a blob that fails is cut back out
 * of the file), then commit appends `index.json` and `oci-layout`, closes the
 * tar and renames it over FILE. close() without commit deletes the temp file.
 * Like skopeo, an existing FILE is replaced, not merged into. A character
 * device or FIFO (`oci-archive:/dev/null`) is never replaced: the tar is
 * built in the temp directory and streamed into it (src/core/user-files.ts).
 */
import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { digestAlgorithm, verifyBytes, type Digest, MAX_MANIFEST_BYTES, type Descriptor, MediaType, StagedOutput } from '../../../core/index.js';
import { ImageError } from '../../errors.js';
import type { ImageDestination, ManifestBlob, PutManifestOptions } from '../../types.js';
import { fsError } from '../local/files.js';
import { Mutex, TarFileWriter } from '../local/tar-writer.js';
import { verifiedStream } from '../local/verify.js';
import { blobPath, INDEX_FILE, indexEntryFor, LAYOUT_BYTES, LAYOUT_FILE, mergeIndex } from '../oci-layout/layout.js';
import type { OciArchiveReference } from './transport.js';

export class OciArchiveDestination implements ImageDestination {
  /** skopeo and umoci read only OCI media types from a layout's index.json. */
  readonly manifestMediaTypes: readonly string[] = [MediaType.OciManifest, MediaType.OciIndex];
  private readonly written = new Set<Digest>();
  private readonly dirs = new Set<string>();
  private readonly mutex = new Mutex();
  private top: ManifestBlob | undefined;
  private committed = false;
  private closed = false;
  private readonly what: string;

  private constructor(
    readonly reference: OciArchiveReference,
    private readonly output: StagedOutput,
    private readonly tar: TarFileWriter,
  ) {
    this.what = `oci-archive ${reference.path}`;
  }

  static async open(reference: OciArchiveReference): Promise<OciArchiveDestination> {
    const stat = await fs.stat(reference.path).catch(() => undefined);
    if (stat?.isDirectory()) throw new ImageError('DESTINATION_EXISTS', `oci-archive ${reference.path} is a directory`);
    // A regular file (or new name) is replaced by rename; a device or FIFO gets the finished tar streamed in.
    const output = await StagedOutput.prepare(reference.path, { what: `oci-archive ${reference.path}` });
    const tar = await TarFileWriter.create(output.tempPath);
    return new OciArchiveDestination(reference, output, tar);
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    return this.written.has(descriptor.digest);
  }

  putBlob(descriptor: Descriptor, content: Readable): Promise<void> {
    return this.mutex.run(async () => {
      this.checkOpen();
      if (this.written.has(descriptor.digest)) {
        content.resume();
        return;
      }
      await this.ensureDirs(descriptor.digest);
      try {
        await this.tar.addStream(blobPath(descriptor.digest), verifiedStream(content, descriptor.digest, descriptor.size));
      } catch (error) {
        content.destroy();
        throw fsError(error, `${this.what}: writing blob ${descriptor.digest}`);
      }
      this.written.add(descriptor.digest);
    });
  }

  putManifest(manifest: ManifestBlob, options: PutManifestOptions = {}): Promise<void> {
    return this.mutex.run(async () => {
      this.checkOpen();
      if (manifest.bytes.length > MAX_MANIFEST_BYTES) throw new ImageError('MANIFEST_INVALID', `manifest ${manifest.digest} is over the size limit`);
      verifyBytes(manifest.bytes, manifest.digest, `manifest ${manifest.digest}`);
      if (!this.written.has(manifest.digest)) {
        await this.ensureDirs(manifest.digest);
        await this.tar.addBytes(blobPath(manifest.digest), manifest.bytes);
        this.written.add(manifest.digest);
      }
      if (!options.instance) this.top = manifest;
    });
  }

  commit(): Promise<void> {
    return this.mutex.run(async () => {
      this.checkOpen();
      if (!this.top) throw new ImageError('MANIFEST_INVALID', `${this.what}: commit without a manifest`);
      const index = mergeIndex(undefined, indexEntryFor(this.top, this.reference.ref), this.reference.ref);
      try {
        await this.tar.addBytes(INDEX_FILE, Buffer.from(JSON.stringify(index)));
        await this.tar.addBytes(LAYOUT_FILE, Buffer.from(LAYOUT_BYTES));
        await this.tar.finish();
        await this.output.commit();
      } catch (error) {
        throw fsError(error, this.what);
      }
      this.committed = true;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.mutex.run(async () => {
      await this.tar.close();
      if (!this.committed) await this.output.discard();
    });
  }

  private checkOpen(): void {
    if (this.closed || this.committed) throw new ImageError('IO_ERROR', `${this.what}: destination already ${this.committed ? 'committed' : 'closed'}`);
  }

  private async ensureDirs(digest: Digest): Promise<void> {
    for (const dir of ['blobs', `blobs/${digestAlgorithm(digest)}`]) {
      if (this.dirs.has(dir)) continue;
      await this.tar.addDirectory(dir);
      this.dirs.add(dir);
    }
  }
}

export function openOciArchiveDestination(reference: OciArchiveReference): Promise<OciArchiveDestination> {
  return OciArchiveDestination.open(reference);
}
