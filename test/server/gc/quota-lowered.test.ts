/**
 * Data-loss attack on quotas: a quota lowered below what the project already holds refuses new bytes, and
 * only that. What is stored stays whole, re-pushes and retags of it pass, a refused push leaves the tag it
 * aimed at where it was, and a collection deletes nothing the project's tags use.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runGc, type ProjectSettings, type ProjectSettingsProvider } from '../../../src/server/gc/index.js';
import { digestOf, errorCode, imageManifest, makeRegistry, OCI_MANIFEST, putManifest } from '../api/helpers.js';
import { ahead, assertWhole, DAY, pushArtifact } from './helpers.js';

test('a quota lowered below usage: new bytes 403 DENIED, the tag they aimed at unmoved; re-pushes and retags pass; nothing stored is lost', async (t) => {
  let quota: ProjectSettings = {};
  const projects: ProjectSettingsProvider = { settingsFor: async (project) => (project === 'team' ? quota : {}) };
  const r = await makeRegistry({ projects });
  t.after(() => r.close());
  const image = await pushArtifact(r.app, 'team/app', { seed: 'held', tag: 'v1', layers: ['a layer '.repeat(500)] });
  const used = await r.services.metadata.projectUsage('team');
  quota = { quotaBytes: Math.floor(used / 2) };

  // A new image (new layer, new manifest) aimed at v1: refused at the layer, and v1 stays where it was.
  const layer = Buffer.from('a new layer');
  const refused = await r.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?digest=${digestOf(layer)}`, payload: layer, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(refused.statusCode, 403);
  assert.equal(errorCode(refused), 'DENIED');
  assert.match(refused.body, /project team is over its storage quota/);
  const config = image.blobs[0]!;
  const manifest = Buffer.from(JSON.stringify(imageManifest({ digest: config, size: (await r.services.blobs.stat(config))!.size }, [{ digest: digestOf(layer), size: layer.length }])));
  const put = await putManifest(r.app, 'team/app', 'v1', manifest, OCI_MANIFEST);
  assert.equal(put.statusCode, 400);
  assert.equal(errorCode(put), 'MANIFEST_BLOB_UNKNOWN');
  assert.equal(await r.services.metadata.resolveTag('team/app', 'v1'), image.digest);

  // What the project holds: re-pushed, retagged, pushed into another of its repositories.
  const bytes = (await r.app.inject({ method: 'GET', url: `/v2/team/app/manifests/v1` })).rawPayload;
  assert.equal((await putManifest(r.app, 'team/app', 'v1-again', bytes, OCI_MANIFEST)).statusCode, 201);
  const again = await pushArtifact(r.app, 'team/app', { seed: 'held', tag: 'v1-copy', layers: ['a layer '.repeat(500)] });
  assert.equal(again.digest, image.digest);

  const run = await runGc({ blobs: r.services.blobs, metadata: r.services.metadata }, { now: ahead(30 * DAY), graceMs: 0, projects });
  assert.deepEqual([run.manifestsDeleted, run.blobsDeleted], [0, 0], JSON.stringify(run.deleted));
  for (const tag of ['v1', 'v1-again', 'v1-copy']) await assertWhole(r.app, 'team/app', tag, image);
  assert.equal(await r.services.metadata.projectUsage('team'), used);
});
