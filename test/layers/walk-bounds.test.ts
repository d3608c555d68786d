/**
 * What one walk keeps and visits (layers/limits.ts, walk.ts, recording.ts),
 * counted rather than timed: a blob listed many times is read once, recorded
 * once and put in the cache once, and gives the view of the blob listed once
 * (but for the layer positions); a recording over its walk's budget lets go
 * of every entry it held; the entry and layer caps stop the walk with their
 * codes, counting every listing of a repeated layer.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { Digest, LayerOrigin } from '../../src/core/index.js';
import { MediaType } from '../../src/core/media-types.js';
import { LayerError, selectPaths, walkLayers, type LayerInput, type LayerRecording, type LayerRecordingCache } from '../../src/layers/index.js';
import { LayerRecorder, RecordingBudget } from '../../src/layers/recording.js';
import { file, gzip, symlink, tarOf, type TestEntry } from './build.js';

const ENTRIES: TestEntry[] = [file('etc/os-release', 'ID=debian\n'), symlink('etc/alt', 'os-release'), ...Array.from({ length: 200 }, (_, i) => file(`usr/share/doc/f${i}`, 'x'))];

/** The same blob listed `times` times, as a manifest can. */
async function repeated(times: number): Promise<LayerInput[]> {
  const tar = await tarOf(ENTRIES);
  const blob = gzip(tar);
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}` as Digest;
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}` as Digest;
  return Array.from({ length: times }, (_, index) => ({
    origin: { index, digest, diffId },
    mediaType: MediaType.OciLayerGzip,
    open: async () => {
      const s = new PassThrough();
      s.end(blob);
      return s;
    },
  }));
}

function countingCache(): LayerRecordingCache & { gets: number; puts: number } {
  const kept = new Map<string, LayerRecording>();
  const cache = {
    gets: 0,
    puts: 0,
    get: async (blob: Digest, diffId: Digest) => {
      cache.gets++;
      return kept.get(`${blob} ${diffId}`);
    },
    put: async (recording: LayerRecording) => {
      cache.puts++;
      kept.set(`${recording.blob} ${recording.diffId}`, recording);
    },
  };
  return cache;
}

const selector = selectPaths({ paths: ['etc/os-release', 'etc/alt'] });
const filesOf = (view: Awaited<ReturnType<typeof walkLayers>>): string[] => [...view.files()].map((f) => `${f.path} ${f.kind} ${f.content?.toString() ?? ''}`).sort();

test('a blob listed 300 times is looked up once, read once, recorded once, and replayed from the cache without a read', async () => {
  const layers = await repeated(300);
  const cache = countingCache();
  const reads: LayerOrigin[] = [];
  const cold = await walkLayers(layers, selector, { cache, onRead: (o) => reads.push(o) });
  assert.deepEqual([cache.gets, cache.puts, reads.map((o) => o.index)], [1, 1, [0]]);
  const single = await walkLayers(layers.slice(0, 1), selector);
  assert.deepEqual(filesOf(cold), filesOf(single));
  assert.deepEqual(filesOf(cold), ['etc/alt symlink ', 'etc/os-release file ID=debian\n']);
  reads.length = 0;
  const warm = await walkLayers(layers, selector, { cache, onRead: (o) => reads.push(o) });
  assert.deepEqual([cache.gets, cache.puts, reads.length], [2, 1, 0]); // nothing read, nothing recorded again
  assert.deepEqual(filesOf(warm), filesOf(cold));
});

test('a recorder over its walk\'s budget keeps nothing and gives the budget back', async () => {
  const budget = new RecordingBudget(5);
  const recorder = new LayerRecorder('sha256:00' as Digest, undefined, budget);
  for (let i = 0; i < 4; i++) recorder.visit({ path: `f${i}`, kind: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0 }, undefined);
  assert.deepEqual([recorder.entries.length, budget.held], [4, 4]);
  for (let i = 4; i < 8; i++) recorder.visit({ path: `f${i}`, kind: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0 }, undefined);
  assert.deepEqual([recorder.entries.length, budget.held, recorder.overflowed], [0, 0, true]);
});

test('the entry cap counts every listing of a repeated layer; the layer cap refuses before reading', async () => {
  const layers = await repeated(10);
  const counted: number[] = [];
  await walkLayers(layers.slice(0, 1), selector, { onLayer: (_o, stats) => counted.push(stats.entries) });
  const entries = counted[0] as number;
  assert.equal(entries, ENTRIES.length);
  await walkLayers(layers, selector, { maxEntries: entries * 10 });
  await assert.rejects(walkLayers(layers, selector, { maxEntries: entries * 10 - 1 }), (e: unknown) => e instanceof LayerError && e.code === 'LAYER_TOO_MANY_ENTRIES');
  const reads: LayerOrigin[] = [];
  await assert.rejects(walkLayers(layers, selector, { maxLayers: 9, onRead: (o) => reads.push(o) }), (e: unknown) => e instanceof LayerError && e.code === 'LAYER_TOO_MANY_LAYERS');
  assert.equal(reads.length, 0);
});
