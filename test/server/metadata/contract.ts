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
import type { ManifestRecord, MetadataStore } from '../../../src/server/metadata/store.js';

const d = (seed: string): Digest => `sha256:${createHash('sha256').update(seed).digest('hex')}`;
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
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
  });
}
