/**
 * The MetadataStore contract, run against every implementation (SQLite here,
 * PostgreSQL elsewhere). Only the MetadataStore interface is used. Ordering is
 * by byte value, as distribution sorts (`A` < `B` < `a`): a PostgreSQL store
 * needs `COLLATE "C"` to pass.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { ServeError } from '../../../src/server/errors.js';
import type { ManifestRecord, MetadataStore } from '../../../src/server/metadata/store.js';

const d = (seed: string): Digest => `sha256:${createHash('sha256').update(seed).digest('hex')}`;
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const code = (expected: string) => (error: unknown) => error instanceof ServeError && error.code === expected;
/** Minutes after a fixed start, as ISO times. */
const at = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';

function manifest(repository: string, seed: string, extra: Partial<ManifestRecord> = {}): ManifestRecord {
  return {
    repository,
    digest: d(seed),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 100 + seed.length,
    artifactType: OCI_CONFIG,
    references: [d(`${seed}-config`), d(`${seed}-layer`)],
    pushedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

async function withStore(makeStore: () => Promise<MetadataStore>, body: (store: MetadataStore) => Promise<void>): Promise<void> {
  const store = await makeStore();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

export function metadataStoreContract(name: string, makeStore: () => Promise<MetadataStore>): void {
  describe(`MetadataStore contract: ${name}`, () => {
    test('blob links are per repository and make the repository exist', async () => {
      await withStore(makeStore, async (store) => {
        assert.equal(await store.repositoryExists('team/app'), false);
        await store.linkBlob('team/app', d('layer'));
        await store.linkBlob('team/app', d('layer'));
        assert.equal(await store.repositoryExists('team/app'), true);
        assert.equal(await store.isBlobLinked('team/app', d('layer')), true);
        assert.equal(await store.isBlobLinked('other', d('layer')), false);
        assert.equal(await store.isBlobLinked('team/app', d('config')), false);
        assert.equal(await store.unlinkBlob('team/app', d('layer')), true);
        assert.equal(await store.unlinkBlob('team/app', d('layer')), false);
        assert.equal(await store.isBlobLinked('team/app', d('layer')), false);
      });
    });

    test('manifests: put with tag, get back every field, resolve, retag, list repositories holding it', async () => {
      await withStore(makeStore, async (store) => {
        const record = manifest('app', 'm1', {
          subject: d('subject'),
          annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z', b: 'x' },
          artifactType: 'application/vnd.example.sbom',
        });
        await store.putManifest(record, 'v1');
        assert.deepEqual(await store.getManifest('app', record.digest), record);
        assert.equal(await store.getManifest('other', record.digest), undefined);
        assert.equal(await store.resolveTag('app', 'v1'), record.digest);
        assert.equal(await store.resolveTag('app', 'v2'), undefined);
        const second = manifest('app', 'm2');
        await store.putManifest(second, 'v1');
        assert.equal(await store.resolveTag('app', 'v1'), second.digest, 'a tag moves to the newest push');
        await store.putManifest(manifest('mirror', 'm1'));
        assert.deepEqual(await store.repositoriesWithManifest(record.digest), ['app', 'mirror']);
        assert.equal(await store.repositoryExists('mirror'), true);
        // Put without tag leaves tags as they were.
        await store.putManifest(record);
        assert.equal(await store.resolveTag('app', 'v1'), second.digest);
        const tags = await store.tagsOf('app');
        assert.deepEqual(tags.map((t) => [t.repository, t.tag, t.digest]), [['app', 'v1', second.digest]]);
        assert.equal(typeof tags[0]?.updatedAt, 'string');
      });
    });

    test('references keep their order, and a record without optional fields comes back without them', async () => {
      await withStore(makeStore, async (store) => {
        const refs = [d('z'), d('a'), d('m'), d('a2')];
        const record: ManifestRecord = {
          repository: 'r',
          digest: d('index'),
          mediaType: 'application/vnd.oci.image.index.v1+json',
          size: 321,
          references: refs,
          pushedAt: '2026-02-02T00:00:00.000Z',
        };
        await store.putManifest(record);
        const back = await store.getManifest('r', record.digest);
        assert.deepEqual(back, record);
        assert.equal(back !== undefined && 'subject' in back, false);
        assert.equal(back !== undefined && 'artifactType' in back, false);
      });
    });

    test('tags: byte-order listing with n/last paging', async () => {
      await withStore(makeStore, async (store) => {
        const tags = ['b', 'a', 'B', 'A', '1.0', '1.10', '1.9', 'latest', 'a_b', 'a-b'];
        for (const [i, tag] of tags.entries()) await store.putManifest(manifest('app', `t${i}`), tag);
        const sorted = [...tags].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1));
        assert.deepEqual(sorted, ['1.0', '1.10', '1.9', 'A', 'B', 'a', 'a-b', 'a_b', 'b', 'latest']);
        assert.deepEqual(await store.listTags('app'), sorted);
        assert.deepEqual(await store.listTags('app', { limit: 3 }), sorted.slice(0, 3));
        assert.deepEqual(await store.listTags('app', { limit: 3, last: '1.9' }), ['A', 'B', 'a']);
        assert.deepEqual(await store.listTags('app', { last: 'a_b' }), ['b', 'latest']);
        assert.deepEqual(await store.listTags('app', { last: 'zzz' }), []);
        assert.deepEqual(await store.listTags('app', { limit: 0 }), []);
        assert.deepEqual(await store.listTags('nothing'), []);
      });
    });

    test('repositories: byte-order catalog with paging', async () => {
      await withStore(makeStore, async (store) => {
        for (const repo of ['library/debian', 'Zeta', 'alpha', 'library/alpine', 'alpha/sub']) await store.linkBlob(repo, d('x'));
        assert.deepEqual(await store.listRepositories(), ['Zeta', 'alpha', 'alpha/sub', 'library/alpine', 'library/debian']);
        assert.deepEqual(await store.listRepositories({ limit: 2 }), ['Zeta', 'alpha']);
        assert.deepEqual(await store.listRepositories({ limit: 2, last: 'alpha' }), ['alpha/sub', 'library/alpine']);
        assert.deepEqual(await store.listRepositories({ last: 'library/alpine' }), ['library/debian']);
      });
    });

    test('repository summaries count tags and manifests', async () => {
      await withStore(makeStore, async (store) => {
        await store.putManifest(manifest('a', 'one', { pushedAt: '2026-03-01T00:00:00.000Z' }), 'x');
        await store.putManifest(manifest('a', 'two', { pushedAt: '2026-03-02T00:00:00.000Z' }), 'y');
        await store.putManifest(manifest('a', 'two', { pushedAt: '2026-03-02T00:00:00.000Z' }), 'z');
        await store.linkBlob('b', d('blob'));
        const summaries = await store.repositorySummaries();
        assert.deepEqual(
          summaries.map((s) => [s.name, s.tags, s.manifests]),
          [
            ['a', 3, 2],
            ['b', 0, 0],
          ],
        );
        assert.equal(summaries[0]?.lastPush, '2026-03-02T00:00:00.000Z');
      });
    });

    test('deleting a manifest removes its tags only in that repository; deleting a tag keeps the manifest', async () => {
      await withStore(makeStore, async (store) => {
        const m = manifest('app', 'del');
        await store.putManifest(m, 'one');
        await store.putManifest(m, 'two');
        await store.putManifest(manifest('app', 'keep'), 'three');
        await store.putManifest(manifest('copy', 'del'), 'one');
        assert.equal(await store.deleteTag('app', 'two'), true);
        assert.equal(await store.deleteTag('app', 'two'), false);
        assert.ok(await store.getManifest('app', m.digest));
        assert.equal(await store.deleteManifest('app', m.digest), true);
        assert.equal(await store.deleteManifest('app', m.digest), false);
        assert.equal(await store.getManifest('app', m.digest), undefined);
        assert.deepEqual(await store.listTags('app'), ['three']);
        assert.equal(await store.resolveTag('copy', 'one'), m.digest);
        assert.deepEqual(await store.repositoriesWithManifest(m.digest), ['copy']);
      });
    });

    test('referrers: by subject within the repository, filtered by artifact type', async () => {
      await withStore(makeStore, async (store) => {
        const subject = d('image');
        const sig = manifest('app', 'sig', { subject, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', annotations: { k: 'v' } });
        const sbom = manifest('app', 'sbom', { subject, artifactType: 'application/spdx+json', pushedAt: '2026-01-02T00:00:00.000Z' });
        await store.putManifest(sig);
        await store.putManifest(sbom);
        await store.putManifest(manifest('app', 'unrelated', { subject: d('other') }));
        await store.putManifest(manifest('elsewhere', 'sig', { subject }));
        const all = await store.listReferrers('app', subject);
        assert.deepEqual(all.map((r) => r.digest).sort(), [sig.digest, sbom.digest].sort());
        assert.deepEqual(all.find((r) => r.digest === sig.digest), sig);
        assert.deepEqual((await store.listReferrers('app', subject, 'application/spdx+json')).map((r) => r.digest), [sbom.digest]);
        assert.deepEqual(await store.listReferrers('app', subject, 'application/none'), []);
        assert.deepEqual(await store.listReferrers('app', d('nothing')), []);
        await store.deleteManifest('app', sig.digest);
        assert.deepEqual((await store.listReferrers('app', subject)).map((r) => r.digest), [sbom.digest]);
      });
    });

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

    test('scans: save, overwrite, read back', async () => {
      await withStore(makeStore, async (store) => {
        const digest = d('scanned');
        assert.equal(await store.getScan(digest), undefined);
        await store.saveScan({ manifestDigest: digest, state: 'queued', updatedAt: '2026-01-01T00:00:00.000Z' });
        assert.deepEqual(await store.getScan(digest), { manifestDigest: digest, state: 'queued', updatedAt: '2026-01-01T00:00:00.000Z' });
        const done = {
          manifestDigest: digest,
          state: 'done' as const,
          databaseDigest: 'sha256:db1',
          counts: { CRITICAL: 1, HIGH: 2 },
          result: { schemaVersion: 1 as const, target: 'app@x', packageCounts: { dpkg: 3 }, findings: [], warnings: [], scannedAt: '2026-01-01T00:01:00.000Z' },
          updatedAt: '2026-01-01T00:01:00.000Z',
        };
        await store.saveScan(done);
        const back = await store.getScan(digest);
        assert.deepEqual(back, done);
        await store.saveScan({ manifestDigest: digest, state: 'failed', error: 'boom', databaseDigest: 'sha256:db1', updatedAt: '2026-01-01T00:02:00.000Z' });
        assert.deepEqual(await store.getScan(digest), {
          manifestDigest: digest,
          state: 'failed',
          error: 'boom',
          databaseDigest: 'sha256:db1',
          updatedAt: '2026-01-01T00:02:00.000Z',
        });
      });
    });

    test('manifests needing a scan: images only; never scanned, left queued/scanning, or scanned with another database', async () => {
      await withStore(makeStore, async (store) => {
        const fresh = manifest('a', 'fresh', { pushedAt: '2026-01-01T00:00:01.000Z' });
        const docker = manifest('a', 'docker', { artifactType: DOCKER_CONFIG, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', pushedAt: '2026-01-01T00:00:02.000Z' });
        const current = manifest('a', 'current', { pushedAt: '2026-01-01T00:00:03.000Z' });
        const stale = manifest('a', 'stale', { pushedAt: '2026-01-01T00:00:04.000Z' });
        const busy = manifest('a', 'busy', { pushedAt: '2026-01-01T00:00:05.000Z' });
        const queued = manifest('a', 'queued', { pushedAt: '2026-01-01T00:00:06.000Z' });
        const skipped = manifest('a', 'skipped', { pushedAt: '2026-01-01T00:00:07.000Z' });
        const sbom = manifest('a', 'sbom', { artifactType: 'application/spdx+json' });
        const index = manifest('a', 'index', { mediaType: 'application/vnd.oci.image.index.v1+json' });
        const { artifactType: _dropped, ...indexWithoutType } = index;
        for (const m of [fresh, docker, current, stale, busy, queued, skipped, sbom]) await store.putManifest(m);
        await store.putManifest(indexWithoutType);
        await store.putManifest({ ...fresh, repository: 'b' }, 'same-digest-elsewhere');
        const at = '2026-01-02T00:00:00.000Z';
        await store.saveScan({ manifestDigest: current.digest, state: 'done', databaseDigest: 'db2', updatedAt: at });
        await store.saveScan({ manifestDigest: stale.digest, state: 'done', databaseDigest: 'db1', updatedAt: at });
        await store.saveScan({ manifestDigest: busy.digest, state: 'scanning', databaseDigest: 'db1', updatedAt: at });
        await store.saveScan({ manifestDigest: queued.digest, state: 'queued', updatedAt: at });
        await store.saveScan({ manifestDigest: skipped.digest, state: 'skipped', databaseDigest: 'db2', updatedAt: at });
        assert.deepEqual(await store.manifestsNeedingScan('db2', 10), [fresh.digest, docker.digest, stale.digest, busy.digest, queued.digest]);
        assert.deepEqual(await store.manifestsNeedingScan('db2', 2), [fresh.digest, docker.digest]);
        assert.deepEqual(await store.manifestsNeedingScan('db1', 10), [fresh.digest, docker.digest, current.digest, busy.digest, queued.digest, skipped.digest]);
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

    test('untagged times: a push with a tag has none; moving or deleting its last tag starts it; a push by digest restarts it', async () => {
      await withStore(makeStore, async (store) => {
        const untaggedAt = async (seed: string): Promise<string | undefined> =>
          (await store.repositorySnapshot('app'))?.manifests.find((n) => n.digest === d(seed))?.untaggedAt;
        await store.putManifest(manifest('app', 'u1', { pushedAt: at(1) }), 'latest');
        await store.putManifest(manifest('app', 'u1', { pushedAt: at(2) }), 'stable');
        assert.equal(await untaggedAt('u1'), undefined);
        await store.putManifest(manifest('app', 'u2', { pushedAt: at(3) }), 'latest');
        assert.equal(await untaggedAt('u1'), undefined, 'still tagged stable');
        await store.putManifest(manifest('app', 'u3', { pushedAt: at(4) }));
        assert.equal(await untaggedAt('u3'), at(4), 'pushed by digest');
        await store.putManifest(manifest('app', 'u2', { pushedAt: at(5) }), 'stable');
        assert.equal(await untaggedAt('u1'), at(5), 'its last tag moved away');
        assert.equal(await store.deleteTag('app', 'latest'), true);
        assert.equal(await untaggedAt('u2'), undefined, 'u2 keeps stable');
        assert.equal(await store.deleteTag('app', 'stable'), true);
        const u2 = await untaggedAt('u2');
        assert.ok(u2 !== undefined && u2 > at(5), 'deleting its last tag starts the clock now');
        await store.putManifest(manifest('app', 'u1', { pushedAt: at(6) }));
        assert.equal(await untaggedAt('u1'), at(6), 'a push by digest restarts it');
      });
    });

    test('retention plans: applied atomically at their version; refused once the repository changed; tags only while they still point there', async () => {
      await withStore(makeStore, async (store) => {
        await store.putManifest(manifest('app', 'r1', { pushedAt: at(1) }), 'old');
        await store.putManifest(manifest('app', 'r2', { pushedAt: at(2) }), 'new');
        await store.putManifest(manifest('app', 'r3', { pushedAt: at(3) }));
        const snapshot = await store.repositorySnapshot('app');
        assert.ok(snapshot);
        assert.deepEqual(snapshot.tags.map((t) => [t.tag, t.digest]), [['new', d('r2')], ['old', d('r1')]]);
        assert.deepEqual(snapshot.manifests.map((n) => n.digest), [d('r1'), d('r2'), d('r3')].sort());
        assert.equal(await store.repositorySnapshot('nothing'), undefined);
        // A push after the snapshot: the plan computed from it is refused and changes nothing.
        await store.putManifest(manifest('app', 'r1', { pushedAt: at(4) }), 'old');
        assert.equal(await store.applyDeletions('app', { version: snapshot.version, tags: [{ tag: 'old', digest: d('r1') }], manifests: [d('r3')] }, at(5)), false);
        assert.equal(await store.resolveTag('app', 'old'), d('r1'));
        assert.ok(await store.getManifest('app', d('r3')));
        const fresh = await store.repositorySnapshot('app');
        assert.ok(fresh && fresh.version !== snapshot.version);
        assert.equal(
          await store.applyDeletions('app', { version: fresh.version, tags: [{ tag: 'old', digest: d('r1') }, { tag: 'new', digest: d('elsewhere') }], manifests: [d('r3')] }, at(6)),
          true,
        );
        assert.equal(await store.resolveTag('app', 'old'), undefined);
        assert.equal(await store.resolveTag('app', 'new'), d('r2'), 'a tag that points elsewhere is kept');
        assert.equal(await store.getManifest('app', d('r3')), undefined);
        assert.equal((await store.repositorySnapshot('app'))?.manifests.find((n) => n.digest === d('r1'))?.untaggedAt, at(6));
        // Without a version: applied whatever the version; the last manifest takes the repository with it.
        assert.equal(await store.applyDeletions('app', { tags: [], manifests: [d('r1'), d('r2')] }, at(7)), true);
        assert.equal(await store.repositoryExists('app'), false);
        assert.deepEqual(await store.listTags('app'), []);
      });
    });

    test('accessories: referrers by subject and the sha256-<hex> tags (.sig, .att, .sbom, the fallback index), within the repository', async () => {
      await withStore(makeStore, async (store) => {
        const image = manifest('app', 'a-image');
        await store.putManifest(image, 'v1');
        const tagBase = image.digest.replace(':', '-');
        await store.putManifest(manifest('app', 'a-sig'), `${tagBase}.sig`);
        await store.putManifest(manifest('app', 'a-att'), `${tagBase}.att`);
        await store.putManifest(manifest('app', 'a-fallback', { mediaType: 'application/vnd.oci.image.index.v1+json' }), tagBase);
        await store.putManifest(manifest('app', 'a-bundle', { subject: image.digest, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }));
        await store.putManifest(manifest('app', 'a-other'), `${tagBase}x`);
        await store.putManifest(manifest('app', 'a-other2'), 'sha256-0000.sig');
        await store.putManifest(manifest('mirror', 'a-elsewhere', { subject: image.digest }), `${tagBase}.sig`);
        assert.deepEqual(await store.accessoriesOf('app', image.digest), [d('a-sig'), d('a-att'), d('a-fallback'), d('a-bundle')].sort());
        assert.deepEqual(await store.accessoriesOf('app', d('a-sig')), []);
      });
    });

    test('mounts link a blob only from a repository that links it', async () => {
      await withStore(makeStore, async (store) => {
        await store.linkBlob('src', d('mounted'), { size: 7 });
        assert.equal(await store.mountBlob('other', 'dst', d('mounted')), false);
        assert.equal(await store.repositoryExists('dst'), false);
        assert.equal(await store.mountBlob('src', 'dst', d('mounted')), true);
        assert.equal(await store.isBlobLinked('dst', d('mounted')), true);
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

    test('project usage: unique live blobs over the project\'s repositories, manifests included; a name prefix is not a project', async () => {
      await withStore(makeStore, async (store) => {
        await store.linkBlob('team/a', d('q-shared'), { size: 100 });
        await store.linkBlob('team/b', d('q-shared'), { size: 100 });
        await store.linkBlob('team/b', d('q-own'), { size: 10 });
        await store.linkBlob('team', d('q-top'), { size: 1 });
        await store.linkBlob('team_x/a', d('q-neighbour'), { size: 1000 });
        await store.linkBlob('team-x', d('q-neighbour2'), { size: 1000 });
        await store.linkBlob('other/a', d('q-shared'), { size: 100 });
        const m = manifest('team/c', 'q-manifest', { size: 5, references: [d('q-shared')] });
        await store.putManifest(m, 'v1');
        assert.equal(await store.projectUsage('team'), 100 + 10 + 1 + 5);
        assert.equal(await store.projectUsage('other'), 100);
        assert.equal(await store.projectUsage('nobody'), 0);
        assert.equal(await store.countsInProject('team', d('q-shared')), true);
        assert.equal(await store.countsInProject('team', m.digest), true);
        assert.equal(await store.countsInProject('other', d('q-own')), false);
        assert.equal(await store.countsInProject('team', d('q-neighbour')), false);
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
  });
}
