/**
 * The MetadataStore contract (contract.ts), what the distribution API stands
 * on: blob links and mounts, manifests with their references, tags, the
 * repository catalog and summaries, deletions, and referrers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ManifestRecord } from '../../../src/server/metadata/store.js';
import { d, manifest, withStore, type MakeStore } from './contract-support.js';

export function contentContract(makeStore: MakeStore): void {
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
      const { references: _references, ...entry } = record;
      assert.deepEqual(await store.getManifestEntry('app', record.digest), entry, 'the entry: every field but the references');
      assert.equal(await store.getManifestEntry('other', record.digest), undefined);
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
      const { references: _sigReferences, ...sigEntry } = sig;
      assert.deepEqual(all.find((r) => r.digest === sig.digest), sigEntry, 'every field but the references (never read for a listing)');
      assert.deepEqual((await store.listReferrers('app', subject, 'application/spdx+json')).map((r) => r.digest), [sbom.digest]);
      assert.deepEqual(await store.listReferrers('app', subject, 'application/none'), []);
      assert.deepEqual(await store.listReferrers('app', d('nothing')), []);
      await store.deleteManifest('app', sig.digest);
      assert.deepEqual((await store.listReferrers('app', subject)).map((r) => r.digest), [sbom.digest]);
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
}
