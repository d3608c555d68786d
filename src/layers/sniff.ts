/**
 * Is this blob a filesystem layer? Decided from its bytes, not its declared
 * media type, because the registry must not let a pusher turn a runnable
 * image into an unscanned "artifact" by renaming its layers: a blob whose
 * first 512 bytes (after gzip or zstd, when its magic says so) are a valid
 * tar header block is a layer, whatever it claims to be.
 *
 * Bounded: at most `MAX_SNIFF_INPUT` compressed bytes are read and 512
 * decompressed bytes kept. When that is not enough to tell (a zstd first
 * block larger than the budget), the answer is 'unknown', which callers
 * treat as a layer (fail closed).
 */
import type { Readable } from 'node:stream';
import { decompressor, peek, sniffCompression } from './decompress.js';

export type LayerSniff = 'tar' | 'not-tar' | 'unknown';

const BLOCK = 512;
export const MAX_SNIFF_INPUT = 256 * 1024;

/** Reads the head of `source` (and destroys it) to tell whether it is a tar stream. */
export async function sniffLayer(source: Readable): Promise<LayerSniff> {
  try {
    const { head, stream } = await peek(source, 4);
    const compression = sniffCompression(head);
    if (compression === 'none') return isTarHeader(await firstBytes(stream, BLOCK)) ? 'tar' : 'not-tar';
    const inflate = decompressor(compression)!;
    let fed = 0;
    stream.on('data', (chunk: Buffer) => {
      fed += chunk.length;
      if (fed > MAX_SNIFF_INPUT) stream.destroy();
    });
    stream.on('error', (error: Error) => inflate.destroy(error));
    stream.on('close', () => inflate.end());
    stream.pipe(inflate);
    let block: Buffer;
    try {
      block = await firstBytes(inflate, BLOCK);
    } catch {
      // Corrupt, or the budget ran out before a whole block came out.
      return 'unknown';
    } finally {
      inflate.destroy();
      stream.destroy();
    }
    if (block.length < BLOCK) return fed > MAX_SNIFF_INPUT ? 'unknown' : 'not-tar';
    return isTarHeader(block) ? 'tar' : 'not-tar';
  } finally {
    source.destroy();
  }
}

/** A tar header block: the checksum field matches (POSIX ustar, GNU and v7 alike), or an all-zero end block. */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < BLOCK) return false;
  let zero = true;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    if (block[i] !== 0) zero = false;
    sum += byte;
  }
  if (zero) return true;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]{1,7}$/.test(field)) return false;
  return parseInt(field, 8) === sum;
}

/** The first `n` bytes (fewer only when the stream ends first). */
async function firstBytes(stream: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    chunks.push(buf);
    length += buf.length;
    if (length >= n) break;
  }
  return Buffer.concat(chunks, length).subarray(0, n);
}
