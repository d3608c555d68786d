/** Layers written by the real zstd and GNU tar tools, read by the streaming reader (the peer tier of stream.test.ts). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sha256Digest } from '../../src/core/digest.js';
import { MediaType } from '../../src/core/media-types.js';
import { LayerError } from '../../src/layers/errors.js';
import { forEachEntry, measureLayer, readContent } from '../../src/layers/stream.js';
import type { LayerEntry } from '../../src/layers/tar.js';
import { dir, file, gzip, hardlink, layerOf, symlink, tarOf, whiteout, zstd } from './build.js';

const code = (c: string) => (e: unknown) => {
  assert.ok(e instanceof LayerError, `expected LayerError ${c}, got ${String(e)}`);
  assert.equal(e.code, c);
  return true;
};

async function entriesOf(blob: Buffer, mediaType: string = MediaType.OciLayerGzip, warnings: string[] = []) {
  const seen: { entry: LayerEntry; text?: string }[] = [];
  const stats = await forEachEntry(
    layerOf(blob, 0, mediaType),
    async (entry, content) => {
      const bytes = content ? await readContent(content, 1 << 20) : undefined;
      seen.push({ entry, ...(bytes ? { text: bytes.toString() } : {}) });
    },
    { onWarning: (m) => warnings.push(m) },
  );
  return { seen, stats };
}

const sample = [dir('./etc/'), file('./etc/hostname', 'box\n'), symlink('etc/os-release', '../usr/lib/os-release'), hardlink('etc/hn', 'etc/hostname'), whiteout('etc/gone')];

test('zstd and uncompressed layers read the same', async () => {
  const tar = await tarOf(sample);
  for (const [blob, type, compression] of [
    [zstd(tar), MediaType.OciLayerZstd, 'zstd'],
    [tar, MediaType.OciLayer, 'none'],
  ] as const) {
    const { seen, stats } = await entriesOf(blob, type);
    assert.equal(stats.diffId, sha256Digest(tar));
    assert.equal(stats.compression, compression);
    assert.equal(seen[1]?.text, 'box\n');
  }
});

test('mislabelled compression still reads, with a warning', async () => {
  const tar = await tarOf(sample);
  const cases = [
    [gzip(tar), MediaType.OciLayerZstd, 'gzip'],
    [zstd(tar), MediaType.OciLayerGzip, 'zstd'],
    [tar, MediaType.DockerLayerGzip, 'none'],
    [gzip(tar), MediaType.OciLayer, 'gzip'],
  ] as const;
  for (const [blob, type, actual] of cases) {
    const warnings: string[] = [];
    const { seen, stats } = await entriesOf(blob, type, warnings);
    assert.equal(stats.compression, actual);
    assert.equal(stats.diffId, sha256Digest(tar));
    assert.equal(seen.length, 5);
    assert.equal(warnings.length, 1, `one warning for ${type} holding ${actual}`);
  }
});

test('truncated gzip and zstd are LAYER_TRUNCATED, garbage is LAYER_CORRUPT', async () => {
  const big = await tarOf([file('a', Buffer.alloc(300_000, 'abcdefgh')), file('b', 'x')]);
  const gz = gzip(big);
  const zs = zstd(big);
  await assert.rejects(measureLayer(layerOf(gz.subarray(0, gz.length - 20), 0, MediaType.OciLayerGzip)), code('LAYER_TRUNCATED'));
  await assert.rejects(measureLayer(layerOf(gz.subarray(0, 40), 0, MediaType.OciLayerGzip)), code('LAYER_TRUNCATED'));
  await assert.rejects(measureLayer(layerOf(zs.subarray(0, zs.length - 20), 0, MediaType.OciLayerZstd)), code('LAYER_TRUNCATED'));
  await assert.rejects(measureLayer(layerOf(zs.subarray(0, 30), 0, MediaType.OciLayerZstd)), code('LAYER_TRUNCATED'));
  const bad = Buffer.from(gz);
  bad.fill(0x55, 20, 200);
  await assert.rejects(measureLayer(layerOf(bad, 0, MediaType.OciLayerGzip)), code('LAYER_CORRUPT'));
  const badZ = Buffer.from(zs);
  badZ.fill(0xff, 12, 60);
  await assert.rejects(measureLayer(layerOf(badZ, 0, MediaType.OciLayerZstd)), (e: unknown) => e instanceof LayerError && ['LAYER_CORRUPT', 'LAYER_TRUNCATED'].includes(e.code));
  await assert.rejects(measureLayer(layerOf(Buffer.alloc(1024, 0x41), 0, MediaType.OciLayer)), code('LAYER_CORRUPT'));
});

test('PAX and GNU long names (from tar-stream and from GNU tar)', async () => {
  const long = `${'d'.repeat(120)}/${'e'.repeat(130)}/file.txt`;
  const longTarget = `${'t'.repeat(150)}/target`;
  const paxTar = await tarOf([file(long, 'pax'), symlink(`${'s'.repeat(110)}`, longTarget)]);
  const { seen } = await entriesOf(gzip(paxTar));
  assert.deepEqual(seen.map((s) => [s.entry.path, s.entry.linkTarget, s.text]), [
    [long, undefined, 'pax'],
    ['s'.repeat(110), longTarget, undefined],
  ]);

  const work = mkdtempSync(join(tmpdir(), 'layers-gnu-'));
  try {
    const root = join(work, 'root');
    mkdirSync(join(root, 'd'.repeat(120), 'e'.repeat(130)), { recursive: true });
    writeFileSync(join(root, long), 'gnu');
    for (const format of ['gnu', 'posix']) {
      const tar = execFileSync('tar', [`--format=${format}`, '-C', root, '-cf', '-', '.'], { maxBuffer: 1 << 26 });
      const got = await entriesOf(tar, MediaType.OciLayer);
      const hit = got.seen.find((s) => s.entry.path === long);
      assert.equal(hit?.text, 'gnu', `${format} long name`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
