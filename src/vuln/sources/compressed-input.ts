/**
 * A feed file as a stream of its uncompressed bytes, whatever it was
 * shipped as: bzip2 (Oracle's `com.oracle.elsa-all.xml.bz2`), gzip, or
 * plain. The compression is told by the first bytes (`BZh`, `1f 8b`), not
 * the name, and the uncompressed bytes are counted as they come: past
 * `maxBytes` the stream stops with FEED_INVALID (a bomb expands a few KiB to
 * gigabytes).
 *
 * bzip2 is decoded by bzip2.ts (a pure JavaScript block decoder, capped per
 * output byte); gzip by Node's zlib.
 */
import { closeSync, constants, createReadStream, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { bunzip2, Bzip2LimitError } from './bzip2.js';
import { SourceError, messageOf } from './source.js';

/** Default cap on the uncompressed bytes of one feed file (Oracle's ELSA OVAL is a few hundred MB). */
export const MAX_UNCOMPRESSED_BYTES = 4 * 1024 ** 3;

export type Compression = 'bzip2' | 'gzip' | 'none';

/** The compression of a file, from its first bytes. */
export function compressionOf(path: string): Compression {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const head = Buffer.alloc(3);
    const n = readSync(fd, head, 0, 3, 0);
    if (n >= 3 && head.toString('latin1') === 'BZh') return 'bzip2';
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    return 'none';
  } finally {
    closeSync(fd);
  }
}

export interface DecompressOptions {
  /** Uncompressed bytes allowed (default MAX_UNCOMPRESSED_BYTES). */
  readonly maxBytes?: number;
  /** How the file is named in errors (default the path). */
  readonly label?: string;
  readonly signal?: AbortSignal;
}

function decoded(path: string, compression: Compression, maxBytes: number): AsyncIterable<Buffer> & { destroy?(): void } {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  if (compression === 'none') return file;
  if (compression === 'bzip2') return bunzip2(file, maxBytes);
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => file.destroy());
  return file.pipe(gunzip);
}

/**
 * The uncompressed bytes of `path` in chunks. Throws SourceError
 * FEED_INVALID for a corrupt or truncated stream and past `maxBytes`.
 */
export async function* decompressedChunks(path: string, options: DecompressOptions = {}): AsyncGenerator<Buffer> {
  const max = options.maxBytes ?? MAX_UNCOMPRESSED_BYTES;
  const label = options.label ?? path;
  const compression = compressionOf(path);
  const stream = decoded(path, compression, max);
  let total = 0;
  try {
    for await (const chunk of stream) {
      if (options.signal?.aborted) throw new SourceError('ABORTED', 'import aborted', { cause: options.signal.reason });
      total += chunk.length;
      if (total > max) throw new SourceError('FEED_INVALID', `${label}: over the ${max}-byte cap once uncompressed (${compression}); not read`);
      yield chunk;
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    if (error instanceof Bzip2LimitError) throw new SourceError('FEED_INVALID', `${label}: over the ${max}-byte cap once uncompressed (bzip2); not read`);
    throw new SourceError('FEED_INVALID', `${label}: ${compression === 'none' ? 'unreadable' : `corrupt ${compression} data`}: ${messageOf(error)}`, { cause: error });
  } finally {
    stream.destroy?.();
  }
}

/**
 * The first `bytes` (or fewer) uncompressed bytes; empty when the file cannot
 * be decoded. bzip2 hands out whole blocks (at most ~46 MB each), so the cap
 * here is one block's worth, not `bytes`.
 */
export async function decompressedHead(path: string, bytes = 4096): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  try {
    for await (const chunk of decompressedChunks(path, { maxBytes: 64 * 1024 * 1024 })) {
      parts.push(chunk);
      have += chunk.length;
      if (have >= bytes) break;
    }
  } catch {
    // a corrupt file has no recognisable head
  }
  return Buffer.concat(parts).subarray(0, bytes);
}
