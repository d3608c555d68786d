/**
 * Eight clients push over real HTTP while garbage collection runs back to back with no grace period for
 * blobs: a blob nothing links or references may be claimed the moment it is, even while a client is
 * finishing its upload — the protocol's safety must not rest on the grace period, only the pushes'
 * convenience does. (Links keep a minute of grace: a link younger than the time a client takes between
 * an upload and its manifest cannot be "loose", or no push could ever finish.) The clients push as
 * registry clients do — HEAD each blob, upload the missing ones (monolithic, or POST then PUT), then the
 * manifest; every third image an index of two manifests pushed by digest — into three repositories, with
 * a layer every client shares, layers each client reuses, their own layers, and layers that were garbage
 * when the test began; they retry what the registry asks them to (503 with Retry-After, a push that met a
 * collector) and push blobs again if a manifest PUT says one is missing. Afterwards every tag pushed
 * reads back whole with the right digests, the garbage that existed before is gone (unless a client
 * pushed the same bytes again), no claim is left, and one more run leaves storage holding exactly what
 * the tags reference.
 */
import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import { test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { parseProjectSettings, runGc } from '../../../src/server/gc/index.js';
import { startServer } from '../../../src/server/listen.js';
import type { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { digestOf, makeRegistry, pushBlob } from '../api/helpers.js';
import { captureLog } from '../../support/registry-log.js';
import { pushArtifact, stored } from './helpers.js';
import { checkWhole, client, type Counters, type Pushed } from './pushers.js';

const CLIENTS = 8;
const IMAGES_PER_CLIENT = 6;

test('8 clients pushing over HTTP while garbage collection runs back to back with no grace period: every pushed tag is whole, old garbage is gone', async (t) => {
  const r = await makeRegistry({ pushGuard: { graceMs: 0 } });
  t.after(() => r.close());
  const stores = { blobs: r.services.blobs, metadata: r.services.metadata };

  // Garbage from before: blobs deleted from their repository (some of which the clients will push again),
  // manifests never tagged in a project that keeps untagged ones for no time (their blobs deleted from
  // the repository too), and bytes without metadata.
  const garbageLayers = Array.from({ length: 12 }, (_, i) => `layer that was garbage ${i}`);
  const garbage = new Set<Digest>();
  const unlink = async (repository: string, digest: Digest): Promise<void> => {
    assert.equal((await r.app.inject({ method: 'DELETE', url: `/v2/${repository}/blobs/${digest}` })).statusCode, 202);
  };
  for (const layer of garbageLayers) {
    garbage.add(await pushBlob(r.app, 'team/a', layer));
    await unlink('team/a', digestOf(layer));
  }
  for (let i = 0; i < 10; i++) {
    garbage.add(await pushBlob(r.app, 'other/c', `unused upload ${i}`));
    await unlink('other/c', digestOf(`unused upload ${i}`));
  }
  for (let i = 0; i < 4; i++) {
    const untagged = await pushArtifact(r.app, 'old/x', { seed: `old untagged ${i}`, layers: [`old untagged layer ${i}`] });
    for (const d of [untagged.digest, ...untagged.blobs]) garbage.add(d);
    for (const d of untagged.blobs) await unlink('old/x', d);
  }
  const projects = parseProjectSettings('defaults:\n  untaggedRetention: 1m\nprojects:\n  old:\n    untaggedRetention: 0\n', 'test');
  const fs = r.services.blobs as FilesystemBlobStore;
  for (let i = 0; i < 4; i++) {
    const bytes = Buffer.from(`orphan bytes ${i}`);
    await fs.putBytes(digestOf(bytes), bytes);
    const old = new Date(Date.now() - 3_600_000);
    await utimes(fs.blobPath(digestOf(bytes)), old, old);
    garbage.add(digestOf(bytes));
  }

  const captured = captureLog('warn');
  const server = await startServer({ services: r.services, port: 0, log: captured.log });
  t.after(() => {
    for (const line of captured.events('error').slice(0, 3)) t.diagnostic(JSON.stringify(line).slice(0, 2000));
  });
  t.after(() => server.close());
  let stop = false;
  let runs = 0;
  let collected = 0;
  const collector = (async () => {
    while (!stop) {
      const report = await runGc(stores, { graceMs: 0, linkGraceMs: 60_000, projects });
      runs++;
      collected += report.blobsDeleted;
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  const counters: Counters = { unavailable: 0, blobUnknown: 0, uploads: 0 };
  let pushed: Pushed[];
  try {
    pushed = (await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(server.url, n, IMAGES_PER_CLIENT, garbageLayers, counters)))).flat();
  } finally {
    stop = true;
    await collector;
  }
  t.diagnostic(`${runs} collections during the pushes deleted ${collected} blobs; clients made ${counters.uploads} uploads, retried ${counters.unavailable} times after 503 and ${counters.blobUnknown} times after MANIFEST_BLOB_UNKNOWN`);
  assert.ok(runs >= 3, `the collector ran during the pushes (${runs} runs)`);
  assert.equal(pushed.length, CLIENTS * IMAGES_PER_CLIENT);

  const whole = (): Promise<void> => checkWhole(server.url, pushed);
  await whole();
  const referenced = new Set(pushed.flatMap((p) => [p.digest, ...p.children, ...p.blobs]));
  let left = await stored(r.services.blobs);
  for (const digest of garbage) if (!referenced.has(digest)) assert.ok(!left.has(digest), `old garbage ${digest} is gone`);
  assert.deepEqual(await r.services.metadata.claimedBlobs({ limit: 10 }), [], 'no claim left');

  // One more run once the pushes are over: what failed retries left behind goes, nothing else.
  await runGc(stores, { graceMs: 0, projects });
  await whole();
  left = await stored(r.services.blobs);
  assert.deepEqual([...left].sort(), [...referenced].sort(), 'storage holds exactly what the tags reference');
});
