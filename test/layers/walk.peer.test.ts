/** Layers compressed by the real zstd tool: truncation, mislabelling and diffIDs (the peer tier of walk.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FileSelector } from '../../src/core/files.js';
import { MediaType } from '../../src/core/media-types.js';
import { LayerError } from '../../src/layers/errors.js';
import { walkLayers } from '../../src/layers/walk.js';
import { file, gzip, layerOf, tarOf, zstd } from './build.js';

const all: FileSelector = { wants: () => true };
const code = (c: string) => (e: unknown) => {
  assert.ok(e instanceof LayerError, `expected LayerError ${c}, got ${String(e)}`);
  assert.equal(e.code, c);
  return true;
};

test('truncated gzip and zstd layers fail the walk with LAYER_TRUNCATED', async () => {
  const tar = await tarOf([file('a', Buffer.alloc(100_000, 7)), file('b', 'b')]);
  const gz = gzip(tar);
  const zs = zstd(tar);
  await assert.rejects(walkLayers([layerOf(gz.subarray(0, gz.length / 2))], all), code('LAYER_TRUNCATED'));
  await assert.rejects(walkLayers([layerOf(zs.subarray(0, zs.length - 10), 0, MediaType.OciLayerZstd)], all), code('LAYER_TRUNCATED'));
});

test('mislabelled compression and a diffID check', async () => {
  const tar = await tarOf([file('etc/hostname', 'h')]);
  const view = await walkLayers([layerOf(zstd(tar), 0, MediaType.OciLayerGzip)], all);
  assert.equal(view.get('etc/hostname')?.content?.toString(), 'h');
  assert.ok(view.warnings.some((w) => /declares gzip but the blob is zstd/.test(w)));
  const lying = layerOf(gzip(tar), 0, MediaType.OciLayerGzip, 'sha256:0000000000000000000000000000000000000000000000000000000000000000');
  await assert.rejects(walkLayers([lying], all), code('LAYER_DIFFID_MISMATCH'));
});
