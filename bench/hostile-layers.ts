/**
 * Hostile layer shapes through walkLayers (everything in memory, uncompressed,
 * so the figure is the walker's own work), each at n and 4n entries in the
 * same run: the ratio of the two times says whether the work is linear (≈ 4)
 * or quadratic (≈ 16). Shapes:
 *   - deep: n files 1,000 components deep (near the depth cap), a symlink
 *     beside each that climbs back to the root;
 *   - whiteouts: a layer of n directories each holding a symlink, and a layer
 *     of n whiteouts deleting them;
 *   - fan-in: n symlinks to one target.
 * And one entry 80,000 components deep (refused: LAYER_PATH_TOO_LONG).
 *
 *   npx tsx bench/hostile-layers.ts        # BENCH_SCALE multiplies each n (default 1), best of BENCH_RUNS (default 3)
 */
import { performance } from 'node:perf_hooks';
import { MediaType } from '../src/core/media-types.js';
import { LayerError } from '../src/layers/errors.js';
import type { LayerInput } from '../src/layers/stream.js';
import { walkLayers } from '../src/layers/walk.js';
import { file, layerOf, symlink, tarOf, whiteout, type TestEntry } from '../test/layers/build.js';

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
