/**
 * `portcullis copy` against `skopeo copy` of the same images in the same run:
 * OCI layout → a loopback docker-registry (push) and registry → OCI layout
 * (pull), fresh repositories and destinations each round. Prints throughput
 * ratios (ours / skopeo; ≥ 1.0 means we are at least as fast).
 * Run: npm run build && npx tsx bench/copy.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { buildLayout } from '../test/support/oci-builder.js';
import { peerImages, startRegistry } from '../test/support/peers.js';
import { forgetSkopeoBlobLocations } from '../test/support/skopeo.js';
import { CLI } from '../test/support/paths.js';
import { median } from './stats.js';

const ROUNDS = 3;

function time(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}


async function main(): Promise<void> {
  const images = await peerImages('all');
  const registry = await startRegistry();
  const cacheRoot = mkdtempSync(join(tmpdir(), 'bench-cache-'));
  const work = mkdtempSync(join(tmpdir(), 'bench-copy-'));
  const ours = (src: string, dest: string, cache: string): void => {
    execFileSync(process.execPath, [CLI, 'copy', '-q', '--tls-verify=false', src, dest], {
      env: { ...process.env, PORTCULLIS_CACHE_DIR: cache },
      stdio: 'ignore',
    });
  };
  const skopeo = (src: string, dest: string): void => {
    // skopeo remembers where blobs were pushed before (its blob-info cache) and then mounts
    // instead of uploading; start it cold each time, as our fresh cache is.
    forgetSkopeoBlobLocations();
    execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', src, dest], { stdio: 'ignore' });
  };
  try {
    const lines: string[] = [];
    // A larger image, where throughput rather than start-up decides: 4 uncompressed layers of random bytes, 240 MiB.
    const big = await buildLayout({
      dir: join(work, 'big'),
      layers: Array.from({ length: 4 }, (_, i) => ({
        compression: 'none' as const,
        entries: [{ name: `data/part-${i}.bin`, body: randomBytes(60 * 1024 * 1024) }],
      })),
    });
    for (const [label, source] of [
      ['generated (240 MiB, 4 layers)', big.name],
      ['debian (49 MB, 1 layer)', images.debianOci],
      ['tiny (4 layers)', images.tinyOci],
    ] as const) {
      const push = { ours: [] as number[], skopeo: [] as number[] };
      const pull = { ours: [] as number[], skopeo: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        const tag = `${Date.now()}-${round}`;
        // Fresh cache per round, so every pull really downloads.
        const cache = mkdtempSync(join(cacheRoot, 'c-'));
        push.skopeo.push(time(() => skopeo(source, `docker://${registry.host}/bench/skopeo-${tag}:x`)));
        push.ours.push(time(() => ours(source, `docker://${registry.host}/bench/ours-${tag}:x`, cache)));
        pull.skopeo.push(time(() => skopeo(`docker://${registry.host}/bench/skopeo-${tag}:x`, `oci:${join(work, `s-${tag}`)}:x`)));
        pull.ours.push(time(() => ours(`docker://${registry.host}/bench/ours-${tag}:x`, `oci:${join(work, `o-${tag}`)}:x`, cache)));
      }
      const ratio = (o: number[], s: number[]): string => (median(s) / median(o)).toFixed(2);
      lines.push(
        `${label}: push ${ratio(push.ours, push.skopeo)}× skopeo's throughput (ours ${median(push.ours).toFixed(0)} ms, skopeo ${median(push.skopeo).toFixed(0)} ms); ` +
          `pull ${ratio(pull.ours, pull.skopeo)}× (ours ${median(pull.ours).toFixed(0)} ms, skopeo ${median(pull.skopeo).toFixed(0)} ms)`,
      );
    }
    process.stdout.write(`copy vs skopeo copy, median of ${ROUNDS} rounds, same run:\n${lines.join('\n')}\n`);
  } finally {
    await registry.stop();
    rmSync(cacheRoot, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
