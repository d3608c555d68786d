/**
 * Garbage collection on the stores for many machines: S3 (Swift's S3 API, ../shared/peers/s3.sh) and
 * PostgreSQL 15 (a throwaway cluster). The same scene as on a folder and SQLite — kept images, garbage of
 * every kind — collected after a dry run that must say exactly what the run does; then four HTTP clients
 * pushing while collections run back to back, against a server whose metadata is PostgreSQL (row locks
 * and advisory locks, not SQLite's one writer, decide the races here).
 *
 * The blob grace period here is 2 s, not 0 as on a folder: finishing an upload into S3 takes long enough
 * (a multipart write) that with no grace at all a collector running back to back claims nearly every
 * blob between its reservation and its link, and the clients retry for ever — safe (each is refused with
 * 503, nothing dangles) but never done. That is what the grace period is for. The garbage the clients
 * push again is made older than the grace period first, so claims and reservations still race on it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { buildApp } from '../../../src/server/app.js';
import { parseProjectSettings, runGc } from '../../../src/server/gc/index.js';
import { PostgresMetadataStore } from '../../../src/server/metadata/postgres.js';
import { startServer } from '../../../src/server/listen.js';
import type { RegistryServices } from '../../../src/server/services.js';
import { S3BlobStore } from '../../../src/server/storage/s3.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { startS3, type S3Peer } from '../../support/s3.js';
import { digestOf, pushBlob } from '../api/helpers.js';
import { accessoryTag, ahead, assertWhole, HOUR, pushArtifact, stored, type Artifact } from './helpers.js';
import { checkWhole, client, type Counters, type Pushed } from './pushers.js';

let s3: S3Peer;
let postgres: PostgresPeer;
let database: string;

before(async () => {
  [s3, postgres] = await Promise.all([startS3(), startPostgres()]);
  database = await postgres.createDatabase();
});

after(async () => {
  await Promise.all([s3?.stop(), postgres?.stop()]);
});

async function openStores(): Promise<RegistryServices & { close(): Promise<void> }> {
  const blobs = new S3BlobStore({ ...s3.connection, bucket: s3.bucket, prefix: `gc-${randomBytes(4).toString('hex')}` });
  const metadata = await PostgresMetadataStore.open({ connectionString: database, schema: `gc_${randomBytes(4).toString('hex')}` });
  return {
    blobs,
    metadata,
    close: async () => {
      await metadata.close();
      await blobs.close();
    },
  };
}

const projects = parseProjectSettings('defaults:\n  untaggedRetention: 1m\nprojects:\n  old:\n    untaggedRetention: 0\n', 'test');

test('S3 + PostgreSQL: the dry run says what the run deletes; tagged images and their accessories stay whole; storage ends holding exactly what tags reference', async (t) => {
  const services = await openStores();
  t.after(() => services.close());
  const app = buildApp(services);
  await app.ready();
  t.after(() => app.close());
  const kept: Array<{ repository: string; tag: string; artifact: Artifact }> = [];
  const image = await pushArtifact(app, 'team/a', { seed: 'kept', tag: 'v1', layers: ['base', 'kept layer'] });
  kept.push({ repository: 'team/a', tag: 'v1', artifact: image });
  kept.push({ repository: 'team/a', tag: accessoryTag(image.digest, '.sig'), artifact: await pushArtifact(app, 'team/a', { seed: 'kept sig', tag: accessoryTag(image.digest, '.sig') }) });
  const garbage = new Set<Digest>();
  const loose = await pushBlob(app, 'team/a', 'an upload nothing used');
  garbage.add(loose);
  const untagged = await pushArtifact(app, 'old/x', { seed: 'untagged', layers: ['base', 'untagged layer'] });
  const untaggedSig = await pushArtifact(app, 'old/x', { seed: 'untagged sig', tag: accessoryTag(untagged.digest, '.sig') });
  for (const a of [untagged, untaggedSig]) for (const d of [a.digest, ...a.blobs]) if (d !== digestOf('base')) garbage.add(d);
  const orphan = Buffer.from('bytes without metadata');
  await services.blobs.putBytes(digestOf(orphan), orphan);
  garbage.add(digestOf(orphan));

  // Two hours ahead: everything is past the grace period (S3 keeps its own write times, not ours to move).
  const options = { projects, now: ahead(2 * HOUR) };
  const dry = await runGc(services, { ...options, dryRun: true });
  const run = await runGc(services, options);
  assert.deepEqual(run.deleted.manifests.map((m) => m.digest).sort(), [untagged.digest, untaggedSig.digest].sort());
  assert.deepEqual(dry.deleted.manifests.map((m) => m.digest).sort(), run.deleted.manifests.map((m) => m.digest).sort());
  assert.deepEqual(dry.deleted.blobs.map((b) => b.digest).sort(), run.deleted.blobs.map((b) => b.digest).sort());
  assert.equal(dry.bytesFreed, run.bytesFreed);
  assert.equal(run.orphansDeleted, 1);
  assert.deepEqual(run.deleted.blobs.map((b) => b.digest).sort(), [...garbage].sort());
  for (const k of kept) await assertWhole(app, k.repository, k.tag, k.artifact);
  const expected = new Set(kept.flatMap((k) => [k.artifact.digest, ...k.artifact.blobs]));
  assert.deepEqual([...(await stored(services.blobs))].sort(), [...expected].sort());
  assert.deepEqual(await services.metadata.claimedBlobs({ limit: 5 }), []);
});

test('S3 + PostgreSQL: four HTTP clients pushing while collections run back to back', async (t) => {
  const services = await openStores();
  t.after(() => services.close());
  const server = await startServer({ services: { ...services, pushGuard: { graceMs: 2_000 } }, port: 0 });
  t.after(() => server.close());
  const garbageLayers = Array.from({ length: 6 }, (_, i) => `layer that was garbage ${i}`);
  for (const layer of garbageLayers) {
    const put = await fetch(`${server.url}/v2/team/a/blobs/uploads/?digest=${digestOf(layer)}`, { method: 'POST', body: layer });
    assert.equal(put.status, 201);
    assert.equal((await fetch(`${server.url}/v2/team/a/blobs/${digestOf(layer)}`, { method: 'DELETE' })).status, 202);
  }
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  let stop = false;
  let runs = 0;
  const collector = (async () => {
    while (!stop) {
      await runGc(services, { graceMs: 2_000, linkGraceMs: 60_000, projects });
      runs++;
    }
  })();
  const counters: Counters = { unavailable: 0, blobUnknown: 0, uploads: 0 };
  let pushed: Pushed[];
  try {
    pushed = (await Promise.all(Array.from({ length: 4 }, (_, n) => client(server.url, n, 4, garbageLayers, counters)))).flat();
  } finally {
    stop = true;
    await collector;
  }
  t.diagnostic(`${runs} collections during the pushes; ${counters.uploads} uploads, ${counters.unavailable} retries after 503, ${counters.blobUnknown} after MANIFEST_BLOB_UNKNOWN`);
  assert.ok(runs >= 2, `collections ran during the pushes (${runs})`);
  await checkWhole(server.url, pushed);
  await runGc(services, { projects, now: ahead(2 * HOUR) });
  await checkWhole(server.url, pushed);
  const referenced = new Set(pushed.flatMap((p) => [p.digest, ...p.children, ...p.blobs]));
  assert.deepEqual([...(await stored(services.blobs))].sort(), [...referenced].sort());
  assert.deepEqual(await services.metadata.claimedBlobs({ limit: 5 }), []);
});
