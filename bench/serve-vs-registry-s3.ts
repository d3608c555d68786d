/**
 * `portcullis serve` on S3 against Debian's docker-registry (distribution
 * 2.8) with its own S3 storage driver, both on the same Swift S3 API
 * (../shared/peers/s3.sh, loopback), in the same run, with the same client
 * (skopeo) and the same image (the Debian image from ../shared/peers/image.sh,
 * 49 MB, one layer):
 *
 * - push: `skopeo copy oci:… docker://HOST/bench/debian-N:bookworm` into a
 *   fresh repository each round (skopeo's blob-info cache removed first, so
 *   every byte moves);
 * - pull: `skopeo copy docker://… oci:TMP` of that image.
 *
 * docker-registry runs without authentication and with its defaults, which
 * redirect blob GETs to presigned S3 URLs; serve runs without authentication
 * and scanning, SQLite metadata, twice: streaming blob GETs itself, and with
 * `--s3-redirect` (like for like with docker-registry's pull). Ratios are
 * docker-registry's time / ours: ≥ 1.0 means at least as fast.
 * Run: npm run build && npx tsx bench/serve-vs-registry-s3.ts   (BENCH_RUNS default 3)
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { peerImages, startRegistry } from '../test/support/peers.js';
import { startS3 } from '../test/support/s3.js';
import { forgetSkopeoBlobLocations } from '../test/support/skopeo.js';
import { startServeProcess } from '../test/support/serve-process.js';
import { median } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function skopeo(args: string[]): void {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')}: ${r.stderr}`);
}

function timed(work: () => void): number {
  const t0 = performance.now();
  work();
  return performance.now() - t0;
}


/** One push and one pull of the image, each into/out of a fresh repository. */
function round(host: string, image: string, out: string, n: number): { push: number; pull: number } {
  const ref = `docker://${host}/bench/debian-${n}:bookworm`;
  forgetSkopeoBlobLocations();
  const push = timed(() => skopeo(['copy', '-q', '--dest-tls-verify=false', image, ref]));
  const pull = timed(() => skopeo(['copy', '-q', '--src-tls-verify=false', ref, `oci:${out}:bookworm`]));
  return { push, pull };
}

async function main(): Promise<void> {
  const images = await peerImages('all');
  const work = await mkdtemp(join(tmpdir(), 'portcullis-bench-s3-'));
  const s3 = await startS3();
  const { connection } = s3;
  const registry = await startRegistry({ s3: { endpoint: connection.endpoint, accessKey: connection.accessKeyId, secretKey: connection.secretAccessKey, region: connection.region, bucket: `${s3.bucket}-registry` } });
  const env = { AWS_ACCESS_KEY_ID: connection.accessKeyId, AWS_SECRET_ACCESS_KEY: connection.secretAccessKey };
  const serve = (name: string, extra: string[]) =>
    startServeProcess(['--root', join(work, name), '--storage', `s3://${s3.bucket}/${name}`, '--s3-endpoint', connection.endpoint, '--no-scan', '--no-ui', '--no-notary', '--max-conns-per-ip', '1000', ...extra], { env });
  const streamed = await serve('streamed', []);
  const redirected = await serve('redirected', ['--s3-redirect']);
  try {
    const targets = [
      { name: 'docker-registry (s3 driver, redirect)', host: registry.host },
      { name: 'serve (streamed)', host: new URL(streamed.url).host },
      { name: 'serve (--s3-redirect)', host: new URL(redirected.url).host },
    ];
    const times = new Map(targets.map((t) => [t.name, { push: [] as number[], pull: [] as number[] }]));
    // Interleaved round by round, so every target sees the same machine load.
    for (let n = 0; n < RUNS; n++) {
      for (const t of targets) {
        const r = round(t.host, images.debianOci, join(work, `${t.name.replace(/\W+/g, '-')}-${n}`), n);
        times.get(t.name)!.push.push(r.push);
        times.get(t.name)!.pull.push(r.pull);
      }
    }
    const theirs = times.get(targets[0]!.name)!;
    console.log(`serve on S3 vs docker-registry on S3 (same Swift), Debian image, ${RUNS} rounds (median wall time)\n`);
    console.log('| | push | pull | push ratio (theirs / ours) | pull ratio |\n|---|---|---|---|---|');
    for (const t of targets) {
      const m = times.get(t.name)!;
      const push = median(m.push);
      const pull = median(m.pull);
      console.log(`| ${t.name} | ${push.toFixed(0)} ms | ${pull.toFixed(0)} ms | ${(median(theirs.push) / push).toFixed(2)}× | ${(median(theirs.pull) / pull).toFixed(2)}× |`);
    }
  } finally {
    await Promise.all([streamed.stop(), redirected.stop()]);
    await registry.stop();
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
