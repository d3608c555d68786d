/**
 * One layer as a stream of entries: blob → (sniffed) decompressor → a meter
 * that hashes and counts the uncompressed tar (the diffID) → tar-stream →
 * LayerEntry values, each validated on the way (path.ts, links.ts). Nothing
 * is buffered beyond the stream's own high-water marks and nothing touches
 * the disk; a regular file's content is offered to the visitor as an async
 * iterable of chunks and skipped when the visitor does not read it.
 *
 * This is the per-layer view: every entry of the layer, deleted-later files
 * included (what secret scanning needs), with no merging. `measureLayer` is
 * the same walk with no visitor: it gives sizes and the diffID and proves every
 * entry name safe, which is what `inspect` uses.
 */
import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { extract as tarExtract, type Extract } from 'tar-stream';
import type { Digest, LayerOrigin, LayerCompression } from '../core/index.js';
import { declaredCompression, decompressor, peek, sniffCompression, toLayerError } from './decompress.js';
import { LayerError } from './errors.js';
import { entryFromHeader, type LayerEntry } from './tar.js';

type TarEntry = Extract extends AsyncIterable<infer S> ? S : never;

const TAR_BLOCK = 512;

/** A layer to read: where it sits in the image, its media type, and its blob. */
export interface LayerInput {
  readonly origin: LayerOrigin;
  readonly mediaType: string;
  /** The compressed blob, already verified against its digest by the transport. */
  open(): Promise<Readable>;
}

export interface LayerStats {
  /** Bytes of the blob as stored. */
  readonly compressedSize: number;
  /** Bytes of the uncompressed tar. */
  readonly uncompressedSize: number;
  /** sha256 of the uncompressed tar, computed while streaming. */
  readonly diffId: Digest;
  /** Tar entries met (the root entry and whiteout markers included). */
  readonly entries: number;
  /** What the bytes turned out to be. */
  readonly compression: LayerCompression;
  /** What the media type said. */
  readonly declaredCompression: LayerCompression;
}

/** A regular file's bytes, streamed once. Leaving it unread (or half read) is fine. */
export type EntryContent = AsyncIterable<Buffer>;

export type EntryVisitor = (entry: LayerEntry, content?: EntryContent) => Promise<void> | void;

export interface ReadLayerOptions {
  signal?: AbortSignal;
  /** Non-fatal findings (a media type that lies about the compression, …). */
  onWarning?: (message: string) => void;
}

/** How a layer is named in messages: `layer 2 (sha256:0123456789ab)`. */
export function describeLayer(origin: LayerOrigin): string {
  return `layer ${origin.index} (${origin.digest.slice(0, 19)})`;
}

/** The warning for a media type that names another compression than the blob's bytes have. */
export function compressionWarning(layer: LayerInput, declared: LayerCompression, actual: LayerCompression): string {
  return `${describeLayer(layer.origin)}: media type ${layer.mediaType} declares ${declared} but the blob is ${actual}; read as ${actual}`;
}

/**
 * Streams every entry of one layer to `visit`, in tar order, and answers the
 * layer's sizes and diffID. Throws LayerError (LAYER_TRUNCATED,
 * LAYER_CORRUPT, LAYER_UNSAFE_PATH, LAYER_UNSAFE_LINK, LAYER_MEDIA_TYPE,
 * LAYER_ABORTED) or whatever `visit` throws.
 */
