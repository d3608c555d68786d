/**
 * `portcullis serve` scanning decompression bombs: the built CLI's `serve`
 * in its own process (deny-severity on, so the policy answer tells when the
 * scan is done), a zstd and a gzip bomb (one tar file of zeros,
 * BENCH_BOMB_GIB GiB, default 10) pushed over HTTP one after the other.
 * Figures: the server's peak RSS (VmHWM) after each scan, the time from push
 * to the policy's answer, and, as the same-run reference, `zstd -dc` /
 * `gzip -dc` of the same blob piped into `tar -t`. Target: under 600 MB.
 *
 *   npm run build && npx tsx bench/serve-bombs.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { importPaths } from '../src/vuln/db.js';
import { zeroBomb } from '../test/layers/bomb.js';
import { TINY_IMAGE_ADVISORIES, writeAdvisories } from '../test/support/osv.js';
import { peakRssMb, policyAnswer, pushOneLayerImage, startServeProcess } from '../test/support/serve-process.js';

const GIB = 1024 ** 3;
const BOMB_GIB = Number(process.env.BENCH_BOMB_GIB ?? 10);

function floorSeconds(file: string, how: 'zstd' | 'gzip'): number {
  const started = performance.now();
  const r = spawnSync('bash', ['-c', `${how} -dc '${file}' | tar -t > /dev/null`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${how} -dc | tar -t failed`);
  return (performance.now() - started) / 1000;
}

const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-serve-bombs-'));
try {
  const db = join(work, 'advisories.sqlite');
  await importPaths(db, [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
  const served = await startServeProcess(['--root', join(work, 'data'), '--db', db, '--rescan-interval', '0', '--deny-severity', 'CRITICAL']);
  try {
    console.log(`| bomb | blob | scan (push → policy answer) | floor (\`-dc | tar -t\`) | ratio | server peak RSS after it |`);
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const how of ['zstd', 'gzip'] as const) {
      const file = join(work, `bomb.${how}`);
      const bomb = await zeroBomb(file, BOMB_GIB * GIB, how);
      const started = performance.now();
      await pushOneLayerImage(served.url, `bomb/${how}`, { ...bomb, mediaType: `application/vnd.oci.image.layer.v1.tar+${how}` });
      const answer = await policyAnswer(served.url, `bomb/${how}`, 100_000);
      const seconds = (performance.now() - started) / 1000;
      if (answer.status !== 200) throw new Error(`bomb/${how}: ${answer.message}`);
      const rss = await peakRssMb(served.process.pid!);
      const floor = floorSeconds(file, how);
      console.log(`| ${how}, ${BOMB_GIB} GiB of zeros | ${(bomb.blob.length / 1024).toFixed(0)} KiB | ${seconds.toFixed(1)} s | ${floor.toFixed(1)} s | ${(seconds / floor).toFixed(2)}× | ${rss.toFixed(0)} MB |`);
      rmSync(file);
    }
  } finally {
    await served.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
