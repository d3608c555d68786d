/**
 * bzip2 decoding as a stream of Buffers, capped per output byte. Node's
 * zlib has no bzip2; the block decoder is unbzip2-stream's (`lib/bzip2.js`,
 * the most used JavaScript bzip2 decoder on npm; `seek-bzip` and the
 * WebAssembly ports decode a whole buffer at once). Its own stream wrapper
 * is not used: it collects each block's output in a JavaScript array of
 * numbers before passing it on, and one hostile block expands to ~46 MB
 * (900 kB of run-length codes), so a 79-byte bomb cost 697 MB of RSS before
 * the cap could see it. Here every output byte goes into 64 KiB Buffers and
 * counts against `maxBytes`; past it the decoder stops inside the block
 * (that bomb: 57 MB, 29 ms), and decoding is 3× faster than through the
 * wrapper (bench/README.md "Oracle ELSA OVAL").
 * The driving (enough input queued for a whole block, then one block at a
 * time; concatenated streams; the end-of-stream CRC) follows the wrapper's.
 */
import bzip2 from 'unbzip2-stream/lib/bzip2.js';
import bitIterator, { type BitReader } from 'unbzip2-stream/lib/bit_iterator.js';

/** Thrown when the output would pass `maxBytes`. */
export class Bzip2LimitError extends Error {}

const CHUNK = 1 << 16;

class Output {
  #buf = Buffer.allocUnsafe(CHUNK);
  #pos = 0;
  #total = 0;
  #ready: Buffer[] = [];
  constructor(readonly maxBytes: number) {}

  readonly byte = (b: number): void => {
    if (++this.#total > this.maxBytes) throw new Bzip2LimitError(`over ${this.maxBytes} bytes`);
    if (this.#pos === CHUNK) {
      this.#ready.push(this.#buf);
      this.#buf = Buffer.allocUnsafe(CHUNK);
      this.#pos = 0;
    }
    this.#buf[this.#pos++] = b;
  };

  /** The full chunks so far, and with `all` the partial one. */
  take(all = false): Buffer[] {
    if (all && this.#pos > 0) {
      this.#ready.push(this.#buf.subarray(0, this.#pos));
      this.#buf = Buffer.allocUnsafe(CHUNK);
      this.#pos = 0;
    }
    const out = this.#ready;
    this.#ready = [];
    return out;
  }
}

/**
 * The decoded bytes of the bzip2 data `input` yields. Throws Bzip2LimitError
 * past `maxBytes`, and an Error for corrupt or truncated data.
 */
export async function* bunzip2(input: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let reader: BitReader | undefined;
  let blockSize = 0;
  let streamCrc: number | null = null;
  let table: Int32Array | undefined;
  const out = new Output(maxBytes);
  const next = (): Buffer => {
    const b = queue.shift();
    if (!b) throw new Error('the data ends in the middle of a block');
    return b;
  };
  const step = (bits: BitReader): void => {
    if (blockSize === 0) {
      blockSize = bzip2.header(bits);
      streamCrc = 0;
      return;
    }
    const size = 100_000 * blockSize;
    if (table?.length !== size) table = new Int32Array(size);
    streamCrc = bzip2.decompress(bits, out.byte, table, size, streamCrc ?? 0);
    if (streamCrc === null) blockSize = 0; // end of this stream; another may follow
  };
  for await (const chunk of input) {
    queue.push(chunk);
    queued += chunk.length;
    reader ??= bitIterator(next);
    while (queued - reader.bytesRead + 1 >= 25_000 + 100_000 * blockSize) {
      step(reader);
      yield* out.take();
    }
  }
  while (reader && queued > reader.bytesRead) {
    step(reader);
    yield* out.take();
  }
  if (streamCrc !== null) throw new Error('the data ends before the end-of-stream marker');
  yield* out.take(true);
}
