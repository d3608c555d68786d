// Types for the block decoder inside unbzip2-stream 1.4 (lib/bzip2.js, lib/bit_iterator.js), which bzip2.ts drives itself.
declare module 'unbzip2-stream/lib/bit_iterator.js' {
  /** Reads `n` bits (big-endian); `null` aligns to the next byte. Counts the bytes it has started. */
  export interface BitReader {
    (n: number | null): number;
    bytesRead: number;
  }
  /** A bit reader over the buffers `next` hands out one after the other. */
  export default function bitIterator(next: () => Uint8Array): BitReader;
}

declare module 'unbzip2-stream/lib/bzip2.js' {
  import type { BitReader } from 'unbzip2-stream/lib/bit_iterator.js';
  interface Bzip2 {
    /** Reads a stream header (`BZh1`…`BZh9`); returns the block size in units of 100 kB; throws on another magic. */
    header(bits: BitReader): number;
    /**
     * Decodes one block, handing each output byte to `out`; returns the running stream CRC, or null at the
     * end-of-stream marker (after checking the stream CRC). Throws on corrupt data.
     */
    decompress(bits: BitReader, out: (byte: number) => void, buf: Int32Array, bufsize: number, streamCRC: number): number | null;
  }
  const bzip2: Bzip2;
  export default bzip2;
}
