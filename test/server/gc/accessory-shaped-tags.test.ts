/**
 * Data-loss attacks on the accessory conventions: a tag merely shaped like an accessory tag
 * (`sha256-<hex>.sig`, `sha256-<hex>`) on an image that is not an accessory must not make a delete
 * or a collection take that image. Each image is checked whole (manifest and blobs, by digest) after.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runGc } from '../../../src/server/gc/index.js';
import { makeRegistry, putManifest, type TestRegistry } from '../api/helpers.js';
import { accessoryTag, ahead, assertWhole, DAY, pushArtifact } from './helpers.js';

const stores = (r: TestRegistry) => ({ blobs: r.services.blobs, metadata: r.services.metadata });

describe('tags shaped like accessory tags', () => {
  test('DELETE of a manifest does not take an image that also carries an ordinary tag, though another of its tags names the deleted digest', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const doomed = await pushArtifact(r.app, 'team/app', { seed: 'doomed' });
    const sig = await pushArtifact(r.app, 'team/app', { seed: 'real sig', tag: accessoryTag(doomed.digest, '.sig') });
    // The user's own image, tagged `stable` and, by their own naming, with a tag of the accessory shape.
    const mine = await pushArtifact(r.app, 'team/app', { seed: 'my image', tag: 'stable' });
    const bytes = (await r.app.inject({ method: 'GET', url: `/v2/team/app/manifests/${mine.digest}` })).rawPayload;
    assert.equal((await putManifest(r.app, 'team/app', accessoryTag(doomed.digest, '.att'), bytes, 'application/vnd.oci.image.manifest.v1+json')).statusCode, 201);

    assert.equal((await r.app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${doomed.digest}` })).statusCode, 202);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/team/app/manifests/${sig.digest}` })).statusCode, 404, 'the real accessory went');
    await assertWhole(r.app, 'team/app', 'stable', mine);
    await assertWhole(r.app, 'team/app', mine.digest, mine);
    const run = await runGc(stores(r), { now: ahead(30 * DAY) });
    assert.equal(run.manifestsDeleted, 0, JSON.stringify(run.deleted));
    await assertWhole(r.app, 'team/app', 'stable', mine);
  });

  test('a collection keeps an image whose only tag is `sha256-<hex>` of its own digest (a mirror tagging by digest)', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const image = await pushArtifact(r.app, 'mirror/app', { seed: 'mirrored' });
    const bytes = (await r.app.inject({ method: 'GET', url: `/v2/mirror/app/manifests/${image.digest}` })).rawPayload;
    for (const tag of [accessoryTag(image.digest), accessoryTag(image.digest, '.mirror')]) {
      assert.equal((await putManifest(r.app, 'mirror/app', tag, bytes, 'application/vnd.oci.image.manifest.v1+json')).statusCode, 201);
    }
    const dry = await runGc(stores(r), { dryRun: true, now: ahead(30 * DAY) });
    assert.equal(dry.manifestsDeleted, 0, JSON.stringify(dry.deleted));
    const run = await runGc(stores(r), { now: ahead(30 * DAY), graceMs: 0 });
    assert.deepEqual([run.manifestsDeleted, run.tagsDeleted, run.blobsDeleted], [0, 0, 0], JSON.stringify(run.deleted));
    await assertWhole(r.app, 'mirror/app', accessoryTag(image.digest), image);
  });
});
