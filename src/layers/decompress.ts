/**
 * Layer decompression. The media type says what the blob should be
 * (`layerCompression()`), the first bytes say what it is: gzip `1f 8b`, zstd
 * `28 b5 2f fd`, anything else is taken as a plain tar. The bytes win, so a
 * mislabelled layer (a gzip blob typed `+zstd`, or `.tar` that is gzipped)
 * still reads; the caller gets both answers to warn about the mismatch.
 *
 * gzip uses node:zlib (native, off the main thread, 256 KiB output chunks:
 * measured 25-35% less wall time than 64 KiB on the Debian layer, fewer
 * callbacks and buffers); zstd uses libzstd through core/zstd.ts, which, like
 * node:zlib, produces no more than one output chunk ahead of the reader, so a
 * decompression bomb streams in bounded memory (measured: bench/README.md). Errors
 * become LayerError codes: a stream that ends early is LAYER_TRUNCATED, bad
 * bytes are LAYER_CORRUPT.
 */
import { Readable, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { layerCompression, type LayerCompression, ZstdDecompress } from '../core/index.js';
import { LayerError } from './errors.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** The compression the first bytes show ('none' when they are no known magic). */
export function sniffCompression(head: Uint8Array): LayerCompression {
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  return 'none';
}

/** The compression a layer media type declares; throws LAYER_MEDIA_TYPE for a type that is not a tar layer. */
export function declaredCompression(mediaType: string, what: string): LayerCompression {
  const declared = layerCompression(mediaType);
  if (declared) return declared;
  // Docker's uncompressed layer type (docker-archive, `docker save`) and other tar-ish types: let the bytes decide.
  if (/(^|[.+/])tar([.+;]|$)/.test(mediaType) || mediaType.endsWith('.tar.gzip') || mediaType.endsWith('.tar.zstd')) {
    return /gzip$/.test(mediaType) ? 'gzip' : /zstd$/.test(mediaType) ? 'zstd' : 'none';
  }
  throw new LayerError('LAYER_MEDIA_TYPE', `${what}: media type "${mediaType}" is not an image layer`);
}

export interface Peeked {
  /** Up to the requested number of leading bytes. */
  readonly head: Buffer;
  /** A stream that yields everything from the first byte again. */
  readonly stream: Readable;
}

/** Reads the first `n` bytes of a paused stream without losing them. */
export async function peek(source: Readable, n: number): Promise<Peeked> {
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < n && !ended) {
    const chunk = source.read() as Buffer | null;
    if (chunk !== null) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buf);
      length += buf.length;
      continue;
    }
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        source.off('readable', onReadable);
        source.off('end', onEnd);
        source.off('error', onError);
      };
      const onReadable = (): void => {
        cleanup();
        resolve();
      };
      const onEnd = (): void => {
        ended = true;
        cleanup();
        resolve();
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(error);
      };
      source.on('readable', onReadable);
      source.on('end', onEnd);
      source.on('error', onError);
      if (source.readableEnded) onEnd();
    });
  }
  const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
  if (ended || source.readableEnded) return { head: all.subarray(0, n), stream: Readable.from(all.length > 0 ? [all] : []) };
  if (all.length > 0) source.unshift(all);
  return { head: all.subarray(0, n), stream: source };
}

/** The Transform that undoes `compression` (none for 'none'). */
export function decompressor(compression: LayerCompression): Transform | undefined {
  switch (compression) {
    case 'gzip':
      return createGunzip({ chunkSize: 256 * 1024 });
    case 'zstd':
      return new ZstdDecompressor();
    case 'none':
      return undefined;
  }
}

/** libzstd's streaming decoder as a Node Transform with back-pressure; failures are LayerErrors. */
export class ZstdDecompressor extends ZstdDecompress {
  constructor() {
    super({
      error: (kind, message, cause) =>
        new LayerError(kind === 'truncated' ? 'LAYER_TRUNCATED' : 'LAYER_CORRUPT', message, cause === undefined ? undefined : { cause }),
    });
  }
}

/**
 * Maps what decompression and tar parsing throw to LayerError codes, naming
 * the layer. LayerErrors and unrelated errors (I/O, aborts) pass through.
 */
export function toLayerError(error: unknown, what: string): unknown {
  if (error instanceof LayerError) {
    return error.message.startsWith(what) ? error : new LayerError(error.code, `${what}: ${error.message}`, { cause: error.cause });
  }
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (e.code === 'Z_BUF_ERROR' || message === 'unexpected end of file') {
    return new LayerError('LAYER_TRUNCATED', `${what}: gzip stream ends early`, { cause: error });
  }
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
    return new LayerError('LAYER_CORRUPT', `${what}: invalid gzip data (${message})`, { cause: error });
  }
  if (message === 'Unexpected end of data') {
    return new LayerError('LAYER_TRUNCATED', `${what}: tar stream ends in the middle of an entry`, { cause: error });
  }
  if (/^Invalid tar header|^Header exceeds max size|^Invalid header|^Unknown format|^Invalid pax/i.test(message)) {
    return new LayerError('LAYER_CORRUPT', `${what}: invalid tar data (${message})`, { cause: error });
  }
  return error;
}

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  if (head.length < magic.length) return false;
  return magic.every((b, i) => head[i] === b);
}
