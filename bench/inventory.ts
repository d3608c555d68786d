/**
 * Inventory cost against the plain layer walk of the same image, same run:
 * `inventoryImage` (one walk with every cataloguer's selector, then every
 * cataloguer) versus `walkLayers` with an empty selector (decompress, tar
 * parse, path checks, diffIDs: the floor any inventory pays). Each side runs
 * in its own child process, best of BENCH_RUNS (default 3). Target ≤ 1.15×.
 *
 *   npm run build && npx tsx bench/inventory.ts
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inventoryImage } from '../src/engine/inventory.js';
import { layerInputs } from '../src/engine/layer-inputs.js';
import { openSource } from '../src/engine/open.js';
import { resolveImage } from '../src/image/image.js';
import { walkLayers } from '../src/layers/index.js';
import { peerImages } from '../test/support/peers.js';

const SELF = fileURLToPath(import.meta.url);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Sample {
  ms: number;
  cpuMs: number;
  packages: number;
  maxRssMB: number;
}

async function child(mode: string, name: string): Promise<void> {
  const source = await openSource(name, {});
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let packages = 0;
  if (mode === 'inventory') {
    packages = (await inventoryImage(source)).inventory.packages.length;
  } else {
    const image = await resolveImage(source);
    await walkLayers(layerInputs(image), { wants: () => false });
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  await source.close();
  const sample: Sample = { ms, cpuMs: (cpu.user + cpu.system) / 1000, packages, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(sample));
}

function run(mode: string, name: string): Sample {
  const out = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child', mode, name], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${mode} failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as Sample;
}

function best(mode: string, name: string): Sample {
  const samples = Array.from({ length: RUNS }, () => run(mode, name));
  return samples.reduce((a, b) => (b.ms < a.ms ? b : a));
}

async function main(): Promise<void> {
  const images = await peerImages('all');
  const lines: string[] = [];
  for (const [label, name] of [['Debian 12', images.debianOci], ['tiny (4 layers)', images.tinyOci]] as const) {
    best('walk', name); // warm the page cache
    const walk = best('walk', name);
    const inventory = best('inventory', name);
    lines.push(
      `${label}: inventory ${(inventory.ms / walk.ms).toFixed(2)}× the plain walk (wall ${inventory.ms.toFixed(0)} vs ${walk.ms.toFixed(0)} ms; ` +
        `CPU ${(inventory.cpuMs / walk.cpuMs).toFixed(2)}×; ${inventory.packages} packages; peak RSS ${inventory.maxRssMB.toFixed(0)} MB)`,
    );
  }
  process.stdout.write(`inventory vs plain layer walk, best of ${RUNS}, same run:\n${lines.join('\n')}\n`);
}

if (process.argv[2] === '--child') await child(process.argv[3] ?? 'walk', process.argv[4] ?? '');
else await main();
