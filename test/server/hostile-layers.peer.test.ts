/**
 * `portcullis serve`, run as the real command in its own process, scanning
 * hostile layers pushed over HTTP:
 *
 * - a zstd bomb and a gzip bomb (a tar holding one 1 GiB file of zeros,
 *   compressed to a few hundred KB or a few MB): the scan finishes and the
 *   server's peak RSS (VmHWM from /proc) stays under 600 MB. bench/serve-bombs.ts
 *   measures the same with 10 GiB;
 * - one tar entry with 80,000 path components (once 17 s of blocked event
 *   loop): GET /v2/ keeps answering within 2 s while it is scanned, the scan
 *   fails with the path named, and the image is refused.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { importPaths } from '../../src/vuln/db.js';
import { zeroBomb } from '../layers/bomb.js';
import { tarOf } from '../support/oci-builder.js';
import { TINY_IMAGE_ADVISORIES, writeAdvisories } from '../support/osv.js';
import { peakRssMb, policyAnswer, pushOneLayerImage, startServeProcess, type ServeProcess } from '../support/serve-process.js';

const GIB = 1024 * 1024 * 1024;

describe('serve scanning hostile layers', () => {
  let work: string;
  let served: ServeProcess;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'portcullis-hostile-'));
    const db = join(work, 'advisories.sqlite');
    await importPaths(db, [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
    served = await startServeProcess(['--root', join(work, 'data'), '--db', db, '--rescan-interval', '0', '--deny-severity', 'CRITICAL']);
  });
  after(async () => {
    await served?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('a 1 GiB zstd bomb and a 1 GiB gzip bomb are scanned in bounded memory (server peak RSS < 600 MB)', async () => {
    const zstd = await zeroBomb(join(work, 'bomb.zst'), GIB, 'zstd');
    const gzip = await zeroBomb(join(work, 'bomb.gz'), GIB, 'gzip');
    assert.ok(zstd.blob.length < 2 * 1024 * 1024, `zstd bomb is ${zstd.blob.length} bytes`);
    await pushOneLayerImage(served.url, 'bomb/zstd', { ...zstd, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' });
    await pushOneLayerImage(served.url, 'bomb/gzip', { ...gzip, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
    for (const name of ['bomb/zstd', 'bomb/gzip']) {
      const result = await policyAnswer(served.url, name);
      assert.equal(result.status, 200, `${name}: a bomb of zeros has no packages and no findings once fully read: ${result.message}`);
    }
    const peak = await peakRssMb(served.process.pid!);
    assert.ok(peak < 600, `server peak RSS ${peak.toFixed(0)} MB`);
  });

  test('a layer with an 80,000-component path: GET /v2/ answers within 2 s throughout, the scan fails naming the path, the image is refused', async () => {
    const tar = await tarOf([{ name: `${'d/'.repeat(80_000)}f`, body: 'x' }]);
    const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    await pushOneLayerImage(served.url, 'hostile/deep', { blob: gzipSync(tar), diffId, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
    for (let polls = 0; ; polls++) {
      const r = await fetch(`${served.url}/v2/`, { signal: AbortSignal.timeout(2_000) });
      await r.arrayBuffer();
      assert.equal(r.status, 200);
      const m = await fetch(`${served.url}/v2/hostile/deep/manifests/v1`);
      const text = await m.text();
      if (!/waiting to be scanned|being scanned/.test(text)) {
        assert.equal(m.status, 403);
        assert.match(text, /could not be scanned/);
        // The layer reader names the entry and the cap it broke (LAYER_PATH_TOO_LONG: 16,384 characters before 1,024 components).
        assert.match(text, /entry \\"d\/d\/d.* is 160001 characters long, over the 16384-character limit/);
        break;
      }
      assert.ok(polls < 600, 'scan did not finish within 600 polls');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
