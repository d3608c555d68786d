/**
 * `portcullis serve` against Debian's docker-registry (CNCF distribution
 * 2.8) in the same run, with the same client (skopeo) and the same image
 * (the Debian image from ../shared/peers/image.sh, 49 MB, one layer):
 *
 * - push: `skopeo copy oci:… docker://HOST/bench/debian-N:bookworm` into a
 *   fresh repository each round (no mounts, every byte moves);
 * - pull: `skopeo copy docker://… oci:TMP` of that image;
 * - server CPU per operation: user + system time of the server process from
 *   /proc/PID/stat before and after;
 * - manifest GET latency under 64 concurrent clients (undici, keep-alive):
 *   p50 and p99 over BENCH_GETS requests.
 *
 * portcullis runs with `--accounts` (Docker token auth: skopeo trades its
 * credentials at /token, every request carries a Bearer JWT) and without
 * scanning (docker-registry scans nothing; a second row with scanning would
 * measure the scanner, which bench/scan.ts does). docker-registry runs
 * without authentication, its fastest configuration. All clients come from
 * 127.0.0.1, so serve's per-address cap (64 by default) is raised to 1000,
 * as docker-registry has none. Ratios are
 * docker-registry's time / ours: ≥ 1.0 means at least as fast.
 * Run: npm run build && npx tsx bench/serve-vs-registry.ts   (BENCH_RUNS default 3, BENCH_GETS default 5000)
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { peerImages, startRegistry } from '../test/support/peers.js';
import { forgetSkopeoBlobLocations } from '../test/support/skopeo.js';
import { startServeProcess } from '../test/support/serve-process.js';
import { median } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GETS = Number(process.env.BENCH_GETS ?? 5000);
const CLIENTS = 64;
const ADMIN = 'admin';
const PASSWORD = 'bench-admin-password';

interface Target {
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  readonly creds?: string;
  /** Authorization for a manifest GET of `repository`. */
  authorization(repository: string): Promise<string | undefined>;
}

async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat (12 and 13 after "pid (comm) "), in clock ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function skopeo(args: string[]): void {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')}: ${r.stderr}`);
}

async function timed(pid: number, work: () => void | Promise<void>): Promise<{ ms: number; cpu: number }> {
  const cpu0 = await cpuSeconds(pid);
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  return { ms, cpu: (await cpuSeconds(pid)) - cpu0 };
}


function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function manifestLatencies(target: Target, repository: string): Promise<number[]> {
  const pool = new Pool(`http://${target.host}`, { connections: CLIENTS, pipelining: 1 });
  const authorization = await target.authorization(repository);
  const headers: Record<string, string> = { accept: 'application/vnd.oci.image.manifest.v1+json', ...(authorization ? { authorization } : {}) };
  const latencies: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < GETS) {
      next++;
      const t0 = performance.now();
      const r = await pool.request({ path: `/v2/${repository}/manifests/bookworm`, method: 'GET', headers });
      await r.body.arrayBuffer();
      if (r.statusCode !== 200) throw new Error(`${target.name}: manifest GET ${r.statusCode}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  await pool.close();
  return latencies.sort((a, b) => a - b);
}

async function measure(target: Target, image: string, work: string): Promise<Record<string, number>> {
  const push: Array<{ ms: number; cpu: number }> = [];
  const pull: Array<{ ms: number; cpu: number }> = [];
  for (let i = 0; i < RUNS; i++) {
    const ref = `docker://${target.host}/bench/debian-${i}:bookworm`;
    forgetSkopeoBlobLocations();
    push.push(await timed(target.pid, () => skopeo(['copy', '-q', '--dest-tls-verify=false', ...(target.creds ? ['--dest-creds', target.creds] : []), image, ref])));
    const out = join(work, `${target.name}-${i}`);
    pull.push(await timed(target.pid, () => skopeo(['copy', '-q', '--src-tls-verify=false', ...(target.creds ? ['--src-creds', target.creds] : []), ref, `oci:${out}:bookworm`])));
  }
  const cpu0 = await cpuSeconds(target.pid);
  const latencies = await manifestLatencies(target, 'bench/debian-0');
  const getCpu = (await cpuSeconds(target.pid)) - cpu0;
  return {
    pushMs: median(push.map((p) => p.ms)),
    pushCpu: median(push.map((p) => p.cpu)),
    pullMs: median(pull.map((p) => p.ms)),
    pullCpu: median(pull.map((p) => p.cpu)),
    getP50: percentile(latencies, 50),
    getP99: percentile(latencies, 99),
    getCpuPer1000: (getCpu / GETS) * 1000,
  };
}

async function main(): Promise<void> {
  const images = await peerImages('all');
  const work = await mkdtemp(join(tmpdir(), 'portcullis-bench-serve-'));
  const registry = await startRegistry();
  const serve = await startServeProcess(['--accounts', '--root', join(work, 'root'), '--no-scan', '--no-ui', '--max-conns-per-ip', '1000'], { env: { PORTCULLIS_ADMIN_PASSWORD: PASSWORD } });
  try {
    const serveHost = new URL(serve.url).host;
    const ours: Target = {
      name: 'portcullis',
      host: serveHost,
      pid: serve.process.pid!,
      creds: `${ADMIN}:${PASSWORD}`,
      async authorization(repository) {
        const r = await fetch(`${serve.url}/token?service=${serveHost}&scope=repository:${repository}:pull`, { headers: { authorization: `Basic ${Buffer.from(`${ADMIN}:${PASSWORD}`).toString('base64')}` } });
        return `Bearer ${((await r.json()) as { token: string }).token}`;
      },
    };
    const theirs: Target = { name: 'docker-registry', host: registry.host, pid: registry.pid!, authorization: async () => undefined };
    // Interleaved, theirs first, so both see the same machine load.
    const a = await measure(theirs, images.debianOci, work);
    const b = await measure(ours, images.debianOci, work);
    const row = (label: string, key: string, unit: string, digits = 0): string =>
      `| ${label} | ${b[key]!.toFixed(digits)} ${unit} | ${a[key]!.toFixed(digits)} ${unit} | **${(a[key]! / b[key]!).toFixed(2)}×** |`;
    console.log(`serve vs docker-registry, Debian image, ${RUNS} rounds (median), ${GETS} manifest GETs by ${CLIENTS} clients\n`);
    console.log('| | portcullis serve (token auth) | docker-registry | ratio (theirs / ours) |\n|---|---|---|---|');
    for (const line of [
      row('push wall time', 'pushMs', 'ms'),
      row('push server CPU', 'pushCpu', 's', 2),
      row('pull wall time', 'pullMs', 'ms'),
      row('pull server CPU', 'pullCpu', 's', 2),
      row('manifest GET p50', 'getP50', 'ms', 1),
      row('manifest GET p99', 'getP99', 'ms', 1),
      row('server CPU per 1000 GETs', 'getCpuPer1000', 's', 2),
    ]) console.log(line);
  } finally {
    await serve.stop();
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
