/**
 * The zstd decoder of the layer reader (core/zstd.ts through
 * layers/decompress.ts): it stays one output chunk ahead of a reader that does
 * not read (the property that makes a zstd bomb harmless), decodes every
 * frame of a multi-frame stream, does not take a frame that ends exactly on
 * an output-chunk boundary for a truncation, and maps failures to LayerError
 * codes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { ZSTD_CHUNK_BYTES } from '../../src/core/zstd.js';
import { ZstdDecompressor } from '../../src/layers/decompress.js';
import { LayerError } from '../../src/layers/errors.js';

const zstdCli = (data: Buffer, ...flags: string[]): Buffer => execFileSync('zstd', ['-q', '-c', ...flags], { input: data, maxBuffer: 1 << 30 });

async function decodeAll(chunks: readonly Buffer[]): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(Readable.from(chunks), new ZstdDecompressor(), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      bytes += chunk.length;
      hash.update(chunk);
    }
  });
  return { bytes, sha256: hash.digest('hex') };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

test('a bomb is decoded no further than one chunk ahead of a reader that does not read', async () => {
  const size = 256 * 1024 * 1024;
  const bomb = zstdCli(Buffer.alloc(size)); // ~8 KB declaring 256 MiB
  assert.ok(bomb.length < 64 * 1024, `${bomb.length} bytes`);
  const decoder = new ZstdDecompressor();
  decoder.write(bomb);
  decoder.end();
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.ok(decoder.readableLength <= ZSTD_CHUNK_BYTES, `buffered ${decoder.readableLength} bytes while nobody reads`);
  let total = 0;
  let most = 0;
  for await (const chunk of decoder as AsyncIterable<Buffer>) {
    total += chunk.length;
    most = Math.max(most, decoder.readableLength);
  }
  assert.equal(total, size);
  assert.ok(most <= ZSTD_CHUNK_BYTES, `at most ${most} bytes waited for the reader`);
});

test('multi-frame streams, frames ending on a chunk boundary, empty and one-byte writes decode whole', async () => {
  const text = Buffer.from(Array.from({ length: 50_000 }, (_, i) => `line ${i} ${i * 7919}\n`).join(''));
  const exact = Buffer.alloc(4 * ZSTD_CHUNK_BYTES, 7); // the frame ends exactly where an output chunk fills
  const stream = Buffer.concat([zstdCli(text), zstdCli(exact), zstdCli(Buffer.alloc(0)), zstdCli(text, '-19')]);
  const expected = sha256(Buffer.concat([text, exact, text]));
  const whole = await decodeAll([stream]);
  assert.equal(whole.sha256, expected);
  assert.equal(whole.bytes, 2 * text.length + exact.length);
  const pieces: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 997) pieces.push(stream.subarray(i, i + 997), Buffer.alloc(0));
  assert.equal((await decodeAll(pieces)).sha256, expected);
  const bytes: Buffer[] = [];
  const head = zstdCli(exact);
  for (let i = 0; i < head.length; i++) bytes.push(head.subarray(i, i + 1));
  assert.equal((await decodeAll(bytes)).sha256, sha256(exact));
});

test('a stream cut inside a frame is LAYER_TRUNCATED, bad bytes are LAYER_CORRUPT', async () => {
  const frame = zstdCli(Buffer.alloc(1 << 20, 1));
  for (const [input, expected] of [
    [frame.subarray(0, frame.length - 3), 'LAYER_TRUNCATED'],
    [frame.subarray(0, 6), 'LAYER_TRUNCATED'],
    [Buffer.concat([frame, frame.subarray(0, 10)]), 'LAYER_TRUNCATED'],
    [Buffer.concat([frame.subarray(0, 4), Buffer.from('not a zstd frame header at all')]), 'LAYER_CORRUPT'],
    [Buffer.concat([frame, Buffer.from('trailing garbage')]), 'LAYER_CORRUPT'],
    // A frame that asks for a 1 GiB window (zstd --long=30) is refused, not allocated: libzstd's limit is 128 MiB, as the zstd CLI's.
    [zstdCli(Buffer.alloc(1 << 20), '--long=30'), 'LAYER_CORRUPT'],
  ] as const) {
    await assert.rejects(decodeAll([input]), (e: unknown) => {
      assert.ok(e instanceof LayerError, String(e));
      assert.equal(e.code, expected);
      return true;
    });
  }
});
