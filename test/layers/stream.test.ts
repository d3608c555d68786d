import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256Digest } from '../../src/core/digest.js';
import { MediaType } from '../../src/core/media-types.js';
import { LayerError } from '../../src/layers/errors.js';
import { forEachEntry, measureLayer, readContent } from '../../src/layers/stream.js';
import type { LayerEntry } from '../../src/layers/tar.js';
import { dir, file, gzip, hardlink, layerOf, symlink, tarOf, whiteout } from './build.js';

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

test('forEachEntry streams entries, content, sizes and the diffID of the uncompressed tar', async () => {
  const tar = await tarOf(sample);
  const blob = gzip(tar);
  const { seen, stats } = await entriesOf(blob);
  assert.deepEqual(
    seen.map((s) => [s.entry.path, s.entry.kind, s.entry.linkTarget, s.text, s.entry.whiteout?.kind]),
    [
      ['etc', 'directory', undefined, undefined, undefined],
      ['etc/hostname', 'file', undefined, 'box\n', undefined],
      ['etc/os-release', 'symlink', '../usr/lib/os-release', undefined, undefined],
      ['etc/hn', 'hardlink', 'etc/hostname', undefined, undefined],
      ['etc/.wh.gone', 'other', undefined, undefined, 'file'],
    ],
  );
  assert.equal(stats.diffId, sha256Digest(tar));
  assert.equal(stats.uncompressedSize, tar.length);
  assert.equal(stats.compressedSize, blob.length);
  assert.equal(stats.entries, 5);
  assert.equal(stats.compression, 'gzip');
});

test('a media type that is no layer is LAYER_MEDIA_TYPE', async () => {
  const tar = await tarOf(sample);
  await assert.rejects(measureLayer(layerOf(tar, 0, 'application/vnd.in-toto+json')), code('LAYER_MEDIA_TYPE'));
});

test('an uncompressed tar cut inside an entry is LAYER_TRUNCATED; one missing only its trailer is read without a warning', async () => {
  const tar = await tarOf([file('a', 'x'.repeat(1000)), file('b', 'hello')]);
  // Cut in the middle of a's content.
  await assert.rejects(measureLayer(layerOf(tar.subarray(0, 512 + 700), 0, MediaType.OciLayer)), code('LAYER_TRUNCATED'));
  // Cut in the middle of b's header.
  await assert.rejects(measureLayer(layerOf(tar.subarray(0, 512 + 1024 + 100), 0, MediaType.OciLayer)), code('LAYER_TRUNCATED'));
  // Cut one byte short of b's content.
  await assert.rejects(measureLayer(layerOf(tar.subarray(0, 512 + 1024 + 512 + 4), 0, MediaType.OciLayer)), code('LAYER_TRUNCATED'));
  // Every entry whole, then: nothing (as umoci insert writes), part of the padding,
  // the padding and part of an end-of-archive block, the padding and one whole block.
  for (const end of [5, 200, 507 + 300, 507 + 512]) {
    const warnings: string[] = [];
    const cut = tar.subarray(0, 512 + 1024 + 512 + end);
    const { seen, stats } = await entriesOf(cut, MediaType.OciLayer, warnings);
    assert.deepEqual(seen.map((s) => s.text), ['x'.repeat(1000), 'hello'], `end ${end}`);
    assert.equal(stats.diffId, sha256Digest(cut));
    assert.deepEqual(warnings, [], `end ${end}`);
  }
  // The same through gzip, and the whole tar (trailer included): no warning either.
  for (const blob of [gzip(tar.subarray(0, 512 + 1024 + 512 + 5)), gzip(tar)]) {
    const warnings: string[] = [];
    const { seen } = await entriesOf(blob, MediaType.OciLayerGzip, warnings);
    assert.equal(seen.length, 2);
    assert.deepEqual(warnings, []);
  }
  // Garbage after the last entry's padding is a cut header, not a missing trailer.
  const garbage = Buffer.concat([tar.subarray(0, 512 + 1024 + 512 + 512), Buffer.from('ustar?')]);
  await assert.rejects(measureLayer(layerOf(garbage, 0, MediaType.OciLayer)), code('LAYER_TRUNCATED'));
});

test('hostile names fail the layer: `..`, absolute, escaping hard link', async () => {
  for (const [entries, c] of [
    [[file('ok'), file('../../etc/passwd', 'pwn')], 'LAYER_UNSAFE_PATH'],
    [[file('a/../../x')], 'LAYER_UNSAFE_PATH'],
    [[file('/etc/passwd', 'pwn')], 'LAYER_UNSAFE_PATH'],
    [[file('x'), hardlink('y', '../../x')], 'LAYER_UNSAFE_LINK'],
    [[file('x'), hardlink('y', '/etc/shadow')], 'LAYER_UNSAFE_LINK'],
  ] as const) {
    await assert.rejects(measureLayer(layerOf(gzip(await tarOf(entries)))), (e: unknown) => {
      code(c)(e);
      assert.match((e as Error).message, /layer 0 \(sha256:/);
      return true;
    });
  }
});

test('measureLayer checks the diffID', async () => {
  const tar = await tarOf(sample);
  const layer = layerOf(gzip(tar));
  const ok = await measureLayer(layer, { expectedDiffId: sha256Digest(tar) });
  assert.equal(ok.diffId, sha256Digest(tar));
  await assert.rejects(measureLayer(layer, { expectedDiffId: sha256Digest('other') }), code('LAYER_DIFFID_MISMATCH'));
});

test('a visitor may stop reading content early; the next entries still arrive', async () => {
  const tar = await tarOf([file('a', Buffer.alloc(200_000, 1)), file('b', 'after')]);
  const got: string[] = [];
  await forEachEntry(layerOf(gzip(tar)), async (entry, content) => {
    if (!content) return;
    for await (const chunk of content) {
      got.push(`${entry.path}:${chunk.length > 0}`);
      break;
    }
  });
  assert.deepEqual(got, ['a:true', 'b:true']);
});

test('an aborted signal stops the walk with LAYER_ABORTED', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(forEachEntry(layerOf(gzip(await tarOf(sample))), () => undefined, { signal: controller.signal }), code('LAYER_ABORTED'));
});