export async function forEachEntry(layer: LayerInput, visit: EntryVisitor, options: ReadLayerOptions = {}): Promise<LayerStats> {
  const what = describeLayer(layer.origin);
  const declared = declaredCompression(layer.mediaType, what);
  const signal = options.signal;
  throwIfAborted(signal, what);
  const raw = await layer.open();
  let source: Readable;
  let head: Buffer;
  try {
    ({ head, stream: source } = await peek(raw, 4));
  } catch (error) {
    raw.destroy();
    throw error;
  }
  const compression = sniffCompression(head);
  if (compression !== declared) options.onWarning?.(compressionWarning(layer, declared, compression));

  const meter = new Meter();
  const counter = new Counter();
  const decoder = decompressor(compression);
  const extract = tarExtract();
  let pipeError: unknown;
  const piped = new Promise<void>((resolve) => {
    const stages = decoder ? [source, counter, decoder, meter] : [source, counter, meter];
    const tail = pipeline(stages as [Readable, ...Transform[]], (error) => {
      if (error) {
        pipeError ??= error;
        extract.destroy(error);
      }
      resolve();
    });
    (tail as unknown as Readable).pipe(extract as unknown as NodeJS.WritableStream);
  });
  const onAbort = (): void => {
    source.destroy(new LayerError('LAYER_ABORTED', `${what}: cancelled`));
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  let entries = 0;
  /** Offset just past the last entry's content (0 before the first), to tell a missing trailer from a cut entry. */
  let lastDataEnd = 0;
  let failure: unknown;
  try {
    for await (const tarEntry of extract) {
      throwIfAborted(signal, what);
      entries += 1;
      const dataStart = (tarEntry.header as { byteOffset?: number }).byteOffset;
      lastDataEnd = typeof dataStart === 'number' ? dataStart + (tarEntry.header.size ?? 0) : Number.POSITIVE_INFINITY;
      const entry = entryFromHeader(tarEntry.header, what);
      if (entry?.kind === 'file') {
        const content = new ContentReader(tarEntry);
        await visit(entry, content);
        await content.finish();
      } else {
        if (entry) await visit(entry);
        tarEntry.resume();
      }
    }
  } catch (error) {
    failure = error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined && pipeError === undefined && endsAfterCompleteEntries(failure, lastDataEnd, meter)) {
    // Every entry is whole; only block padding and/or the end-of-archive blocks
    // are missing or cut (umoci insert and other writers end tars so; Docker,
    // containerd and Trivy read them). Nothing is lost: read it, silently. An
    // entry cut short is not this case and stays LAYER_TRUNCATED, and a tar cut
    // at an entry boundary is caught by the diffID check.
    failure = undefined;
  }
  if (failure !== undefined) {
    // A decompression error that stopped the tar side is the cause; otherwise the tar side's own error is.
    const cause = pipeError ?? failure;
    // Tear the whole chain down: the tail no longer has a reader once the tar side stopped.
    source.destroy();
    meter.destroy();
    await piped;
    throw toLayerError(cause, what);
  }
  await piped;
  if (pipeError !== undefined) throw toLayerError(pipeError, what);
  return {
    compressedSize: counter.bytes,
    uncompressedSize: meter.bytes,
    diffId: meter.digest(),
    entries,
    compression,
    declaredCompression: declared,
  };
}

export interface MeasureOptions extends ReadLayerOptions {
  /** The config's rootfs.diff_ids entry for this layer: a different hash → LAYER_DIFFID_MISMATCH. */
  expectedDiffId?: Digest;
}

/** Sizes and diffID of a layer, with every entry name checked; reads no content into memory. */
export async function measureLayer(layer: LayerInput, options: MeasureOptions = {}): Promise<LayerStats> {
  const stats = await forEachEntry(layer, () => undefined, options);
  if (options.expectedDiffId !== undefined) checkDiffId(layer.origin, stats.diffId, options.expectedDiffId);
  return stats;
}

/** Throws LAYER_DIFFID_MISMATCH unless the computed diffID is the expected one. */
export function checkDiffId(origin: LayerOrigin, actual: Digest, expected: Digest): void {
  if (actual !== expected) {
    throw new LayerError(
      'LAYER_DIFFID_MISMATCH',
      `${describeLayer(origin)}: uncompressed content hashes to ${actual}, but the image config says ${expected}`,
    );
  }
}

/**
 * Reads a content iterable into one Buffer when it is at most `maxBytes`;
 * undefined (and the rest left unread) when it is larger.
 */
export async function readContent(content: EntryContent, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of content) {
    total += chunk.length;
    if (total > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}

/**
 * True when tar-stream's "Unexpected end of data" came after the last
 * entry's content was complete and everything after it is zeros (padding,
 * end-of-archive blocks, or a part of them): no header or content is cut.
 */
function endsAfterCompleteEntries(failure: unknown, lastDataEnd: number, meter: Meter): boolean {
  if (!(failure instanceof Error) || failure.message !== 'Unexpected end of data') return false;
  if (meter.bytes < lastDataEnd) return false;
  // Bytes after the last entry's content are either full blocks tar-stream already read as
  // (all-zero) end-of-archive headers, or within the meter's last 512 bytes: check those.
  return meter.zeroFrom(lastDataEnd);
}

function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new LayerError('LAYER_ABORTED', `${what}: cancelled`);
}

/**
 * A tar entry's bytes as an async iterable that, unlike the entry stream
 * itself, never tears the whole tar down when the reader stops early: the rest
 * is drained by finish() before the next entry.
 */
class ContentReader implements EntryContent {
  private iterator: AsyncIterator<Buffer> | undefined;
  private done = false;

  constructor(private readonly entry: TarEntry) {}

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.iterator) throw new Error('entry content can be read once');
    const inner = (this.entry as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    this.iterator = inner;
    return {
      next: async () => {
        if (this.done) return { done: true, value: undefined };
        const result = await inner.next();
        if (result.done) this.done = true;
        return result;
      },
      return: async () => ({ done: true, value: undefined }),
    };
  }

  async finish(): Promise<void> {
    if (this.done) return;
    if (!this.iterator) {
      this.done = true;
      this.entry.resume();
      return;
    }
    for (;;) {
      const result = await this.iterator.next();
      if (result.done) break;
    }
    this.done = true;
  }
}

/** Counts bytes passing through. */
class Counter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/** Counts and sha256-hashes bytes passing through: the diffID of an uncompressed tar. Keeps the last block seen. */
class Meter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private tail: Buffer = Buffer.alloc(0);
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    // A copy (512 bytes a chunk): an upstream stage may reuse its buffers.
    this.tail = Buffer.from(chunk.length >= TAR_BLOCK ? chunk.subarray(chunk.length - TAR_BLOCK) : Buffer.concat([this.tail, chunk]).subarray(-TAR_BLOCK));
    done(null, chunk);
  }
  /** True when every byte from `offset` to the end that is still within the last block seen is zero. */
  zeroFrom(offset: number): boolean {
    const tailStart = this.bytes - this.tail.length;
    for (let i = Math.max(0, offset - tailStart); i < this.tail.length; i++) if (this.tail[i] !== 0) return false;
    return true;
  }
  digest(): Digest {
    return `sha256:${this.hash.digest('hex')}`;
  }
}
