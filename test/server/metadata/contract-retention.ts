/**
 * The MetadataStore contract (contract.ts), retention and quotas: untagged
 * times, deletion plans applied at a version, a manifest's accessories, and a
 * project's usage.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, d, manifest, withStore, type MakeStore } from './contract-support.js';

export function retentionContract(makeStore: MakeStore): void {
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

  test('plans with absentEverywhere: refused while another repository holds one of those manifests; the version moves with every change', async () => {
    await withStore(makeStore, async (store) => {
      const image = manifest('team/app', 'x-image');
      await store.putManifest(manifest('team/sigs', 'x-sig'), `${image.digest.replace(':', '-')}.sig`);
      const before = await store.repositoryVersion('team/sigs');
      assert.ok(before !== undefined);
      assert.equal(await store.repositoryVersion('nothing'), undefined);
      await store.putManifest(image, 'v1');
      assert.equal(await store.repositoryVersion('team/sigs'), before, "another repository's push leaves this version");
      const plan = { version: before, absentEverywhere: [image.digest], tags: [], manifests: [d('x-sig')] };
      assert.equal(await store.applyDeletions('team/sigs', plan, at(1)), false, 'the subject is held by team/app');
      assert.ok(await store.getManifest('team/sigs', d('x-sig')));
      assert.equal(await store.deleteManifest('team/app', image.digest), true);
      assert.equal(await store.applyDeletions('team/sigs', plan, at(2)), true, 'held nowhere now');
      assert.equal(await store.getManifest('team/sigs', d('x-sig')), undefined);
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
}
