/**
 * The scan queue of a cluster on S3 and PostgreSQL (test/support/cluster.ts):
 * an image pushed through api process A is taken by worker W1, which is
 * held in the middle of its scan by the test gate (PORTCULLIS_TEST_GATE,
 * never a sleep) and killed there with kill -9; worker W2 takes the job over
 * once W1's lease has run out and finishes it, reading the layers from the
 * bucket; A and a second api process B then serve the image, and the
 * result is one row in the shared database. The same scene on a folder is
 * test/server/scale-out.peer.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { layoutManifest, startCluster, until, type Cluster } from '../support/cluster.js';
import { TINY_IMAGE_ADVISORIES } from '../support/osv.js';
import { peerImages } from '../support/peers.js';
import { policyAnswer, type ServeProcess } from '../support/serve-process.js';
import { skopeoCopy } from '../support/skopeo.js';
import { digestOf } from '../server/api/helpers.js';

let cluster: Cluster;

before(async () => {
  // Only the HIGH lodash advisories: the tiny image is scanned, found HIGH, and served under a CRITICAL threshold.
  cluster = await startCluster({
    advisories: TINY_IMAGE_ADVISORIES.filter((a) => a.id !== 'GHSA-xvch-5gv4-984h'),
    args: ['--no-ui', '--rescan-interval', '0', '--deny-severity', 'CRITICAL', '--scan-lease', '2s'],
  });
});

after(async () => {
  await cluster?.stop();
});

const scanEvents = (p: ServeProcess): Array<Record<string, unknown>> => p.lines.filter((l) => l.event === 'scan');

test('pushed through api A, worker W1 killed with kill -9 mid-scan, W2 finishes it from the bucket, A and B serve the result', async () => {
  const a = await cluster.start({ role: 'api' });
  const b = await cluster.start({ role: 'api' });
  const w1 = await cluster.start({ role: 'worker', gateOn: 'scan' });
  const images = await peerImages('tiny');
  await skopeoCopy(images.tinyOci, `docker://${new URL(a.url).host}/team/tiny:v1`);
  const digest = digestOf((await layoutManifest(images.tinyOci)).bytes);

  await until('W1 to start the scan', () => existsSync(join(cluster.gate, `scan.${w1.process.pid}`)));
  for (const p of [a, b]) {
    const waiting = await fetch(`${p.url}/v2/team/tiny/manifests/v1`);
    assert.equal(waiting.status, 403, 'refused while the scan is unfinished');
    assert.match(await waiting.text(), /waiting to be scanned|being scanned/);
  }
  await cluster.kill(w1);
  await cluster.release();
  const w2 = await cluster.start({ role: 'worker' });

  const answer = await policyAnswer(a.url, 'team/tiny');
  assert.equal(answer.status, 200, answer.message);
  assert.equal((await policyAnswer(b.url, 'team/tiny')).status, 200);
  const done = scanEvents(w2).find((l) => l.digest === digest);
  assert.equal(done?.state, 'done', 'W2 finished the job');
  assert.deepEqual(done?.counts, { HIGH: 2 }, 'the two lodash advisories, found in the layers W2 read from the bucket');
  assert.deepEqual(scanEvents(a), [], 'api process A scanned nothing');
  assert.deepEqual(scanEvents(b), [], 'api process B scanned nothing');

  const client = new pg.Client({ connectionString: cluster.metadataUrl });
  await client.connect();
  try {
    const scans = await client.query<{ state: string; result: unknown }>('SELECT state FROM portcullis_registry.scans WHERE manifest_digest = $1', [digest]);
    assert.deepEqual(scans.rows.map((r) => r.state), ['done']);
    assert.deepEqual((await client.query('SELECT digest FROM portcullis_registry.scan_jobs')).rows, [], 'the job left the queue');
  } finally {
    await client.end();
  }
});
