/**
 * One advisory database for a cluster (test/support/cluster.ts): every
 * process reads the same PostgreSQL advisory store (`--db postgres://…`, its
 * own schema in the cluster's database). The real tiny image is pushed
 * through A and scanned against a database that knows only the two HIGH
 * lodash advisories (served under --deny-severity CRITICAL, both shown);
 * then one `portcullis db import` of the CRITICAL minimist advisory,
 * run as an operator runs it, into that one store. Every process notices the
 * new database (its fingerprint, checked every --rescan-interval), the image
 * is rescanned, and both A and B then refuse it under --deny-severity
 * CRITICAL naming the reason, and both UIs list the new advisory on the
 * image's page. (An empty database is no database: a scan waits for one.)
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { digestOf } from '../server/api/helpers.js';
import { layoutManifest, portcullis, startCluster, until, type Cluster } from '../support/cluster.js';
import { TINY_IMAGE_ADVISORIES, TINY_IMAGE_FINDING_IDS, writeAdvisories } from '../support/osv.js';
import { peerImages } from '../support/peers.js';
import { policyAnswer } from '../support/serve-process.js';
import { skopeoCopy } from '../support/skopeo.js';

let cluster: Cluster;
const CRITICAL_ID = 'GHSA-xvch-5gv4-984h';
const KNOWN = TINY_IMAGE_ADVISORIES.filter((a) => a.id !== CRITICAL_ID);
const IMPORTED = TINY_IMAGE_ADVISORIES.filter((a) => a.id === CRITICAL_ID);

before(async () => {
  cluster = await startCluster({ advisories: KNOWN, advisoryStore: 'postgres', args: ['--rescan-interval', '1s', '--deny-severity', 'CRITICAL'] });
});

after(async () => {
  await cluster?.stop();
});

test('one db import into the shared PostgreSQL advisory store: the rescan shows through every process, in the pull policy and the UI', async () => {
  const [a, b] = await Promise.all([cluster.start(), cluster.start()]);
  const images = await peerImages('tiny');
  const digest = digestOf((await layoutManifest(images.tinyOci)).bytes);
  await skopeoCopy(images.tinyOci, `docker://${new URL(a.url).host}/team/tiny:v1`);
  const page = async (base: string): Promise<string> => {
    const res = await fetch(`${base}/ui/r/team/tiny/m/${digest}`);
    assert.equal(res.status, 200);
    return res.text();
  };

  for (const p of [a, b]) {
    const answer = await policyAnswer(p.url, 'team/tiny');
    assert.equal(answer.status, 200, `${p.url}: only HIGH known yet: ${answer.message}`);
    const html = await page(p.url);
    for (const id of TINY_IMAGE_FINDING_IDS.filter((x) => x !== CRITICAL_ID)) assert.match(html, new RegExp(id), `${p.url}: ${id} shown`);
    assert.doesNotMatch(html, new RegExp(CRITICAL_ID), `${p.url}: ${CRITICAL_ID} not shown before the import`);
  }

  await portcullis(['db', 'import', '--quiet', '--db', cluster.advisoryDb, writeAdvisories(join(cluster.work, 'osv-import'), IMPORTED)]);

  for (const p of [a, b]) {
    let last = { status: 0, message: '' };
    await until(`${p.url} to refuse the rescanned image`, async () => {
      last = await policyAnswer(p.url, 'team/tiny');
      return last.status === 403;
    });
    assert.match(last.message, /CRITICAL/, `${p.url}: ${last.message}`);
    const html = await page(p.url);
    for (const id of TINY_IMAGE_FINDING_IDS) assert.match(html, new RegExp(id), `${p.url}: ${id} shown after the rescan`);
  }

  const client = new pg.Client({ connectionString: cluster.metadataUrl });
  await client.connect();
  try {
    const scans = await client.query<{ state: string }>('SELECT state FROM portcullis_registry.scans WHERE manifest_digest = $1', [digest]);
    assert.deepEqual(scans.rows.map((r) => r.state), ['done'], 'one scan record, shared by the processes');
  } finally {
    await client.end();
  }
});
