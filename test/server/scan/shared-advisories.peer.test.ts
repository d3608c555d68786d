/**
 * One PostgreSQL advisory store for several registries: `portcullis db
 * import --db postgres://…` (the real executable) fills it once, two
 * `portcullis serve --db postgres://…` processes (each with its own data
 * folder and metadata) scan the same image against it and answer the same;
 * a second `db import` (lodash's CVE-2021-23337, HIGH) is seen by both at
 * their next database check, both rescan, and both refuse the image with the
 * same reason; their stored results hold the same findings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { runCliProcess } from '../../support/cli.js';
import { writeAdvisories, type OsvAdvisory } from '../../support/osv.js';
import { DEBIAN_12_SAMPLE, REPO_ROOT, VULNDATA } from '../../support/paths.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.js';

const HELLO = join(REPO_ROOT, 'examples', 'hello');
const blob = (digest: string): Buffer => readFileSync(join(HELLO, 'blobs', ...digest.split(':')));
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

let peer: PostgresPeer;
let database: string;
let work: string;
const serves: ServeProcess[] = [];

before(async () => {
  peer = await startPostgres();
  database = await peer.createDatabase();
  work = await mkdtemp(join(tmpdir(), 'portcullis-shared-advisories-'));
});

after(async () => {
  for (const s of serves) await s.stop();
  await peer?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function pushHello(url: string, name: string): Promise<Digest> {
  const index = JSON.parse(readFileSync(join(HELLO, 'index.json'), 'utf8')) as { manifests: Array<{ digest: Digest; mediaType: string }> };
  const top = index.manifests[0]!;
  const manifest = blob(top.digest);
  const { config, layers } = JSON.parse(manifest.toString('utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
  for (const digest of [config.digest, ...layers.map((l) => l.digest)]) {
    const r = await fetch(`${url}/v2/${name}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: blob(digest) });
    assert.equal(r.status, 201, await r.text());
  }
  const r = await fetch(`${url}/v2/${name}/manifests/latest`, { method: 'PUT', body: manifest, headers: { 'content-type': top.mediaType } });
  assert.equal(r.status, 201, await r.text());
  return top.digest;
}

/** The pull's answer once the pull policy has one that `done` accepts (polled; gives up after a minute with what it saw). */
async function pullUntil(url: string, done: (status: number, body: string) => boolean): Promise<{ status: number; body: string }> {
  let last = { status: 0, body: '' };
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${url}/v2/demo/hello/manifests/latest`, { headers: { accept: MANIFEST_TYPE } });
    last = { status: r.status, body: await r.text() };
    if (done(last.status, last.body)) return last;
    await sleep(100);
  }
  assert.fail(`${url}: no such answer; the last was ${last.status} ${last.body}`);
}

test('one db import into PostgreSQL serves two serve processes; a later import makes both rescan and refuse alike', async () => {
  const base = await runCliProcess(['db', 'import', '--db', database, join(VULNDATA, 'osv/ghsa-samples/advisory-database-layout'), DEBIAN_12_SAMPLE]);
  assert.equal(base.code, 0, base.stderr);
  assert.match(base.stdout, /^postgres:\/\/.*: \d+ inserted/);

  for (const name of ['a', 'b']) {
    serves.push(await startServeProcess(['--root', join(work, name), '--db', database, '--rescan-interval', '1s', '--deny-severity', 'HIGH', '--no-notary']));
  }
  const digests = await Promise.all(serves.map((s) => pushHello(s.url, 'demo/hello')));
  assert.equal(digests[0], digests[1]);
  for (const s of serves) {
    const answer = await pullUntil(s.url, (status) => status === 200);
    assert.equal(answer.status, 200, 'scanned: nothing HIGH known against it yet');
  }

  const lodash = {
    id: 'GHSA-35jh-r3h4-6jhm',
    modified: '2024-03-15T05:02:08Z',
    aliases: ['CVE-2021-23337'],
    affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }],
    database_specific: { severity: 'HIGH' },
  } as OsvAdvisory;
  const more = await runCliProcess(['db', 'import', '--db', database, writeAdvisories(join(work, 'lodash'), [lodash])]);
  assert.equal(more.code, 0, more.stderr);
  assert.match(more.stdout, /: 1 inserted/);

  const refusals = [];
  for (const s of serves) refusals.push(await pullUntil(s.url, (status) => status === 403));
  for (const r of refusals) assert.match(r.body, /has 1 HIGH vulnerability/);
  assert.equal(refusals[0]!.body, refusals[1]!.body, 'both registries give the same reason');

  for (const s of serves.splice(0)) assert.equal(await s.stop(), 0);
  const findings = [];
  for (const name of ['a', 'b']) {
    const metadata = new SqliteMetadataStore(join(work, name, 'registry.sqlite'));
    try {
      const scan = await metadata.getScan(digests[0]!);
      assert.equal(scan?.state, 'done');
      findings.push(scan!.result!.findings);
    } finally {
      await metadata.close();
    }
  }
  assert.ok(findings[0]!.some((f) => f.id === 'CVE-2021-23337'), JSON.stringify(findings[0]!.map((f) => f.id)));
  assert.deepEqual(findings[1], findings[0]);
});
