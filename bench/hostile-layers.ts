/**
 * Hostile layer shapes through walkLayers (everything in memory, uncompressed,
 * so the figure is the walker's own work), each at n and 4n entries in the
 * same run: the ratio of the two times says whether the work is linear (≈ 4)
 * or quadratic (≈ 16). Shapes:
 *   - deep: n files 1,000 components deep (near the depth cap), a symlink
 *     beside each that climbs back to the root;
 *   - whiteouts: a layer of n directories each holding a symlink, and a layer
 *     of n whiteouts deleting them;
 *   - fan-in: n symlinks to one target;
 *   - repeat: one 3,000-file gzip layer listed n times in the manifest, walked
 *     with a recording cache (read and recorded once, replayed n - 1 times).
 * And one entry 80,000 components deep (refused: LAYER_PATH_TOO_LONG).
 *
 *   npx tsx bench/hostile-layers.ts        # BENCH_SCALE multiplies each n (default 1), best of BENCH_RUNS (default 3)
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MediaType } from '../src/core/media-types.js';
import { LayerError } from '../src/layers/errors.js';
import type { LayerRecording, LayerRecordingCache } from '../src/layers/recording.js';
import type { LayerInput } from '../src/layers/stream.js';
import { walkLayers } from '../src/layers/walk.js';
import { file, gzip, layerOf, symlink, tarOf, whiteout, type TestEntry } from '../test/layers/build.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Shape {
  /** The smaller n (times BENCH_SCALE); the larger is 4n. */
  n: number;
  build(n: number): Promise<LayerInput[]>;
}

const raw = async (layers: TestEntry[][]): Promise<LayerInput[]> =>
  Promise.all(layers.map(async (entries, i) => layerOf(await tarOf(entries), i, MediaType.OciLayer)));

const shapes: Record<string, Shape> = {
  'deep (1,000 components each)': {
    n: 250,
    build: async (n) => {
      const deep = Array.from({ length: 997 }, (_, i) => `p${i % 10}`).join('/');
      const entries: TestEntry[] = [symlink('short', 'd0')];
      for (let i = 0; i < n; i++) entries.push(file(`d${i}/${deep}/f`, 'x'), symlink(`d${i}/${deep}/l`, `${'../'.repeat(998)}etc/passwd`));
      return raw([entries]);
    },
  },
  'whiteouts over directories': {
    n: 5000,
    build: async (n) => {
      const lower: TestEntry[] = [];
      const upper: TestEntry[] = [];
      for (let i = 0; i < n; i++) {
        lower.push(symlink(`d${i}/s`, 'x'));
        upper.push(whiteout(`d${i}`));
      }
      return raw([lower, upper]);
    },
  },
  'symlinks to one target': {
    n: 5000,
    build: async (n) => raw([Array.from({ length: n }, (_, i) => symlink(`s${i}`, '/etc/passwd'))]),
  },
};

async function time(layers: LayerInput[]): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    await walkLayers(layers, { wants: (path) => path.endsWith('/f') || path === 'short/etc/passwd' });
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

console.log('| shape | n | time at n | time at 4n | ratio (linear ≈ 4) |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, shape] of Object.entries(shapes)) {
  const n = Math.round(shape.n * SCALE);
  const a = await time(await shape.build(n));
  const b = await time(await shape.build(4 * n));
  console.log(`| ${name} | ${n} | ${a.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(b / a).toFixed(1)} |`);
}

// One gzip layer of 3,000 files listed n and 4n times, walked with an in-memory recording cache (cold: the first
// listing is read and recorded, the others replay it), as a manifest listing a small layer thousands of times makes it.
const recordings = (): LayerRecordingCache => {
  const kept = new Map<string, LayerRecording>();
  return { get: async (blob, diffId) => kept.get(`${blob} ${diffId}`), put: async (r) => void kept.set(`${r.blob} ${r.diffId}`, r) };
};
const listed = async (times: number): Promise<LayerInput[]> => {
  const tar = await tarOf(Array.from({ length: 3000 }, (_, i) => file(`usr/share/doc/p${i % 100}/f${i}.txt`, 'x')));
  const one = layerOf(gzip(tar), 0, MediaType.OciLayerGzip, `sha256:${createHash('sha256').update(tar).digest('hex')}`);
  return Array.from({ length: times }, (_, index) => ({ ...one, origin: { ...one.origin, index } }));
};
const repeatN = Math.round(100 * SCALE);
const repeatTimes: number[] = [];
for (const times of [repeatN, 4 * repeatN]) {
  const layers = await listed(times);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    await walkLayers(layers, { wants: (path) => path === 'etc/os-release' }, { cache: recordings() });
    best = Math.min(best, performance.now() - start);
  }
  repeatTimes.push(best);
}
const [ra, rb] = repeatTimes as [number, number];
console.log(`| one 3,000-file layer listed n times (recording cache, cold) | ${repeatN} | ${ra.toFixed(0)} ms | ${rb.toFixed(0)} ms | ${(rb / ra).toFixed(1)} |`);

const deep = `${'a/'.repeat(80_000)}f`;
const layers = await raw([[file('ok'), file(deep, 'x')]]);
const start = performance.now();
let outcome = 'accepted';
try {
  await walkLayers(layers, { wants: () => true });
} catch (error) {
  outcome = error instanceof LayerError ? error.code : String(error);
}
console.log(`\none entry 80,000 components deep: ${outcome} in ${(performance.now() - start).toFixed(0)} ms`);
