/**
 * Decompression bombs and zstd throughput.
 *
 * 1. Peak RSS and wall time of `portcullis inspect` (the built CLI, a child
 *    process with a preloaded module that records getrusage's maxrss at exit)
 *    on a 10 GiB zstd bomb and a 10 GiB gzip bomb: one tar file of zeros,
 *    built here (`zstd -3` CLI, node:zlib gzip level 1) in a temp dir and
 *    removed at the end. Target: under 400 MB.
 * 2. With BENCH_OLD_CLI=path/to/bin/portcullis.js (an older build, e.g. a
 *    `git archive` of the commit before, built): `inspect` of a 2 GiB zstd bomb
 *    with it and with this tree, for the before/after figure.
 * 3. Throughput on a real layer: the Debian 12 peer image's layer,
 *    decompressed and recompressed with `zstd` (default level 3); decode only
 *    (blob file → decoder → a sink that counts) with fzstd (in a Transform, as
 *    src/layers/decompress.ts had it) and with ours (core/zstd.ts), best of
 *    BENCH_RUNS, each in its own child process; the floor is `zstd -dc FILE >
 *    /dev/null` in the same run.
 *
 *   npm run build && npx tsx bench/bombs.ts          # BENCH_BOMB_GIB=10, BENCH_RUNS=3
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ZstdDecompress } from '../src/core/zstd.js';
import { MAX_RSS_PRELOAD, zeroBomb } from '../test/layers/bomb.js';
import { openLayout } from '../test/layers/oci-layout.js';
import { buildLayout } from '../test/support/oci-builder.js';
import { CLI, REPO_ROOT } from '../test/support/paths.js';
import { peerImages } from '../test/support/peers.js';

const SELF = fileURLToPath(import.meta.url);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BOMB_GIB = Number(process.env.BENCH_BOMB_GIB ?? 10);
const GIB = 1024 ** 3;

interface Run {
  ms: number;
  cpuMs: number;
  maxRssMB: number;
  bytes: number;
}

/** fzstd's streaming decoder in a Transform, exactly as src/layers/decompress.ts had it before. */
async function fzstdTransform(): Promise<Transform> {
  const { Decompress } = await import('fzstd');
  return new (class extends Transform {
    private readonly decoder = new Decompress((data) => {
      if (data.length > 0) this.push(Buffer.from(data.buffer, data.byteOffset, data.length));
    });
    override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
      try {
        this.decoder.push(chunk);
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    }
    override _flush(done: TransformCallback): void {
      try {
        this.decoder.push(new Uint8Array(0), true);
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    }
  })();
}

/** Child: decode FILE with `which` into a sink that only counts. */
async function child(which: string, file: string): Promise<void> {
  const decoder = which === 'fzstd' ? await fzstdTransform() : new ZstdDecompress();
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), decoder, sink);
  const cpu = process.cpuUsage(cpu0);
  const run: Run = { ms: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024, bytes };
  process.stdout.write(JSON.stringify(run));
}

function decodeRun(which: string, file: string): Run {
  const out = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child', which, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`${which} child failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as Run;
}

function best(n: number, f: () => Run): Run {
  let winner: Run | undefined;
  for (let i = 0; i < n; i++) {
    const r = f();
    if (!winner || r.ms < winner.ms) winner = r;
  }
  return winner as Run;
}

function inspectRun(work: string, name: string, cli = CLI): { ms: number; maxRssMB: number; stdout: string } {
  const rssFile = join(work, 'max-rss');
  const preload = join(work, 'max-rss.mjs');
  writeFileSync(preload, MAX_RSS_PRELOAD);
  const start = performance.now();
  const out = spawnSync(process.execPath, ['--import', preload, cli, 'inspect', name], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', MAX_RSS_FILE: rssFile },
    maxBuffer: 1 << 20,
  });
  const ms = performance.now() - start;
  if (out.status !== 0) throw new Error(`inspect failed (${out.status}): ${out.stderr}`);
  const kb = Number(readFileSync(rssFile, 'utf8'));
  return { ms, maxRssMB: kb / 1024, stdout: out.stdout };
}

