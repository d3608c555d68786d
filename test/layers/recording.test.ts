/**
 * Layer recordings (layers/recording.ts, readers.ts, recording-codec.ts):
 * a walk with a cache gives the view a walk without one gives, on stacks
 * where what a layer's replay must hand over depends on the layers below
 * it (a file reached only through a symlink of another stack: the replay
 * misses, that one layer is read and its recording completed), on hard
 * links and second passes; and the codec refuses every damaged or foreign
 * document and rebuilds entries only through the tar reader's checks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { Digest, FileSelector, LayerOrigin } from '../../src/core/index.js';
import { decodeRecording, encodeRecording, selectPaths, walkLayers, type LayerInput, type LayerRecording, type LayerRecordingCache, type LayerView } from '../../src/layers/index.js';
import { MediaType } from '../../src/core/media-types.js';
import { dir, file, gzip, hardlink, opaque, symlink, tarOf, whiteout, type TestEntry } from './build.js';

/** A layer whose config diffID is its tar's sha256 (the cache needs one). */
async function layer(entries: readonly TestEntry[], index: number): Promise<LayerInput> {
  const tar = await tarOf(entries);
  const blob = gzip(tar);
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}` as Digest;
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}` as Digest;
  return {
    origin: { index, digest, diffId },
    mediaType: MediaType.OciLayerGzip,
    open: async () => {
      const s = new PassThrough();
      s.end(blob);
      return s;
    },
  };
}

/** The recordings in memory, round-tripped through the codec as a disk cache would. */
function memoryCache(): LayerRecordingCache & { files: Map<string, Buffer> } {
  const files = new Map<string, Buffer>();
  return {
    files,
    get: async (blob, diffId) => {
      const bytes = files.get(`${blob} ${diffId}`);
      return bytes ? decodeRecording(bytes, blob, diffId) : undefined;
    },
    put: async (recording: LayerRecording) => {
      const bytes = encodeRecording(recording);
      if (bytes) files.set(`${recording.blob} ${recording.diffId}`, bytes);
    },
  };
}

function describe(view: LayerView): string {
  const files = [...view.files()].map((f) => ({ ...f, content: f.content?.toString('base64') })).sort((a, b) => (a.path < b.path ? -1 : 1));
  return JSON.stringify({ files, warnings: view.warnings, stats: view.layerStats, second: view.secondPass });
}

async function walk(layers: readonly LayerInput[], selector: FileSelector, cache?: LayerRecordingCache): Promise<{ view: string; reads: number[] }> {
  const reads: number[] = [];
  const view = await walkLayers(layers, selector, { ...(cache ? { cache } : {}), onRead: (o: LayerOrigin) => reads.push(o.index) });
  return { view: describe(view), reads };
}

const SELECTOR = selectPaths({ paths: ['lib/apk/db/installed', 'etc/os-release', 'app/link'], under: ['srv'] });

test('a file wanted only through another stack\'s symlink: the replay misses, that layer is read, and its recording is completed', async () => {
  const shared = await layer([dir('data'), dir('data/x'), file('data/x/installed', 'P:musl\nV:1.2\n'), file('etc/os-release', 'ID=alpine\n')], 0);
  const link = await layer([dir('lib'), dir('lib/apk'), symlink('lib/apk/db', '../../data/x')], 0);
  const cache = memoryCache();
  // Stack 1: the shared layer alone; its recording has no bytes of data/x/installed (nothing wanted it).
  const alone = await walk([shared], SELECTOR);
  assert.deepEqual((await walk([shared], SELECTOR, cache)).view, alone.view);
  // Stack 2: the symlink below it makes lib/apk/db/installed reach data/x/installed.
  const above = { ...shared, origin: { ...shared.origin, index: 1 } };
  const stack = [link, above];
  const plain = await walk(stack, SELECTOR);
  assert.match(plain.view, /"path":"lib\/apk\/db\/installed".*"content":"UDptdXNsClY6MS4yCg=="/);
  const cached = await walk(stack, SELECTOR, cache);
  assert.equal(cached.view, plain.view);
  assert.deepEqual(cached.reads, [0, 1], 'the symlink layer once; the shared layer once, after its replay missed');
  // Both stacks now replay without reading.
  assert.deepEqual(await walk(stack, SELECTOR, cache), { view: plain.view, reads: [] });
  assert.deepEqual(await walk([shared], SELECTOR, cache), { view: alone.view, reads: [] });
});

test('whiteouts, opaque directories, hard links and second passes replay to the same view', async () => {
  const stacks: TestEntry[][][] = [
    [
      [dir('srv'), file('srv/a', 'a0'), file('srv/b', 'b0'), dir('usr'), file('usr/lib-os', 'ID=debian\n')],
      [whiteout('srv/a'), file('srv/c', 'c1'), hardlink('srv/h', 'srv/b'), symlink('etc/os-release', '../usr/lib-os')],
      [opaque('srv'), file('srv/d', 'd2'), symlink('app/link', '../usr/lib-os')],
    ],
    [
      [file('target', 'late'), file('srv/keep', 'k')],
      [symlink('app', 'opt'), dir('opt'), file('opt/link', 'through a late symlinked dir')],
      [file('srv', 'a file over a directory')],
    ],
  ];
  for (const entries of stacks) {
    const layers = await Promise.all(entries.map((e, i) => layer(e, i)));
    const cache = memoryCache();
    const plain = await walk(layers, SELECTOR);
    const first = await walk(layers, SELECTOR, cache);
    assert.equal(first.view, plain.view);
    assert.deepEqual(first.reads, plain.reads);
    const second = await walk(layers, SELECTOR, cache);
    assert.equal(second.view, plain.view);
    assert.deepEqual(second.reads, []);
  }
});

test('the codec refuses damaged, foreign and unsafe documents', async () => {
  const entries = [file('etc/os-release', 'ID=alpine\n'), symlink('lib/x', '../etc'), whiteout('old')];
  const input = await layer(entries, 0);
  const cache = memoryCache();
  await walk([input], SELECTOR, cache);
  const [key, bytes] = [...cache.files][0]!;
  const [blob, diffId] = key.split(' ') as [Digest, Digest];
  assert.ok(decodeRecording(bytes, blob, diffId));
  assert.equal(decodeRecording(bytes, diffId, diffId), undefined, 'another blob');
  assert.equal(decodeRecording(bytes, blob, blob), undefined, 'another diffID');
  for (let i = 0; i < bytes.length; i += 7) {
    const flipped = Buffer.from(bytes);
    flipped[i] = (flipped[i] as number) ^ 0x20;
    assert.equal(decodeRecording(flipped, blob, diffId), undefined, `byte ${i} flipped`);
  }
  assert.equal(decodeRecording(bytes.subarray(0, bytes.length - 1), blob, diffId), undefined);
  // A document with a valid checksum but an entry the tar reader would refuse.
  const recording = decodeRecording(bytes, blob, diffId)!;
  for (const path of ['../etc/passwd', '/etc/passwd', 'a//b', 'a/./b']) {
    const hostile = encodeRecording({ ...recording, entries: [{ entry: { ...recording.entries[0]!.entry, path } }] })!;
    assert.equal(decodeRecording(hostile, blob, diffId), undefined, path);
  }
  const sized = encodeRecording({ ...recording, entries: [{ entry: recording.entries[0]!.entry, content: Buffer.from('short') }] })!;
  assert.equal(decodeRecording(sized, blob, diffId), undefined, 'content shorter than the entry says');
});
