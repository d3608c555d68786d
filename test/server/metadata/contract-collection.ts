/**
 * The MetadataStore contract (contract.ts), garbage collection's side of the
 * blob lifecycle (store.ts): reservations, claims and orphans, pushes that
 * meet a claim, loose links, the collector's lease, and recorded sizes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ManifestRecord } from '../../../src/server/metadata/store.js';
import { at, code, d, manifest, withStore, type MakeStore } from './contract-support.js';

export function collectionContract(makeStore: MakeStore): void {
  test('unreferenced blobs: neither linked nor referenced by a manifest', async () => {
    await withStore(makeStore, async (store) => {
      const m = manifest('app', 'gc');
      await store.linkBlob('app', d('gc-config'));
      await store.linkBlob('app', d('gc-layer'));
      await store.linkBlob('app', d('loose'));
      await store.putManifest(m, 'latest');
      assert.deepEqual(await store.unreferencedBlobs(), []);
      await store.unlinkBlob('app', d('loose'));
      assert.deepEqual(await store.unreferencedBlobs(), [d('loose')]);
      await store.unlinkBlob('app', d('gc-layer'));
      assert.deepEqual(await store.unreferencedBlobs(), [d('loose')], 'still referenced by the manifest');
      await store.deleteManifest('app', m.digest);
      const left = await store.unreferencedBlobs();
      assert.ok(left.includes(d('gc-layer')));
      assert.ok(left.includes(m.digest), 'the manifest bytes themselves');
      assert.ok(!left.includes(d('gc-config')), 'still linked');
    });
  });

  test('blob lifecycle: a reservation touches; a claim takes only an untouched blob; a claimed blob refuses links until its claim is finished', async () => {
    await withStore(makeStore, async (store) => {
      const blob = d('life');
      const first = await store.reserveBlob(blob, at(1));
      assert.equal(first.state, 'live');
      const again = await store.reserveBlob(blob, at(2));
      assert.deepEqual(again, first, 'a live blob keeps its epoch');
      assert.equal((await store.blobRow(blob))?.touchedAt, at(2));
      assert.equal(await store.claimBlob(blob, { touchedBefore: at(2), now: at(3) }), undefined, 'touched at the cutoff: not claimable');
      const claim = await store.claimBlob(blob, { touchedBefore: at(3), now: at(3) });
      assert.ok(claim);
      assert.equal(claim.digest, blob);
      assert.notEqual(claim.epoch, first.epoch, 'a claim changes the epoch');
      assert.equal(await store.claimBlob(blob, { touchedBefore: at(9), now: at(9) }), undefined, 'claimed once');
      assert.deepEqual(await store.reserveBlob(blob, at(4)), { state: 'deleting', epoch: claim.epoch, claimedAt: at(3) });
      await assert.rejects(store.linkBlob('app', blob), code('UNAVAILABLE'));
      await assert.rejects(store.putManifest({ ...manifest('app', 'uses-claimed'), references: [blob] }, 'v1'), code('UNAVAILABLE'));
      assert.equal(await store.getManifest('app', d('uses-claimed')), undefined, 'a refused push records nothing');
      assert.equal(await store.resolveTag('app', 'v1'), undefined);
      assert.equal(await store.isBlobLinked('app', blob), false);
      assert.deepEqual((await store.claimedBlobs({ limit: 10 })).map((c) => c.digest), [blob]);
      assert.deepEqual(await store.claimedBlobs({ claimedBefore: at(3), limit: 10 }), [], 'claimed at 3 is not before 3');
      assert.equal(await store.finishClaim({ digest: blob, epoch: first.epoch }), false, 'another epoch is not this claim');
      assert.equal(await store.finishClaim(claim), true);
      assert.equal(await store.blobRow(blob), undefined);
      const reborn = await store.reserveBlob(blob, at(5));
      assert.equal(reborn.state, 'live');
      assert.ok(reborn.epoch !== first.epoch && reborn.epoch !== claim.epoch, 'a blob created again never reuses an epoch');
      await assert.rejects(store.linkBlob('app', blob, { reservation: first.epoch }), code('UNAVAILABLE'), 'the reservation from before the claim is stale');
      assert.equal(await store.isBlobLinked('app', blob), false);
      await store.linkBlob('app', blob, { reservation: reborn.epoch, size: 42 });
      assert.equal(await store.isBlobLinked('app', blob), true);
      assert.equal((await store.blobRow(blob))?.size, 42);
    });
  });

  test('claims: never a linked, referenced or manifest blob; unreferenced blobs page by digest and by last touch', async () => {
    await withStore(makeStore, async (store) => {
      const linked = d('c-linked');
      const m = manifest('app', 'c-manifest', { references: [d('c-config')], pushedAt: at(1) });
      await store.linkBlob('app', linked, { now: at(1) });
      await store.putManifest(m, 'latest');
      for (const blob of [linked, m.digest, d('c-config')]) {
        assert.equal(await store.claimBlob(blob, { touchedBefore: at(60), now: at(60) }), undefined, blob);
      }
      const loose = [d('c-a'), d('c-b'), d('c-c')].sort();
      for (const [i, blob] of loose.entries()) await store.reserveBlob(blob, at(10 + i));
      assert.deepEqual(await store.unreferencedBlobs(), loose);
      assert.deepEqual(await store.unreferencedBlobs({ limit: 2 }), loose.slice(0, 2));
      assert.deepEqual(await store.unreferencedBlobs({ after: loose[0] }), loose.slice(1));
      assert.deepEqual(await store.unreferencedBlobs({ touchedBefore: at(11) }), [loose[0]], 'only the one touched at minute 10');
      const claimed = await store.claimBlob(loose[0]!, { touchedBefore: at(11), now: at(20) });
      assert.ok(claimed);
      assert.deepEqual(await store.unreferencedBlobs(), loose.slice(1), 'a claimed blob is not listed as unreferenced');
    });
  });

  test('orphans: bytes without a row are claimed; a blob with a row is not', async () => {
    await withStore(makeStore, async (store) => {
      await store.reserveBlob(d('o-known'), at(1));
      const claims = await store.claimOrphans([d('o-known'), d('o-orphan'), d('o-orphan')], at(2));
      assert.deepEqual(claims.map((c) => [c.digest, c.claimedAt]), [[d('o-orphan'), at(2)]]);
      assert.deepEqual(await store.reserveBlob(d('o-orphan'), at(3)), { state: 'deleting', epoch: claims[0]!.epoch, claimedAt: at(2) });
      assert.deepEqual(await store.claimOrphans([d('o-orphan')], at(4)), [], 'already claimed');
      assert.equal(await store.finishClaim(claims[0]!), true);
    });
  });

  test('putManifest with requirements: links and children must be in the repository; the reservation must hold', async () => {
    await withStore(makeStore, async (store) => {
      const config = d('p-config');
      const layer = d('p-layer');
      await store.linkBlob('app', config);
      const record = manifest('app', 'p-m', { references: [config, layer] });
      const reservation = await store.reserveBlob(record.digest, at(1));
      assert.equal(reservation.state, 'live');
      await assert.rejects(store.putManifest(record, 'v1', { reservation: reservation.epoch, linked: [config, layer] }), code('MANIFEST_BLOB_UNKNOWN'));
      assert.equal(await store.getManifest('app', record.digest), undefined);
      await store.linkBlob('app', layer);
      await assert.rejects(store.putManifest(record, 'v1', { reservation: reservation.epoch + 1000, linked: [config, layer] }), code('UNAVAILABLE'));
      await store.putManifest(record, 'v1', { reservation: reservation.epoch, linked: [config, layer] });
      assert.equal(await store.resolveTag('app', 'v1'), record.digest);
      const index: ManifestRecord = { ...manifest('app', 'p-index'), mediaType: 'application/vnd.oci.image.index.v1+json', references: [record.digest, d('p-absent')] };
      await assert.rejects(store.putManifest(index, undefined, { children: [record.digest, d('p-absent')] }), code('MANIFEST_BLOB_UNKNOWN'));
      await store.putManifest({ ...index, references: [record.digest] }, 'multi', { children: [record.digest] });
      const snapshot = await store.repositorySnapshot('app');
      assert.deepEqual(snapshot?.manifests.find((n) => n.digest === index.digest)?.children, [record.digest], 'children are the references that are manifests here');
      assert.deepEqual(snapshot?.manifests.find((n) => n.digest === record.digest)?.children, []);
      assert.equal((await store.blobRow(record.digest))?.size, record.size, 'a manifest records its size');
    });
  });

  test('loose links: old links no manifest of the repository uses; a read refreshes a stale link; removal rechecks atomically', async () => {
    await withStore(makeStore, async (store) => {
      await store.linkBlob('app', d('l-used'), { now: at(1) });
      await store.linkBlob('app', d('l-loose'), { now: at(1) });
      await store.linkBlob('app', d('l-young'), { now: at(9) });
      await store.linkBlob('other', d('l-used'), { now: at(1) });
      await store.putManifest(manifest('app', 'l-m', { references: [d('l-used')] }));
      assert.deepEqual(await store.looseLinks('app', at(5)), [d('l-loose')]);
      assert.deepEqual(await store.looseLinks('other', at(5)), [d('l-used')], 'a manifest elsewhere does not use it here');
      assert.deepEqual(await store.looseLinks('app', at(10), { limit: 1 }), [[d('l-loose'), d('l-young')].sort()[0]]);
      // A read while the link is stale (older than minute 3) refreshes it to minute 4: no longer loose before 4.
      assert.equal(await store.refreshLink('app', d('l-loose'), at(4), at(3)), true);
      assert.deepEqual(await store.looseLinks('app', at(4)), []);
      assert.equal(await store.unlinkIfLoose('app', d('l-loose'), at(4)), false);
      // A read of a fresh link changes nothing; an absent link is false.
      assert.equal(await store.refreshLink('app', d('l-loose'), at(8), at(3)), true);
      assert.deepEqual(await store.looseLinks('app', at(5)), [d('l-loose')], 'still linked at minute 4');
      assert.equal(await store.refreshLink('app', d('nothing'), at(8), at(3)), false);
      assert.equal(await store.unlinkIfLoose('app', d('l-used'), at(60)), false, 'used by a manifest here');
      assert.equal(await store.unlinkIfLoose('app', d('l-loose'), at(5)), true);
      assert.equal(await store.isBlobLinked('app', d('l-loose')), false);
      const holders = await store.blobHolders(d('l-used'), 10);
      assert.deepEqual(holders.links.map((l) => [l.repository, l.linkedAt]), [['app', at(1)], ['other', at(1)]]);
      assert.deepEqual(holders.manifests, [{ repository: 'app', digest: d('l-m') }]);
      assert.equal(holders.truncated, false);
      assert.equal((await store.blobHolders(d('l-used'), 1)).truncated, true);
      assert.deepEqual((await store.blobHolders(d('l-m'), 10)).manifests, [{ repository: 'app', digest: d('l-m') }], 'a manifest holds its own bytes');
      // The last link of a repository without manifests takes the repository with it.
      await store.linkBlob('gone', d('l-last'), { now: at(1) });
      assert.equal(await store.unlinkIfLoose('gone', d('l-last'), at(5)), true);
      assert.equal(await store.repositoryExists('gone'), false);
    });
  });

  test('leases: one holder at a time until it expires or is released', async () => {
    await withStore(makeStore, async (store) => {
      assert.equal(await store.acquireLease('gc', 'a', at(0), 60_000), true);
      assert.equal(await store.acquireLease('gc', 'b', at(0), 60_000), false);
      assert.equal(await store.acquireLease('gc', 'a', at(0), 120_000), true, 'the holder renews');
      assert.equal(await store.acquireLease('gc', 'b', at(1), 60_000), false, 'renewed until minute 2');
      assert.equal(await store.acquireLease('gc', 'b', at(2), 60_000), true, 'expired');
      await store.releaseLease('gc', 'a');
      assert.equal(await store.acquireLease('gc', 'c', at(2), 60_000), false, 'only the holder releases');
      await store.releaseLease('gc', 'b');
      assert.equal(await store.acquireLease('gc', 'c', at(2), 60_000), true);
    });
  });

  test('sizes: blobs without one are listed until one is recorded; a recorded size is never overwritten', async () => {
    await withStore(makeStore, async (store) => {
      await store.linkBlob('app', d('s-sized'), { size: 10 });
      await store.linkBlob('app', d('s-unsized'));
      await store.reserveBlob(d('s-reserved'), at(1));
      assert.deepEqual(await store.blobsWithoutSize({ limit: 10 }), [d('s-unsized'), d('s-reserved')].sort());
      assert.deepEqual(await store.blobsWithoutSize({ after: [d('s-unsized'), d('s-reserved')].sort()[0], limit: 10 }), [[d('s-unsized'), d('s-reserved')].sort()[1]]);
      await store.setBlobSize(d('s-unsized'), 20);
      await store.setBlobSize(d('s-sized'), 99);
      assert.equal((await store.blobRow(d('s-unsized')))?.size, 20);
      assert.equal((await store.blobRow(d('s-sized')))?.size, 10);
      assert.equal(await store.projectUsage('app'), 30);
    });
  });
}
