/**
 * A content-addressed blob cache on the local disk, shared by every process
 * of the same user: `<root>/blobs/<alg>/<hex>`, root = SystemContext.cacheDir,
 * else `$XDG_CACHE_HOME/portcullis`, else `~/.cache/portcullis`.
 *
 * Writes go to a temp file in the blob's own directory and are renamed into
 * place only once the bytes verified, so a reader never sees a partial blob,
 * and two writers of the same digest (threads or processes) both succeed:
 * each renames identical content over the other's. Reads verify the whole
 * file before handing it out; a file that does not match its digest is
 * deleted and reported as a miss. A hit sets the file's access time, so
 * the size bound (maintenance.ts: least recently used first, default 2 GiB)
 * evicts by real use.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestVerifier, digestAlgorithm, digestHex, isDigest, createDigestHash, pipeIntoFile, type Digest, type Descriptor } from '../../core/index.js';
import { ImageError } from '../errors.js';
import type { SystemContext } from '../types.js';
import { errnoCode, fsError, randomSuffix, removeQuietly } from '../transports/local/files.js';
import { verifiedStream } from '../transports/local/verify.js';
import { DEFAULT_CACHE_MAX_BYTES, trimCache, type RemovalResult } from './maintenance.js';

export interface BlobCacheOptions {
  /** The cache root (blobs live under `<root>/blobs`). */
  root?: string;
  /** Environment to read XDG_CACHE_HOME and HOME from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** The size bound enforced after a command stored blobs (default DEFAULT_CACHE_MAX_BYTES). */
  maxBytes?: number;
}

/** The cache root for a context: cacheDir, else $XDG_CACHE_HOME/portcullis, else ~/.cache/portcullis. */
export function defaultCacheRoot(context: Pick<SystemContext, 'cacheDir' | 'env'> = {}): string {
  if (context.cacheDir) return context.cacheDir;
  const env = context.env ?? process.env;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'portcullis');
  return join(env.HOME || homedir(), '.cache', 'portcullis');
}

export class BlobCache {
  readonly root: string;
  readonly maxBytes: number;

  constructor(options: BlobCacheOptions = {}) {
    this.root = options.root ?? defaultCacheRoot({ env: options.env ?? process.env });
    this.maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  }

  static fromContext(context: SystemContext): BlobCache {
    return new BlobCache({ root: defaultCacheRoot(context), ...(context.cacheMaxBytes !== undefined ? { maxBytes: context.cacheMaxBytes } : {}) });
  }

  /** Evicts the least recently used blobs until the cache is within maxBytes (maintenance.ts). */
  trim(): Promise<RemovalResult> {
    return trimCache(this.root, this.maxBytes);
  }

  /** Where the blob lives (whether or not it is there). */
  path(digest: Digest): string {
    if (!isDigest(digest)) throw new ImageError('REFERENCE_INVALID', `invalid digest "${String(digest)}"`);
    return join(this.root, 'blobs', digestAlgorithm(digest), digestHex(digest));
  }

  /** True when a file of the right size is cached (not verified; get() verifies). */
  async has(descriptor: Descriptor): Promise<boolean> {
    try {
      const stat = await fs.stat(this.path(descriptor.digest));
      return stat.isFile() && (descriptor.size < 0 || stat.size === descriptor.size);
    } catch {
      return false;
    }
  }

  /**
   * The cached blob as a stream verified while it flows, or undefined on a
   * miss. The file is checked against its digest first; a corrupt one is
   * deleted and counts as a miss.
   */
  async get(descriptor: Descriptor): Promise<Readable | undefined> {
    const path = this.path(descriptor.digest);
    let size: number;
    try {
      const stat = await fs.stat(path);
      if (!stat.isFile()) return undefined;
      size = stat.size;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw fsError(error, `blob cache ${path}`);
    }
    if (descriptor.size >= 0 && size !== descriptor.size) {
      await removeQuietly(path);
      return undefined;
    }
    const hash = createDigestHash(descriptor.digest);
    try {
      await pipeline(createReadStream(path), hash);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw fsError(error, `blob cache ${path}`);
    }
    if (hash.digest('hex') !== digestHex(descriptor.digest)) {
      await removeQuietly(path);
      return undefined;
    }
    // Marks the use for LRU eviction; a read-only cache simply keeps its old times.
    const now = new Date();
    await fs.utimes(path, now, now).catch(() => undefined);
    // Verified again while streaming: the file could change between the two reads.
    const stream = verifiedStream(createReadStream(path), descriptor.digest, descriptor.size);
    stream.once('error', () => void removeQuietly(path));
    return stream;
  }

  /** Stores the blob (verified against the descriptor) atomically; a mismatch stores nothing. */
  async put(descriptor: Descriptor, content: Readable | AsyncIterable<Uint8Array>): Promise<void> {
    const writer = await this.begin(descriptor);
    try {
      await pipeIntoFile(content, [new DigestVerifier(descriptor.digest, { size: descriptor.size, what: `blob ${descriptor.digest}` })], writer.tempPath);
    } catch (error) {
      await writer.abort();
      throw error;
    }
    await writer.commit();
  }

  /** Starts a write; used by put() and by withBlobCache's tee. */
  async begin(descriptor: Descriptor): Promise<CacheWrite> {
    const final = this.path(descriptor.digest);
    await fs.mkdir(dirname(final), { recursive: true }).catch((error: unknown) => {
      throw fsError(error, `blob cache ${dirname(final)}`);
    });
    return new CacheWrite(descriptor, final, join(dirname(final), `.tmp-${randomSuffix()}`));
  }

  /** Removes a cached blob (no error when absent). */
  async delete(digest: Digest): Promise<void> {
    await removeQuietly(this.path(digest));
  }
}

/** One blob being written into the cache: bytes go to a temp file, commit renames it into place. */
export class CacheWrite {
  private readonly hash;
  private bytes = 0;
  private handle: fs.FileHandle | undefined;
  private done = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly descriptor: Descriptor,
    private readonly finalPath: string,
    readonly tempPath: string,
  ) {
    this.hash = createHash(digestAlgorithm(descriptor.digest));
  }

  /** Appends a chunk (used by the tee, which verifies upstream and here). */
  write(chunk: Uint8Array): Promise<void> {
    return this.serial(async () => {
      if (this.done) return;
      if (!this.handle) this.handle = await fs.open(this.tempPath, 'wx');
      this.hash.update(chunk);
      this.bytes += chunk.length;
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await this.handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
    });
  }

  /** For write(): checks size and digest of what was written, then renames into place. */
  finishWrites(): Promise<boolean> {
    return this.serial(async () => {
      if (this.done) return false;
      if (!this.handle) this.handle = await fs.open(this.tempPath, 'wx');
      await this.handle.close();
      this.handle = undefined;
      const ok = (this.descriptor.size < 0 || this.bytes === this.descriptor.size) && this.hash.digest('hex') === digestHex(this.descriptor.digest);
      if (!ok) {
        await this.discard();
        return false;
      }
      await this.commit();
      return true;
    });
  }

  async commit(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await fs.rename(this.tempPath, this.finalPath);
    } catch (error) {
      await removeQuietly(this.tempPath);
      throw fsError(error, `blob cache ${this.finalPath}`);
    }
  }

  /** Drops the temp file; waits for a write in flight so none lands after. */
  abort(): Promise<void> {
    return this.serial(() => this.discard());
  }

  private async discard(): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (this.handle) await this.handle.close().catch(() => undefined);
    this.handle = undefined;
    await removeQuietly(this.tempPath);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