function floorRun(file: string): number {
  const start = performance.now();
  const out = spawnSync('bash', ['-c', 'zstd -q -dc "$1" > /dev/null', 'floor', file]);
  if (out.status !== 0) throw new Error('zstd -dc failed');
  return performance.now() - start;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3] as string, process.argv[4] as string);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'bench-bombs-'));
  try {
    console.log(`## ${BOMB_GIB} GiB bombs through \`portcullis inspect\``);
    console.log('| bomb | blob | wall | peak RSS |');
    console.log('| --- | --- | --- | --- |');
    for (const how of ['zstd', 'gzip'] as const) {
      const { blob, diffId } = await zeroBomb(join(work, `bomb.${how}`), BOMB_GIB * GIB, how);
      const layout = await buildLayout({ dir: join(work, `layout-${how}`), layers: [{ raw: blob, compression: how, diffId }] });
      const r = inspectRun(work, layout.name);
      if (!/GiB uncompressed/.test(r.stdout)) throw new Error(`unexpected inspect output: ${r.stdout}`);
      console.log(`| ${how}, ${BOMB_GIB} GiB of zeros | ${(blob.length / 1024).toFixed(0)} KiB | ${(r.ms / 1000).toFixed(1)} s | ${r.maxRssMB.toFixed(0)} MB |`);
      rmSync(join(work, `layout-${how}`), { recursive: true, force: true });
    }

    const oldCli = process.env.BENCH_OLD_CLI;
    if (oldCli) {
      // The same 2 GiB zstd bomb through this tree's CLI and an older build's (e.g. a `git archive` of the
      // commit before, built): the figure before/after. 2 GiB, not 10: the old decoder held it all in memory.
      console.log(`\n## 2 GiB zstd bomb: \`inspect\` of this tree and of ${oldCli}`);
      console.log('| CLI | wall | peak RSS |');
      console.log('| --- | --- | --- |');
      const { blob, diffId } = await zeroBomb(join(work, 'bomb2.zst'), 2 * GIB, 'zstd');
      const layout = await buildLayout({ dir: join(work, 'layout-2'), layers: [{ raw: blob, compression: 'zstd', diffId }] });
      for (const [label, cli] of [['before', oldCli], ['now', CLI]] as const) {
        const r = inspectRun(work, layout.name, cli);
        console.log(`| ${label} | ${(r.ms / 1000).toFixed(1)} s | ${r.maxRssMB.toFixed(0)} MB |`);
      }
    }

    console.log('\n## zstd throughput on the Debian 12 layer (decode only, best of ' + RUNS + ')');
    const debian = await openLayout((await peerImages('all')).debianOci);
    const gz = debian.blobPath(debian.manifest.layers[0]?.digest as `sha256:${string}`);
    const zst = join(work, 'debian.tar.zst');
    const made = spawnSync('bash', ['-c', 'gzip -dc "$1" | zstd -q -c > "$2"', 'recompress', gz, zst]);
    if (made.status !== 0) throw new Error('recompressing the Debian layer failed');
    const fz = best(RUNS, () => decodeRun('fzstd', zst));
    const ours = best(RUNS, () => decodeRun('ours', zst));
    const floor = Math.min(...Array.from({ length: RUNS }, () => floorRun(zst)));
    const mbs = (r: Run): string => ((r.bytes / 1e6) / (r.ms / 1000)).toFixed(0);
    console.log('| decoder | wall | MB/s (uncompressed) | CPU | peak RSS | vs fzstd |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    console.log(`| fzstd (before) | ${fz.ms.toFixed(0)} ms | ${mbs(fz)} | ${fz.cpuMs.toFixed(0)} ms | ${fz.maxRssMB.toFixed(0)} MB | 1.0× |`);
    console.log(`| libzstd (now) | ${ours.ms.toFixed(0)} ms | ${mbs(ours)} | ${ours.cpuMs.toFixed(0)} ms | ${ours.maxRssMB.toFixed(0)} MB | ${(fz.ms / ours.ms).toFixed(1)}× faster |`);
    console.log(`| floor: \`zstd -dc > /dev/null\` | ${floor.toFixed(0)} ms | ${((ours.bytes / 1e6) / (floor / 1000)).toFixed(0)} | | | |`);
    console.log(`\n(${(ours.bytes / 1e6).toFixed(0)} MB tar, ${statSync(zst).size} bytes zstd; the child runs under tsx, whose loader is in the RSS)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
