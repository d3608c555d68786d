/**
 * Garbage collection in a cluster on S3 and PostgreSQL (test/support/cluster.ts):
 * process C collects back to back through its API (POST /api/v1/gc) while
 * four clients push through processes A and B, reusing layers that were
 * garbage (deleted, older than the grace period) so that C's claims and the
 * pushes race on them. Afterwards every pushed tag, child manifest and blob
 * reads back whole through A, B and C, and a last collection leaves the
 * bucket holding exactly the blobs the tags reference. The same scene in
 * one process: test/server/gc/backends.peer.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { digestOf } from '../server/api/helpers.js';
import { checkWhole, client, type Counters, type Pushed } from '../server/gc/pushers.js';
import { startCluster, type Cluster } from '../support/cluster.js';

let cluster: Cluster;

before(async () => {
  // 2 s of grace: a multipart write into S3 takes long enough that with none, back-to-back collections starve pushes (docs/serve.md).
  cluster = await startCluster({ args: ['--no-ui', '--no-scan', '--gc-interval', '0', '--gc-grace', '2s'] });
});

after(async () => {
  await cluster?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One collection through C's API; `false` when another run held the lease (503). */
async function collect(base: string): Promise<boolean> {
  const res = await fetch(`${base}/api/v1/gc`, { method: 'POST' });
  const text = await res.text();
  if (res.status === 503) return false;
  assert.equal(res.status, 200, text);
  return true;
}

/** The digests of the blobs in the bucket (keys `blobs/sha256/<hex>` under the store's prefix). */
async function bucketBlobs(cluster: Cluster): Promise<string[]> {
  const out: string[] = [];
  for (const key of await cluster.s3.keys()) {
    const m = /(?:^|\/)blobs\/sha256\/([0-9a-f]{64})$/.exec(key);
    if (m) out.push(`sha256:${m[1]}`);
  }
  return out.sort();
}

test('C collects back to back while four clients push through A and B: nothing referenced is lost', async (t) => {
  const [a, b, c] = await Promise.all([cluster.start(), cluster.start(), cluster.start()]);
  const garbageLayers = Array.from({ length: 6 }, (_, i) => `layer that was garbage ${i}`);
  for (const layer of garbageLayers) {
    const put = await fetch(`${a.url}/v2/team/a/blobs/uploads/?digest=${digestOf(layer)}`, { method: 'POST', body: layer });
    assert.equal(put.status, 201);
    assert.equal((await fetch(`${b.url}/v2/team/a/blobs/${digestOf(layer)}`, { method: 'DELETE' })).status, 202);
  }
  await sleep(2_500); // past the grace period: C may claim them while the clients push them again

  let stop = false;
  let runs = 0;
  let refused = 0;
  const collector = (async () => {
    while (!stop) {
      if (await collect(c.url)) runs++;
      else refused++;
    }
  })();
  const counters: Counters = { unavailable: 0, blobUnknown: 0, uploads: 0 };
  let pushed: Pushed[];
  try {
    const bases = [a.url, b.url, a.url, b.url];
    pushed = (await Promise.all(bases.map((base, n) => client(base, n, 4, garbageLayers, counters)))).flat();
  } finally {
    stop = true;
    await collector;
  }
  t.diagnostic(`${runs} collections on C during the pushes (${refused} refused: a run in progress); ${counters.uploads} uploads, ${counters.unavailable} retries after 503, ${counters.blobUnknown} after MANIFEST_BLOB_UNKNOWN`);
  assert.ok(runs >= 2, `collections ran during the pushes (${runs})`);
  for (const p of [a, b, c]) await checkWhole(p.url, pushed);

  await sleep(2_500); // every blob past the grace period: the last run keeps only what is referenced
  assert.ok(await collect(c.url));
  for (const p of [a, b, c]) await checkWhole(p.url, pushed);
  const referenced = [...new Set(pushed.flatMap((p) => [p.digest, ...p.children, ...p.blobs]))].sort();
  assert.deepEqual(await bucketBlobs(cluster), referenced);
});
