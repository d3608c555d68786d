/**
 * Garbage collection through the real stores (a folder and SQLite) and the API: what goes, what stays,
 * the dry run against the run, accessories, orphans, interrupted runs, one collector at a time.
 */
import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { runGc } from '../../../src/server/gc/index.js';
import type { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { digestOf, errorCode, makeRegistry, pushBlob, pushImage, type TestRegistry } from '../api/helpers.js';
import { accessoryTag, ahead, assertWhole, DAY, HOUR, pushArtifact, stored } from './helpers.js';

const stores = (r: TestRegistry) => ({ blobs: r.services.blobs, metadata: r.services.metadata });

describe('garbage collection', () => {
  test('blobs no manifest uses go after the grace period, links first; referenced and young ones stay; the dry run lists exactly what the run deletes', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const image = await pushImage(r.app, 'team/app', 'v1');
    const garbage = await pushBlob(r.app, 'team/app', 'a blob no manifest uses');
    const kept = { digest: image.digest, blobs: [image.config, ...image.layers], size: image.bytes.length };

    const early = await runGc(stores(r), { now: ahead(HOUR / 2) });
    assert.deepEqual([early.linksRemoved, early.blobsDeleted, early.bytesFreed], [0, 0, 0], 'within the grace period');

    const dry = await runGc(stores(r), { dryRun: true, now: ahead(2 * HOUR) });
    assert.equal(dry.dryRun, true);
    assert.deepEqual([dry.linksRemoved, dry.blobsDeleted, dry.bytesFreed], [1, 1, Buffer.byteLength('a blob no manifest uses')]);
    assert.deepEqual(dry.deleted.blobs, [{ digest: garbage, size: Buffer.byteLength('a blob no manifest uses') }]);
    assert.ok((await stored(r.services.blobs)).has(garbage), 'a dry run deletes nothing');
    assert.equal(await r.services.metadata.isBlobLinked('team/app', garbage), true);

    const run = await runGc(stores(r), { now: ahead(2 * HOUR) });
    assert.deepEqual(
      [run.linksRemoved, run.blobsDeleted, run.bytesFreed, run.manifestsDeleted, run.tagsDeleted],
      [dry.linksRemoved, dry.blobsDeleted, dry.bytesFreed, dry.manifestsDeleted, dry.tagsDeleted],
      'the run does what the dry run said',
    );
    assert.deepEqual(run.deleted.blobs, dry.deleted.blobs);
    assert.ok(!(await stored(r.services.blobs)).has(garbage));
    assert.equal((await r.app.inject({ method: 'HEAD', url: `/v2/team/app/blobs/${garbage}` })).statusCode, 404);
    await assertWhole(r.app, 'team/app', 'v1', kept);
    assert.equal(await r.services.metadata.blobRow(garbage), undefined, 'the row went with the bytes');

    const again = await runGc(stores(r), { now: ahead(2 * HOUR) });
    assert.deepEqual([again.linksRemoved, again.blobsDeleted, again.manifestsDeleted], [0, 0, 0]);
  });

  test('untagged manifests stay for the retention period, then go with their accessories and blobs; a tagged subject keeps its accessories', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const shared = 'a base layer both images use';
    const subject = await pushArtifact(r.app, 'team/app', { seed: 'kept image', tag: 'v1', layers: [shared, 'kept layer'] });
    const keptSig = await pushArtifact(r.app, 'team/app', { seed: 'kept sig', tag: accessoryTag(subject.digest, '.sig') });
    const keptSbom = await pushArtifact(r.app, 'team/app', { seed: 'kept sbom', subject });
    const doomed = await pushArtifact(r.app, 'team/app', { seed: 'doomed image', tag: 'old', layers: [shared, 'doomed layer'] });
    const doomedSig = await pushArtifact(r.app, 'team/app', { seed: 'doomed sig', tag: accessoryTag(doomed.digest, '.sig') });
    const doomedAtt = await pushArtifact(r.app, 'team/app', { seed: 'doomed att', tag: accessoryTag(doomed.digest, '.att') });
    const doomedSbom = await pushArtifact(r.app, 'team/app', { seed: 'doomed sbom', subject: doomed });
    assert.equal((await r.app.inject({ method: 'DELETE', url: '/v2/team/app/manifests/old' })).statusCode, 202);
    const accessoriesOfDoomed = [doomedSig, doomedAtt, doomedSbom];

    const within = await runGc(stores(r), { now: ahead(6 * DAY) });
    assert.equal(within.manifestsDeleted, 0, 'untagged for 6 days: kept');
    await assertWhole(r.app, 'team/app', doomed.digest, doomed);

    const dry = await runGc(stores(r), { dryRun: true, now: ahead(8 * DAY) });
    const gone = [doomed, ...accessoriesOfDoomed].map((a) => a.digest).sort();
    assert.deepEqual(dry.deleted.manifests.map((m) => m.digest).sort(), gone);
    assert.deepEqual(new Set(dry.deleted.manifests.map((m) => m.reason)), new Set(['untagged', 'accessory of a collected manifest']));
    const freed = [doomed, ...accessoriesOfDoomed].flatMap((a) => [a.digest, ...a.blobs]).filter((b) => b !== digestOf(shared));
    assert.deepEqual(dry.deleted.blobs.map((b) => b.digest).sort(), [...new Set(freed)].sort(), 'their manifests and blobs, not the shared layer');

    const run = await runGc(stores(r), { now: ahead(8 * DAY) });
    assert.deepEqual(run.deleted.manifests.map((m) => m.digest).sort(), gone);
    assert.deepEqual(run.deleted.blobs.map((b) => b.digest).sort(), dry.deleted.blobs.map((b) => b.digest).sort());
    assert.equal(run.bytesFreed, dry.bytesFreed);
    const left = await stored(r.services.blobs);
    for (const digest of freed) assert.ok(!left.has(digest), `${digest} was freed`);
    for (const a of [subject, keptSig, keptSbom]) {
      assert.ok(left.has(a.digest));
      for (const blob of a.blobs) assert.ok(left.has(blob));
    }
    await assertWhole(r.app, 'team/app', 'v1', subject);
    await assertWhole(r.app, 'team/app', accessoryTag(subject.digest, '.sig'), keptSig);
    await assertWhole(r.app, 'team/app', keptSbom.digest, keptSbom);
    const tags = JSON.parse((await r.app.inject({ method: 'GET', url: '/v2/team/app/tags/list' })).body) as { tags: string[] };
    assert.deepEqual(tags.tags.sort(), [accessoryTag(subject.digest, '.sig'), 'v1'].sort());
  });

  test('DELETE of a manifest by digest takes its accessories at once (not its subject, not an index child); GC then frees their blobs', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const image = await pushArtifact(r.app, 'team/app', { seed: 'image', tag: 'v1' });
    const sig = await pushArtifact(r.app, 'team/app', { seed: 'sig', tag: accessoryTag(image.digest, '.sig') });
    const sbom = await pushArtifact(r.app, 'team/app', { seed: 'sbom', subject: image });
    const sbomSig = await pushArtifact(r.app, 'team/app', { seed: 'sbom sig', tag: accessoryTag(sbom.digest, '.sig') });
    const other = await pushArtifact(r.app, 'team/app', { seed: 'other', tag: 'v2' });
    // Deleting an accessory never touches its subject.
    assert.equal((await r.app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${sbomSig.digest}` })).statusCode, 202);
    await assertWhole(r.app, 'team/app', sbom.digest, sbom);
    const del = await r.app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${image.digest}` });
    assert.equal(del.statusCode, 202);
    for (const gone of [image, sig, sbom]) {
      const res = await r.app.inject({ method: 'GET', url: `/v2/team/app/manifests/${gone.digest}` });
      assert.equal(res.statusCode, 404, gone.digest);
      assert.equal(errorCode(res), 'MANIFEST_UNKNOWN');
    }
    await assertWhole(r.app, 'team/app', 'v2', other);
    const run = await runGc(stores(r), { now: ahead(2 * HOUR) });
    assert.equal(run.manifestsDeleted, 0, 'nothing left for retention');
    const left = await stored(r.services.blobs);
    for (const a of [image, sig, sbom, sbomSig]) for (const d of [a.digest, ...a.blobs]) assert.ok(!left.has(d), `${d} freed`);
    await assertWhole(r.app, 'team/app', 'v2', other);
  });

  test('retention rules from the project settings remove tags; their manifests go once untagged for the retention period', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const { parseProjectSettings } = await import('../../../src/server/gc/index.js');
    const projects = parseProjectSettings('projects:\n  team:\n    untaggedRetention: 1d\n    retention:\n      - tags: "v*"\n        keepLast: 1\n', 'test.yaml');
    const v1 = await pushArtifact(r.app, 'team/app', { seed: 'v1', tag: 'v1' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const v2 = await pushArtifact(r.app, 'team/app', { seed: 'v2', tag: 'v2' });
    const elsewhere = await pushArtifact(r.app, 'other/app', { seed: 'o', tag: 'v1' });
    const first = await runGc(stores(r), { projects, now: ahead(2 * HOUR) });
    assert.deepEqual(first.deleted.tags.map((t) => `${t.repository}:${t.tag}`), ['team/app:v1']);
    assert.equal(first.manifestsDeleted, 0, 'untagged from now');
    assert.equal((await r.app.inject({ method: 'GET', url: '/v2/team/app/manifests/v1' })).statusCode, 404);
    await assertWhole(r.app, 'team/app', v1.digest, v1);
    const second = await runGc(stores(r), { projects, now: ahead(2 * DAY) });
    assert.deepEqual(second.deleted.manifests.map((m) => m.digest), [v1.digest]);
    await assertWhole(r.app, 'team/app', 'v2', v2);
    await assertWhole(r.app, 'other/app', 'v1', elsewhere);
  });

  test('bytes stored without metadata go once older than the grace period; young ones and ones a push reserved stay', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const fs = r.services.blobs as FilesystemBlobStore;
    const put = async (text: string, ageMs: number) => {
      const digest = digestOf(text);
      await fs.putBytes(digest, Buffer.from(text));
      const when = new Date(Date.now() - ageMs);
      await utimes(fs.blobPath(digest), when, when);
      return digest;
    };
    const old = await put('left by a crash', 2 * HOUR);
    const young = await put('being written', HOUR / 4);
    const reserved = await put('reserved by a push', 2 * HOUR);
    await r.services.metadata.reserveBlob(reserved, new Date().toISOString());
    const dry = await runGc(stores(r), { dryRun: true });
    assert.deepEqual(dry.deleted.blobs, [{ digest: old, size: Buffer.byteLength('left by a crash'), orphan: true }]);
    const run = await runGc(stores(r));
    assert.deepEqual([run.orphansDeleted, run.blobsDeleted, run.bytesFreed], [1, 1, Buffer.byteLength('left by a crash')]);
    const left = await stored(r.services.blobs);
    assert.ok(!left.has(old));
    assert.ok(left.has(young));
    assert.ok(left.has(reserved));
    assert.equal(await r.services.metadata.blobRow(old), undefined);
  });

  test('a claim a stopped collector left is finished by the next run; one collector runs at a time', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const digest = await pushBlob(r.app, 'team/app', 'claimed then abandoned');
    await r.services.metadata.unlinkBlob('team/app', digest);
    const claim = await r.services.metadata.claimBlob(digest, { touchedBefore: new Date(Date.now() + HOUR).toISOString(), now: new Date().toISOString() });
    assert.ok(claim);
    assert.equal(await r.services.metadata.acquireLease('gc', 'a collector that died', new Date().toISOString(), 60_000), true);
    await assert.rejects(runGc(stores(r)), (e: unknown) => (e as { code?: string }).code === 'UNAVAILABLE' && /another garbage collection is running/.test((e as Error).message));
    assert.equal((await runGc(stores(r), { dryRun: true })).dryRun, true, 'a dry run needs no lease');
    const run = await runGc(stores(r), { now: ahead(2 * 60_000) });
    assert.equal(run.claimsFinished, 1);
    assert.ok(!(await stored(r.services.blobs)).has(digest));
    assert.equal(await r.services.metadata.blobRow(digest), undefined);
  });

  test('sizes recorded before sizes were (an upgraded registry) are read from storage by a run, so quotas count them', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const bytes = Buffer.from('linked by an older portcullis');
    await r.services.blobs.putBytes(digestOf(bytes), bytes);
    await r.services.metadata.linkBlob('team/app', digestOf(bytes));
    assert.equal(await r.services.metadata.projectUsage('team'), 0);
    await runGc(stores(r));
    assert.equal((await r.services.metadata.blobRow(digestOf(bytes)))?.size, bytes.length);
    assert.equal(await r.services.metadata.projectUsage('team'), bytes.length);
  });
});
