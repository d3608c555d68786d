/**
 * Reading untrusted streams into memory, with a hard cap: the read fails as
 * soon as the cap is passed instead of after the whole body has arrived.
 */
import type { Readable } from 'node:stream';
import { CoreError } from './errors.js';

export async function readAllBounded(stream: Readable | AsyncIterable<Uint8Array>, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buf.length;
    if (total > maxBytes) {
      if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
      throw new CoreError('TOO_LARGE', `${what} is larger than the ${maxBytes}-byte limit`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}
