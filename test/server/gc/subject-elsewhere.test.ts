/**
 * Data-loss attacks on accessories kept apart from their subject: cosign with `COSIGN_REPOSITORY` keeps
 * every signature (`sha256-<hex>.sig`) in one repository and the images in others; a referrer may be
 * pushed (with its `subject`) to another repository than the image. Such an accessory is needed as long
 * as its subject is stored somewhere in the registry, and goes (after the retention period since its
 * push) once the subject is nowhere. Copies of an image and its signature in two repositories are
 * independent: deleting one repository's copy leaves the other's whole.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runGc } from '../../../src/server/gc/index.js';
import { makeRegistry, type TestRegistry } from '../api/helpers.js';
import { accessoryTag, ahead, assertWhole, DAY, pushArtifact } from './helpers.js';

const stores = (r: TestRegistry) => ({ blobs: r.services.blobs, metadata: r.services.metadata });

describe('accessories whose subject is in another repository', () => {
  test('a signature repository (COSIGN_REPOSITORY) and a referrer pushed elsewhere stay while their subject is stored, and go once it is not', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const image = await pushArtifact(r.app, 'team/app', { seed: 'signed image', tag: 'v1' });
    const sig = await pushArtifact(r.app, 'team/sigs', { seed: 'its signature', tag: accessoryTag(image.digest, '.sig') });
    const sbom = await pushArtifact(r.app, 'team/sboms', { seed: 'its sbom', subject: image });

    const dry = await runGc(stores(r), { dryRun: true, now: ahead(30 * DAY) });
    assert.equal(dry.manifestsDeleted, 0, JSON.stringify(dry.deleted));
    const run = await runGc(stores(r), { now: ahead(30 * DAY), graceMs: 0 });
    assert.deepEqual([run.manifestsDeleted, run.tagsDeleted, run.blobsDeleted], [0, 0, 0], JSON.stringify(run.deleted));
    await assertWhole(r.app, 'team/sigs', accessoryTag(image.digest, '.sig'), sig);
    await assertWhole(r.app, 'team/sboms', sbom.digest, sbom);

    // The image deleted: nothing needs them any more.
    assert.equal((await r.app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${image.digest}` })).statusCode, 202);
    const after = await runGc(stores(r), { now: ahead(30 * DAY), graceMs: 0 });
    assert.equal(after.manifestsDeleted, 2, JSON.stringify(after.deleted));
    for (const [repository, digest] of [['team/sigs', sig.digest], ['team/sboms', sbom.digest]] as const) {
      assert.equal((await r.app.inject({ method: 'GET', url: `/v2/${repository}/manifests/${digest}` })).statusCode, 404);
    }
  });

  test('an image and its signature copied into two repositories: deleting one copy leaves the other whole, through a collection too', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const copies = [];
    for (const repository of ['team/a', 'team/b']) {
      const image = await pushArtifact(r.app, repository, { seed: 'same image', tag: 'v1' });
      const sig = await pushArtifact(r.app, repository, { seed: 'same sig', tag: accessoryTag(image.digest, '.sig') });
      copies.push({ repository, image, sig });
    }
    assert.equal(copies[0]!.image.digest, copies[1]!.image.digest);
    assert.equal((await r.app.inject({ method: 'DELETE', url: `/v2/team/a/manifests/${copies[0]!.image.digest}` })).statusCode, 202);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v2/team/a/manifests/${copies[0]!.sig.digest}` })).statusCode, 404, "a's signature went with a's image");
    await runGc(stores(r), { now: ahead(30 * DAY), graceMs: 0 });
    await assertWhole(r.app, 'team/b', 'v1', copies[1]!.image);
    await assertWhole(r.app, 'team/b', accessoryTag(copies[1]!.image.digest, '.sig'), copies[1]!.sig);
  });
});
