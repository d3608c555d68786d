/**
 * Writing into an OCI layout directory (created with its `oci-layout` file
 * when missing). Blobs and manifests go to temp files beside their final
 * place (`blobs/<alg>/.tmp-…`), verified while they stream; nothing gets its
 * final name before commit, which renames the blobs into place and then
 * replaces index.json atomically (temp + rename), keeping the other entries.
 * close() without commit deletes the temp files and any directory it created,
 * so an existing layout is left exactly as it was.
 *
 * Like containers/image, there is no lock: two writers committing to the same
 * layout at once may lose one index.json update (never corrupt it).
 */
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  DigestVerifier,
  verifiedDigestOf,
  verifyBytes,
  type Digest,
  MAX_MANIFEST_BYTES,
  type Descriptor,
  type ImageIndex,
  MediaType,
  appendAll,
  pipeIntoFile,
} from '../../../core/index.js';
import { ImageError } from '../../errors.js';
import type { ImageDestination, ManifestBlob, PutManifestOptions } from '../../types.js';
import { fsError, randomSuffix, readSmallFile, removeQuietly, statOrUndefined, writeFileAtomic } from '../local/files.js';
import {
  blobPath,
  checkLayoutFile,
  INDEX_FILE,
  indexEntryFor,
  LAYOUT_BYTES,
  LAYOUT_FILE,
  mergeIndex,
  parseLayoutIndex,
} from './layout.js';
import type { OciLayoutReference } from './transport.js';

export class OciLayoutDestination implements ImageDestination {
  /** skopeo and umoci read only OCI media types from a layout's index.json. */
  readonly manifestMediaTypes: readonly string[] = [MediaType.OciManifest, MediaType.OciIndex];
  /** digest → verified temp file waiting for commit. */
  private readonly pending = new Map<Digest, string>();
  private top: ManifestBlob | undefined;
  private committed = false;
  private closed = false;
  private readonly what: string;

  private constructor(
    readonly reference: OciLayoutReference,
    /** Directories this destination created, deepest last; removed (if empty) on abort. */
    private readonly created: string[],
  ) {
    this.what = `oci layout ${reference.path}`;
  }

  static async open(reference: OciLayoutReference): Promise<OciLayoutDestination> {
    const dir = reference.path;
    const created: string[] = [];
    const stat = await statOrUndefined(dir);
    if (stat && !stat.isDirectory()) throw new ImageError('ARCHIVE_INVALID', `oci layout ${dir} exists and is not a directory`);
    if (!stat) {
      const first = await fs.mkdir(dir, { recursive: true }).catch((error: unknown) => {
        throw fsError(error, `oci layout ${dir}`);
      });
      // mkdir -p made every directory from `first` down to `dir`.
      if (first !== undefined) {
        let current = dir;
        const chain: string[] = [];
        while (current.length >= first.length) {
          chain.unshift(current);
          if (current === first) break;
          current = dirname(current);
        }
        appendAll(created, chain);
      }
    } else {
      // An existing layout must be one we understand; an existing plain directory becomes one.
      const layout = await readSmallFile(join(dir, LAYOUT_FILE), 4096, `oci layout ${dir}: oci-layout`);
      if (layout !== undefined) checkLayoutFile(layout, `oci layout ${dir}`);
    }
    return new OciLayoutDestination(reference, created);
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    if (this.pending.has(descriptor.digest)) return true;
    const stat = await statOrUndefined(join(this.reference.path, blobPath(descriptor.digest)));
    return stat !== undefined && stat.isFile() && (descriptor.size < 0 || stat.size === descriptor.size);
  }

