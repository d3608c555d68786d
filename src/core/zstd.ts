/**
 * Streaming zstd decompression that honours back-pressure: at most one
 * output chunk (256 KiB) is produced ahead of the reader, whatever the
 * compression ratio, so a small hostile stream that expands to gigabytes
 * (a "zstd bomb") costs the same memory as every other stream.
 *
 * Why this and not a library's stream. The decoder is libzstd (1.5.7,
 * statically linked by the `zstd-napi` Node-API binding, built from its bundled
 * source by node-gyp when no prebuilt binary can be downloaded). Its
 * high-level `DecompressStream`, like fzstd's streaming `Decompress` (pure
 * JS, used before), decodes a whole input chunk in one synchronous call and
 * pushes every output chunk without looking at `push()`'s answer, so a 64 KiB
 * read of a bomb became gigabytes of queued Buffers. Here the low-level
 * `DCtx.decompressStream(dst, src)` (ZSTD_decompressStream: fills at most
 * `dst`, says how much of `src` it used) is driven one output chunk at a
 * time; when `push()` answers false the decoder keeps its place in the input
 * chunk and resumes from `_read()`, when the reader wants more. Node 22's
 * `zlib.createZstdDecompress` would do the same natively; this project
 * supports Node 20, which has none; the WebAssembly builds on npm decode
 * whole buffers only.
 *
 * Measured (bench/bombs.ts, figures in bench/README.md): `portcullis inspect`
 * of a 66 KiB zstd layer that expands to 2 GiB peaked at 2,117 MB RSS with
 * fzstd and 101 MB with this; a 10 GiB zstd bomb at 120 MB. Decoding the
 * Debian 12 layer recompressed with `zstd -3` (121 MB of tar): 728 MB/s
 * against fzstd's 119 MB/s (6.1×; the `zstd` CLI: 1,050 MB/s).
 *
 * Memory per stream: one output chunk, libzstd's window (at most 2^27 =
 * 128 MiB, libzstd's default `windowLogMax`, which every level of the `zstd`
 * CLI short of `--long=28` and up fits in; a frame asking for more fails as
 * corrupt instead of allocating it) and its ~100 KiB of tables.
 *
 * The native binding is loaded on first use, so commands that never meet a
 * zstd stream do not need it.
 */
import { createRequire } from 'node:module';
import { Transform, type TransformCallback } from 'node:stream';
import type * as Binding from 'zstd-napi/binding.js';
import { CoreError } from './errors.js';

/** Output chunk size: the same as the gzip path's (node:zlib with chunkSize 256 KiB). */
export const ZSTD_CHUNK_BYTES = 256 * 1024;

export type ZstdFailure = 'truncated' | 'corrupt';

export interface ZstdDecompressOptions {
  /** Makes the error for a stream that ends inside a frame ('truncated') or holds invalid data ('corrupt'). */
  error?: (kind: ZstdFailure, message: string, cause?: unknown) => Error;
}

let binding: typeof Binding | undefined;

function loadBinding(): typeof Binding {
  if (!binding) {
    try {
      binding = createRequire(import.meta.url)('zstd-napi/binding') as typeof Binding;
    } catch (error) {
      throw new Error(`zstd support is not installed (the zstd-napi native module did not load; reinstall portcullis): ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return binding;
}

const EMPTY = Buffer.alloc(0);

function defaultError(kind: ZstdFailure, message: string, cause?: unknown): Error {
  return new CoreError(kind === 'truncated' ? 'TRUNCATED' : 'CORRUPT', message, cause === undefined ? undefined : { cause });
}

/** zstd frames in, their uncompressed bytes out, never more than one chunk ahead of the reader. */
export class ZstdDecompress extends Transform {
  private readonly ctx: Binding.DCtx;
  private readonly makeError: NonNullable<ZstdDecompressOptions['error']>;
  private out = Buffer.allocUnsafe(ZSTD_CHUNK_BYTES);
  /** The input chunk being decoded, and how far. */
  private input: Buffer = EMPTY;
  private offset = 0;
  /** The write callback of that chunk, held until all of it is decoded. */
  private pending: TransformCallback | undefined;
  /** Stopped because the reader is full; `_read` resumes. */
  private paused = false;
  /** Inside a frame (libzstd's last answer was not 0): ending here is a truncation. */
  private inFrame = false;
  /** The last call filled the output inside a frame: call again before the chunk counts as done. */
  private flushing = false;

  constructor(options: ZstdDecompressOptions = {}) {
    super();
    this.ctx = new (loadBinding().DCtx)();
    this.makeError = options.error ?? defaultError;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.input = chunk;
    this.offset = 0;
    this.pending = callback;
    this.decode();
  }

  override _read(size: number): void {
    if (this.paused) {
      this.paused = false;
      this.decode();
      if (this.paused) return;
    }
    // Transform's own _read releases a write callback it held back while the reader was full
    // (the chunk just finished may have been handed to it that way).
    super._read(size);
  }

  override _flush(callback: TransformCallback): void {
    if (this.inFrame) callback(this.makeError('truncated', 'zstd stream ends before its last frame is complete'));
    else callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.input = EMPTY;
    this.pending = undefined;
    super._destroy(error, callback);
  }

  /** Decodes the current input chunk until it is used up or the reader is full. */
  private decode(): void {
    while (this.pending !== undefined && !this.destroyed) {
      if (this.offset >= this.input.length && !this.flushing) {
        this.finishChunk();
        return;
      }
      let ret: number;
      let produced: number;
      let consumed: number;
      try {
        [ret, produced, consumed] = this.ctx.decompressStream(this.out, this.input.subarray(this.offset));
      } catch (error) {
        this.finishChunk(this.makeError('corrupt', `invalid zstd data: ${(error as Error).message}`, error));
        return;
      }
      this.offset += consumed;
      this.inFrame = ret !== 0;
      // A full output buffer inside a frame may hide more output for the input already given: call again first.
      this.flushing = produced === this.out.length && ret !== 0;
      if (produced > 0 && !this.push(this.output(produced))) {
        this.paused = true;
        return;
      }
    }
  }

  private finishChunk(error?: Error): void {
    const callback = this.pending;
    this.pending = undefined;
    this.input = EMPTY;
    callback?.(error);
  }

  /** The produced bytes as a Buffer the stream may keep: large ones hand over the buffer, small ones are copied. */
  private output(produced: number): Buffer {
    if (produced * 2 < this.out.length) return Buffer.from(this.out.subarray(0, produced));
    const chunk = this.out.subarray(0, produced);
    this.out = Buffer.allocUnsafe(ZSTD_CHUNK_BYTES);
    return chunk;
  }
}
