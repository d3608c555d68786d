/**
 * Layer walk throughput and memory: portcullis (measureLayer: decompress +
 * diffID + tar parse + path checks; walkLayers: the merged view with a small
 * selector) against the floor `gzip -dc LAYER | tar -t > /dev/null` on the
 * same blobs, in the same run. Images: the Debian 12 peer image and a
 * generated ~1 GB, 8-layer gzip image (temp dir, removed at the end).
 * Ours runs in a child process so its peak RSS is its own.
 *
 *   npx tsx bench/layer-walk.ts            # both images, best of 3
 *   BENCH_GB=0.25 npx tsx bench/layer-walk.ts
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { pack } from 'tar-stream';
import { sha256Digest } from '../src/core/digest.js';
import { MediaType } from '../src/core/media-types.js';
import { measureLayer, type LayerInput } from '../src/layers/stream.js';
import { walkLayers } from '../src/layers/walk.js';
import { selectPaths } from '../src/layers/select.js';
import { openLayout } from '../test/layers/oci-layout.js';
import { peerImages } from '../test/support/peers.js';

const SELF = fileURLToPath(import.meta.url);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface ChildResult {
  ms: number;
  /** user + system CPU of the whole process (zlib's worker threads included). */
  cpuMs: number;
  maxRssMB: number;
}

function layersFromFiles(files: readonly string[]): LayerInput[] {
  return files.map((path, index) => ({
    origin: { index, digest: sha256Digest(path) },
    mediaType: MediaType.OciLayerGzip,
    open: async () => createReadStream(path, { highWaterMark: 256 * 1024 }),
  }));
}

async function child(mode: string, files: string[]): Promise<void> {
  const layers = layersFromFiles(files);
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  if (mode === 'measure') {
    for (const layer of layers) await measureLayer(layer);
  } else {
    await walkLayers(layers, selectPaths({ paths: ['etc/os-release', 'var/lib/dpkg/status'], under: ['app'] }));
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const result: ChildResult = { ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(result));
}

function runOurs(mode: string, files: string[]): ChildResult {
  const out = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child', mode, ...files], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as ChildResult;
}

interface FloorResult {
  ms: number;
  cpuMs: number;
}

function runFloor(files: string[]): FloorResult {
  let ms = 0;
  let cpuMs = 0;
  for (const f of files) {
    // /usr/bin/time -f reports wall, user and system seconds of bash and its children (gzip, tar).
    const out = spawnSync('/usr/bin/time', ['-f', '%e %U %S', 'bash', '-c', 'gzip -dc "$1" | tar -t > /dev/null', 'floor', f], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`floor failed: ${out.stderr}`);
    const [wall, user, sys] = (out.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
    ms += (wall ?? 0) * 1000;
    cpuMs += ((user ?? 0) + (sys ?? 0)) * 1000;
  }
  return { ms, cpuMs };
}

function best<T>(n: number, f: () => T, key: (t: T) => number): T {
  let winner: T | undefined;
  for (let i = 0; i < n; i++) {
    const r = f();
    if (winner === undefined || key(r) < key(winner)) winner = r;
  }
  return winner as T;
}

/** Random-ish compressible text: words from a fixed random vocabulary. */
function makeCorpus(bytes: number): Buffer {
  let seed = 42;
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const words = Array.from({ length: 4096 }, () => Array.from({ length: 2 + Math.floor(rnd() * 9) }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join(''));
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const w = words[Math.floor(rnd() * words.length)] as string;
    parts.push(w);
    size += w.length + 1;
  }
  return Buffer.from(parts.join(rnd() < 0.5 ? ' ' : '\n')).subarray(0, bytes);
}

async function generateImage(dir: string, totalBytes: number, layers: number): Promise<string[]> {
  const corpus = makeCorpus(8 * 1024 * 1024);
  const files: string[] = [];
  let seed = 7;
  const rnd = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const perLayer = totalBytes / layers;
  for (let l = 0; l < layers; l++) {
    const path = join(dir, `layer${l}.tar.gz`);
    const p = pack();
    const writing = pipeline(p, createGzip({ level: 6 }), createWriteStream(path));
    let written = 0;
    let n = 0;
    while (written < perLayer) {
      // Mostly small files, some large ones.
      const size = rnd() < 0.9 ? Math.floor(rnd() * 64 * 1024) : Math.floor(rnd() * 8 * 1024 * 1024);
      const offset = Math.floor(rnd() * (corpus.length - size));
      const name = `usr/share/gen${l}/d${n % 97}/f${n}.txt`;
      await new Promise<void>((resolve, reject) => p.entry({ name, size }, corpus.subarray(offset, offset + size), (e) => (e ? reject(e) : resolve())));
      written += size + 512;
      n++;
    }
    await new Promise<void>((resolve, reject) => p.entry({ name: `app/layer${l}/package.json` }, `{"name":"l${l}"}`, (e) => (e ? reject(e) : resolve())));
    p.finalize();
    await writing;
    files.push(path);
  }
  return files;
}

function report(name: string, files: string[]): string[] {
  const compressed = files.reduce((s, f) => s + statSync(f).size, 0);
  const floor = best(RUNS, () => runFloor(files), (x) => x.ms);
  const measure = best(RUNS, () => runOurs('measure', files), (x) => x.ms);
  const walk = best(RUNS, () => runOurs('walk', files), (x) => x.ms);
  const line = (what: string, r: ChildResult): string =>
    `| ${name} | ${what} | ${(r.ms / 1000).toFixed(2)} s | ${(floor.ms / 1000).toFixed(2)} s | ${(r.ms / floor.ms).toFixed(2)}× | ` +
    `${(r.cpuMs / 1000).toFixed(2)} s | ${(floor.cpuMs / 1000).toFixed(2)} s | ${(r.cpuMs / floor.cpuMs).toFixed(2)}× | ${r.maxRssMB.toFixed(0)} MB |`;
  const rows = [line('measureLayer (all layers)', measure), line('walkLayers (small selector)', walk)];
  console.log(`${name}: ${files.length} layers, ${(compressed / 1e6).toFixed(0)} MB compressed`);
  for (const r of rows) console.log(r);
  return rows;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3] as string, process.argv.slice(4));
    return;
  }
  console.log('| image | ours | wall | floor wall | wall ratio | CPU | floor CPU | CPU ratio | peak RSS |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const images = await peerImages('all');
  const debian = await openLayout(images.debianOci);
  report('Debian 12 (1 layer)', debian.manifest.layers.map((l) => debian.blobPath(l.digest)));

  const gb = Number(process.env.BENCH_GB ?? 1);
  const dir = mkdtempSync(join(tmpdir(), 'layer-walk-bench-'));
  try {
    const files = await generateImage(dir, gb * 1024 ** 3, 8);
    report(`generated ${gb} GB (8 layers)`, files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