  async putBlob(descriptor: Descriptor, content: Readable): Promise<void> {
    this.checkOpen();
    const final = join(this.reference.path, blobPath(descriptor.digest));
    const dir = dirname(final);
    await this.ensureDir(dir);
    const tmp = join(dir, `.tmp-${randomSuffix()}`);
    try {
      // A source stream already verified against this digest fails before its end on a
      // mismatch, which fails this pipeline too: hashing the bytes twice would only halve throughput.
      // pipeIntoFile removes the temp file on failure once it is closed (an open racing the failure left one behind).
      const verify = verifiedDigestOf(content) === descriptor.digest ? [] : [new DigestVerifier(descriptor.digest, { size: descriptor.size, what: `blob ${descriptor.digest}` })];
      await pipeIntoFile(content, verify, tmp);
    } catch (error) {
      throw fsError(error, `${this.what}: writing blob ${descriptor.digest}`);
    }
    const previous = this.pending.get(descriptor.digest);
    this.pending.set(descriptor.digest, tmp);
    if (previous !== undefined) await removeQuietly(previous);
  }

  async putManifest(manifest: ManifestBlob, options: PutManifestOptions = {}): Promise<void> {
    this.checkOpen();
    if (manifest.bytes.length > MAX_MANIFEST_BYTES) throw new ImageError('MANIFEST_INVALID', `manifest ${manifest.digest} is over the size limit`);
    verifyBytes(manifest.bytes, manifest.digest, `manifest ${manifest.digest}`);
    const final = join(this.reference.path, blobPath(manifest.digest));
    const dir = dirname(final);
    await this.ensureDir(dir);
    const tmp = join(dir, `.tmp-${randomSuffix()}`);
    try {
      await fs.writeFile(tmp, manifest.bytes, { flag: 'wx' });
    } catch (error) {
      await removeQuietly(tmp);
      throw fsError(error, `${this.what}: writing manifest ${manifest.digest}`);
    }
    const previous = this.pending.get(manifest.digest);
    this.pending.set(manifest.digest, tmp);
    if (previous !== undefined) await removeQuietly(previous);
    if (!options.instance) this.top = manifest;
  }

  async commit(): Promise<void> {
    this.checkOpen();
    if (!this.top) throw new ImageError('MANIFEST_INVALID', `${this.what}: commit without a manifest`);
    const root = this.reference.path;
    const layoutPath = join(root, LAYOUT_FILE);
    if (!(await statOrUndefined(layoutPath))) await writeFileAtomic(layoutPath, LAYOUT_BYTES);
    try {
      for (const [digest, tmp] of this.pending) {
        await fs.rename(tmp, join(root, blobPath(digest)));
      }
    } catch (error) {
      throw fsError(error, `${this.what}: moving blobs into place`);
    }
    this.pending.clear();
    const indexPath = join(root, INDEX_FILE);
    const existingBytes = await readSmallFile(indexPath, MAX_MANIFEST_BYTES, `${this.what}: index.json`);
    const existing: ImageIndex | undefined = existingBytes ? parseLayoutIndex(existingBytes, this.what) : undefined;
    const merged = mergeIndex(existing, indexEntryFor(this.top, this.reference.ref), this.reference.ref);
    await writeFileAtomic(indexPath, JSON.stringify(merged));
    this.committed = true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const tmp of this.pending.values()) await removeQuietly(tmp);
    this.pending.clear();
    if (!this.committed) {
      // Remove the directories we made, deepest first, only while they are empty.
      for (const dir of [...this.created].reverse()) {
        try {
          await fs.rmdir(dir);
        } catch {
          break;
        }
      }
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new ImageError('IO_ERROR', `${this.what}: destination already closed`);
  }

  private async ensureDir(dir: string): Promise<void> {
    if (await statOrUndefined(dir)) return;
    const root = this.reference.path;
    // Record each directory we create under the root so an abort can remove it.
    const rel = dir.slice(root.length + 1).split('/');
    let current = root;
    for (const part of rel) {
      current = join(current, part);
      try {
        await fs.mkdir(current);
        this.created.push(current);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(error, current);
      }
    }
  }
}

export function openOciLayoutDestination(reference: OciLayoutReference): Promise<OciLayoutDestination> {
  return OciLayoutDestination.open(reference);
}
