/**
 * Recognising and undoing layer compression by the stream's first bytes,
 * not by the media type: docker-archive sources label uncompressed layers
 * with the gzip media type (as containers/image does), so the bytes are the
 * only thing to trust. gzip via node:zlib, zstd via libzstd (core/zstd.ts);
 * both honour back-pressure, so a bomb streams in bounded memory.
 */
import { pipeline, Readable, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ZstdDecompress } from '../../../core/index.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

export function decompressor(kind: Exclude<Compression, 'none'>): Transform {
  return kind === 'gzip' ? createGunzip() : new ZstdDecompress();
}

/**
 * Looks at the first bytes of `source` and returns the stream of its
 * uncompressed bytes (the source itself, re-assembled, when it is not
 * compressed), with the compression found.
 */
export async function autoDecompress(source: AsyncIterable<Uint8Array>): Promise<{ compression: Compression; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let done = false;
  while (headLength < 4) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const buf = Buffer.from(next.value);
    head.push(buf);
    headLength += buf.length;
  }
  const compression = sniffCompression(Buffer.concat(head));
  async function* replay(): AsyncGenerator<Buffer> {
    for (const chunk of head) yield chunk;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.from(next.value);
    }
  }
  const raw = Readable.from(replay(), { objectMode: false });
  if (compression === 'none') return { compression, stream: raw };
  const inflate = decompressor(compression);
  // pipeline (not pipe) keeps an error listener on both ends, so a late verification
  // error after the consumer gave up cannot surface as an uncaught exception.
  return { compression, stream: pipeline(raw, inflate, () => undefined) };
}
