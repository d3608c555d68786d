/**
 * Two `portcullis serve` processes over one PostgreSQL database and one S3
 * bucket (test/support/cluster.ts) are one registry:
 * - the real tiny image pushed through A with skopeo and copied out of B
 *   with skopeo is byte-exact: the manifest B serves is the source's bytes,
 *   every blob B serves is the source's bytes, and skopeo's copy out of B
 *   holds the same blob files;
 * - clients pushing different images through A and B at once, and racing
 *   pushes of one tag through both: afterwards every manifest and blob reads
 *   back with its digest through both processes, and the raced tag names the
 *   same manifest through both.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { digestOf } from '../server/api/helpers.js';
import { checkWhole, client, type Counters } from '../server/gc/pushers.js';
import { layoutManifest, startCluster, type Cluster } from '../support/cluster.js';
import { tarOf } from '../support/oci-builder.js';
import { peerImages } from '../support/peers.js';
import { pushOneLayerImage, type ServeProcess } from '../support/serve-process.js';
import { skopeoCopy, skopeoRaw } from '../support/skopeo.js';

let cluster: Cluster;
let a: ServeProcess;
let b: ServeProcess;

before(async () => {
  cluster = await startCluster();
  [a, b] = await Promise.all([cluster.start(), cluster.start()]);
});

after(async () => {
  await cluster?.stop();
});

const hostOf = (p: ServeProcess): string => new URL(p.url).host;

async function fetchBytes(url: string): Promise<Buffer> {
  const res = await fetch(url, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

describe('cluster: two processes over one PostgreSQL database and one S3 bucket', () => {
  test('pushed through A with skopeo, pulled through B with skopeo: byte-exact', async () => {
    const images = await peerImages('tiny');
    const source = await layoutManifest(images.tinyOci);
    await skopeoCopy(images.tinyOci, `docker://${hostOf(a)}/team/tiny:latest`);

    const fromB = await fetchBytes(`${b.url}/v2/team/tiny/manifests/latest`);
    assert.equal(digestOf(fromB), digestOf(source.bytes), 'B serves the manifest skopeo pushed through A');
    assert.ok(fromB.equals(source.bytes));
    assert.equal(digestOf(Buffer.from(await skopeoRaw(`docker://${hostOf(b)}/team/tiny:latest`))), digestOf(source.bytes));
    const manifest = JSON.parse(source.bytes.toString('utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
    const blobs = [manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
    assert.equal(blobs.length, 5, 'config and four layers');
    for (const blob of blobs) {
      const expected = await readFile(join(source.dir, 'blobs', 'sha256', blob.replace('sha256:', '')));
      const served = await fetchBytes(`${b.url}/v2/team/tiny/blobs/${blob}`);
      assert.equal(digestOf(served), blob);
      assert.ok(served.equals(expected), `${blob}: B serves the bytes pushed through A`);
    }

    const out = join(cluster.work, 'pulled-through-b');
    await skopeoCopy(`docker://${hostOf(b)}/team/tiny:latest`, `oci:${out}:latest`);
    const pulled = await layoutManifest(`oci:${out}:latest`);
    assert.equal(digestOf(pulled.bytes), digestOf(source.bytes), "skopeo's copy out of B has the source's manifest");
    for (const blob of blobs) {
      const copied = await readFile(join(out, 'blobs', 'sha256', blob.replace('sha256:', '')));
      assert.equal(digestOf(copied), blob);
    }
  });

  test('different images pushed through A and B at once: every manifest and blob reads back through both', async () => {
    const counters: Counters = { unavailable: 0, blobUnknown: 0, uploads: 0 };
    const garbage = Array.from({ length: 4 }, (_, i) => `extra layer ${i}`);
    const bases = [a.url, b.url, a.url, b.url];
    const pushed = (await Promise.all(bases.map((base, n) => client(base, n, 4, garbage, counters)))).flat();
    assert.equal(pushed.length, 16);
    assert.equal(counters.unavailable, 0, 'no collector runs here: nothing asked to retry');
    await checkWhole(a.url, pushed);
    await checkWhole(b.url, pushed);
  });

  test('one tag pushed through A and B at once, ten times: both serve the same manifest, and both images whole', async () => {
    const layer = async (seed: string): Promise<{ blob: Buffer; diffId: string; mediaType: string }> => {
      const tar = await tarOf([{ name: `etc/${seed}`, body: seed }]);
      return { blob: gzipSync(tar), diffId: digestOf(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
    };
    for (let round = 0; round < 10; round++) {
      const [fromA, fromB] = await Promise.all([
        layer(`round ${round} through A`).then((l) => pushOneLayerImage(a.url, 'team/raced', l)),
        layer(`round ${round} through B`).then((l) => pushOneLayerImage(b.url, 'team/raced', l)),
      ]);
      const [tagA, tagB] = await Promise.all([fetchBytes(`${a.url}/v2/team/raced/manifests/v1`), fetchBytes(`${b.url}/v2/team/raced/manifests/v1`)]);
      assert.equal(digestOf(tagA), digestOf(tagB), `round ${round}: A and B name the same manifest`);
      assert.ok([fromA, fromB].includes(digestOf(tagA)), `round ${round}: the tag is one of the two pushes`);
      for (const digest of [fromA, fromB]) {
        for (const base of [a.url, b.url]) {
          const bytes = await fetchBytes(`${base}/v2/team/raced/manifests/${digest}`);
          assert.equal(digestOf(bytes), digest);
          const m = JSON.parse(bytes.toString('utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
          for (const blob of [m.config.digest, ...m.layers.map((l) => l.digest)]) {
            assert.equal(digestOf(await fetchBytes(`${base}/v2/team/raced/blobs/${blob}`)), blob);
          }
        }
      }
    }
  });
});
