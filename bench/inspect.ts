/**
 * `portcullis inspect` of a registry image against `skopeo inspect` of the
 * same image in the same run (the Debian peer image, 51 MB of layers, on a
 * loopback docker-registry): the default (manifest and config only), and
 * `--verify-layers` with a cold blob cache (every layer downloaded, measured
 * and checked). Median of ROUNDS runs each; prints times and ratios to skopeo,
 * and `portcullis --version` as the start-up floor of any command.
 * Run: npm run build && npx tsx bench/inspect.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { peerImages, startRegistry } from '../test/support/peers.js';
import { CLI } from '../test/support/paths.js';
import { median } from './stats.js';

const ROUNDS = Number(process.env.BENCH_RUNS ?? 5);


function timed(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const start = performance.now();
  execFileSync(file, [...args], { env, stdio: 'ignore' });
  return performance.now() - start;
}

async function main(): Promise<void> {
  const images = await peerImages('all');
  const registry = await startRegistry();
  const work = mkdtempSync(join(tmpdir(), 'bench-inspect-'));
  try {
    const remote = `docker://${registry.host}/bench/debian:bookworm`;
    execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', images.debianOci, remote], { stdio: 'ignore' });
    const runs = { skopeo: [] as number[], startup: [] as number[], ours: [] as number[], verify: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      runs.skopeo.push(timed('skopeo', ['inspect', '--tls-verify=false', remote]));
      runs.startup.push(timed(process.execPath, [CLI, '--version']));
      runs.ours.push(timed(process.execPath, [CLI, 'inspect', '-q', '--tls-verify=false', remote], { ...process.env, PORTCULLIS_CACHE_DIR: join(work, `cache-${i}`) }));
      const cold = join(work, `cold-${i}`);
      runs.verify.push(timed(process.execPath, [CLI, 'inspect', '-q', '--tls-verify=false', '--verify-layers', remote], { ...process.env, PORTCULLIS_CACHE_DIR: cold }));
      rmSync(cold, { recursive: true, force: true });
    }
    const s = median(runs.skopeo);
    const line = (name: string, ms: number): string => `| ${name} | ${(ms / 1000).toFixed(2)} s | ${(ms / s).toFixed(1)}× |`;
    console.log('| command | median | vs skopeo inspect |\n|---|---|---|');
    console.log(line('skopeo inspect', s));
    console.log(line('portcullis --version (Node start-up, the floor)', median(runs.startup)));
    console.log(line('portcullis inspect (manifest + config)', median(runs.ours)));
    console.log(line('portcullis inspect --verify-layers (cold cache)', median(runs.verify)));
  } finally {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
