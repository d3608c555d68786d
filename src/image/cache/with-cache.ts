/**
 * withBlobCache: an ImageSource whose blobs come from the local cache when
 * there, and otherwise from the wrapped source, teed into the cache while the
 * caller reads. The copy only becomes a cache entry once the whole blob has
 * streamed and verified; a caller that stops early, or a failed verification,
 * leaves no trace. Failing to write the cache (disk full…) never fails the
 * read: the blob simply is not cached. Manifests are not cached (tags move).
 * Closing a source that stored blobs trims the cache to its size bound
 * (once per command, not per blob; a failed trim never fails the command).
 */
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import type { Digest, Descriptor } from '../../core/index.js';
import type { ImageSource, ManifestBlob } from '../types.js';
import type { BlobCache, CacheWrite } from './blob-cache.js';
import { verifiedStream } from '../transports/local/verify.js';

export interface CachedImageSource extends ImageSource {
  /** Counts, for progress and tests. */
  readonly stats: { hits: number; misses: number; stored: number };
}

export function withBlobCache(source: ImageSource, cache: BlobCache): CachedImageSource {
  const stats = { hits: 0, misses: 0, stored: 0 };
  return {
    reference: source.reference,
    stats,
    getManifest(digest?: Digest): Promise<ManifestBlob> {
      return source.getManifest(digest);
    },
    async getBlob(descriptor: Descriptor): Promise<Readable> {
      const cached = await cache.get(descriptor);
      if (cached) {
        stats.hits++;
        return cached;
      }
      stats.misses++;
      const upstream = await source.getBlob(descriptor);
      let write: CacheWrite | undefined;
      try {
        write = await cache.begin(descriptor);
      } catch {
        write = undefined;
      }
      if (!write) return upstream;
      const tee = new TeeToCache(write, () => stats.stored++);
      // Verified here too, so the cache never trusts the source's own checking.
      pipeline(verifiedStream(upstream, descriptor.digest, descriptor.size), tee, () => undefined);
      return tee;
    },
    async close(): Promise<void> {
      await source.close();
      if (stats.stored > 0) await cache.trim().catch(() => undefined);
    },
  };
}

/** Passes chunks through after writing each to the cache file (so memory stays bounded). */
class TeeToCache extends Transform {
  private failed = false;

  constructor(
    private readonly entry: CacheWrite,
    private readonly onStored: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.failed) {
      done(null, chunk);
      return;
    }
    this.entry.write(chunk).then(
      () => done(null, chunk),
      () => {
        this.failed = true;
        void this.entry.abort();
        done(null, chunk);
      },
    );
  }

  override _flush(done: TransformCallback): void {
    // Upstream's verifier has already flushed successfully when we get here.
    if (this.failed) {
      done();
      return;
    }
    this.entry.finishWrites().then(
      (ok) => {
        if (ok) this.onStored();
        done();
      },
      () => done(),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void this.entry.abort().finally(() => callback(error));
  }
}
