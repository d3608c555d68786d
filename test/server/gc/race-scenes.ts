/**
 * Races between deciding what to delete and deleting it, run on a folder and SQLite (races.test.ts) and on
 * S3 and PostgreSQL (accessories-backends.peer.test.ts). Each scene wraps the metadata store so that a
 * client's push lands exactly in the gap — after the decision was read, before the store applies it — and
 * checks that what the client pushed reads back whole:
 *
 * - DELETE of an image while a client adds an ordinary tag (`keep`) to its signature manifest: the
 *   manifest is an image of its own now and stays with its tag.
 * - DELETE of an image in a repository that changes between every decision and its deletion: after a few
 *   tries it is refused (503, retry), and nothing is deleted.
 * - A collection of a signature and a referrer kept apart from their image (cosign's `COSIGN_REPOSITORY`)
 *   while the image is pushed again into its own repository: they stay, as their image is stored again.
 */
import assert from 'node:assert/strict';
import { buildApp } from '../../../src/server/app.js';
import { runGc } from '../../../src/server/gc/index.js';
import type { DeletionPlan, MetadataStore } from '../../../src/server/metadata/store.js';
import type { RegistryServices } from '../../../src/server/services.js';
import { putManifest } from '../api/helpers.js';
import { accessoryTag, ahead, assertWhole, DAY, pushArtifact } from './helpers.js';

export type RaceStores = Pick<RegistryServices, 'blobs' | 'metadata'>;

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** The store, calling `gap` when a deletion plan for `repository` is about to be applied: the first time, or (`always`) every time. */
function withGap(store: MetadataStore, repository: string, gap: () => Promise<void>, always = false): { metadata: MetadataStore; fired: () => number } {
  let fired = 0;
  const metadata = new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== 'applyDeletions') return (value as (...args: unknown[]) => unknown).bind(target);
      return async (name: string, plan: DeletionPlan, now: string): Promise<boolean> => {
        if (name === repository && (always || fired === 0)) {
          fired++;
          await gap();
        }
        return target.applyDeletions(name, plan, now);
      };
    },
  });
  return { metadata, fired: () => fired };
}

export async function tagAddedToSignatureDuringDelete(stores: RaceStores): Promise<void> {
  let gap = async (): Promise<void> => {};
  const hooked = withGap(stores.metadata, 'team/app', () => gap());
  const app = buildApp({ blobs: stores.blobs, metadata: hooked.metadata });
  await app.ready();
  try {
    const image = await pushArtifact(app, 'team/app', { seed: 'doomed image', tag: 'v1' });
    const sig = await pushArtifact(app, 'team/app', { seed: 'its signature', tag: accessoryTag(image.digest, '.sig') });
    const sigBytes = (await app.inject({ method: 'GET', url: `/v2/team/app/manifests/${sig.digest}` })).rawPayload;
    gap = async () => {
      const put = await putManifest(app, 'team/app', 'keep', sigBytes, OCI_MANIFEST);
      assert.equal(put.statusCode, 201, put.body);
    };

    const deleted = await app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${image.digest}` });
    assert.equal(deleted.statusCode, 202, deleted.body);
    assert.equal(hooked.fired(), 1, 'the tag was added between the decision and the deletion');
    assert.equal((await app.inject({ method: 'GET', url: `/v2/team/app/manifests/${image.digest}` })).statusCode, 404, 'the image went');
    await assertWhole(app, 'team/app', 'keep', sig);
    // Tagged `keep`, it is no longer an accessory: a collection keeps it too.
    const run = await runGc({ blobs: stores.blobs, metadata: stores.metadata }, { now: ahead(30 * DAY) });
    assert.equal(run.manifestsDeleted, 0, JSON.stringify(run.deleted));
    await assertWhole(app, 'team/app', 'keep', sig);
  } finally {
    await app.close();
  }
}

export async function repositoryChangingUnderEveryDelete(stores: RaceStores): Promise<void> {
  let gap = async (): Promise<void> => {};
  const hooked = withGap(stores.metadata, 'team/app', () => gap(), true);
  const app = buildApp({ blobs: stores.blobs, metadata: hooked.metadata });
  await app.ready();
  try {
    const image = await pushArtifact(app, 'team/app', { seed: 'contested image', tag: 'v1' });
    const sig = await pushArtifact(app, 'team/app', { seed: 'its signature', tag: accessoryTag(image.digest, '.sig') });
    const other = await pushArtifact(app, 'team/app', { seed: 'busy image', tag: 'busy-0' });
    const otherBytes = (await app.inject({ method: 'GET', url: `/v2/team/app/manifests/${other.digest}` })).rawPayload;
    gap = async () => {
      const put = await putManifest(app, 'team/app', `busy-${hooked.fired()}`, otherBytes, OCI_MANIFEST);
      assert.equal(put.statusCode, 201, put.body);
    };

    const deleted = await app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${image.digest}` });
    assert.equal(deleted.statusCode, 503, deleted.body);
    assert.match(deleted.body, /kept changing while .* was being deleted; nothing was deleted, retry/);
    assert.equal(hooked.fired(), 5, 'five walks, each met by a change');
    await assertWhole(app, 'team/app', 'v1', image);
    await assertWhole(app, 'team/app', accessoryTag(image.digest, '.sig'), sig);
  } finally {
    await app.close();
  }
}

export async function subjectPushedElsewhereDuringCollection(stores: RaceStores): Promise<void> {
  let gap = async (): Promise<void> => {};
  const hooked = withGap(stores.metadata, 'team/sigs', () => gap());
  const app = buildApp({ blobs: stores.blobs, metadata: hooked.metadata });
  await app.ready();
  try {
    const image = await pushArtifact(app, 'team/app', { seed: 'signed image', tag: 'v1' });
    const sig = await pushArtifact(app, 'team/sigs', { seed: 'its signature', tag: accessoryTag(image.digest, '.sig') });
    const sbom = await pushArtifact(app, 'team/sigs', { seed: 'its sbom', subject: image });
    // The image deleted: for a moment no repository holds it, and its signature and SBOM are past retention.
    assert.equal((await app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${image.digest}` })).statusCode, 202);
    gap = async () => {
      const again = await pushArtifact(app, 'team/app', { seed: 'signed image', tag: 'v1' });
      assert.equal(again.digest, image.digest);
    };

    const run = await runGc({ blobs: stores.blobs, metadata: hooked.metadata }, { now: ahead(30 * DAY) });
    assert.equal(hooked.fired(), 1, "the image was pushed again between team/sigs' plan and its application");
    assert.equal(run.manifestsDeleted, 0, JSON.stringify(run.deleted));
    await assertWhole(app, 'team/app', 'v1', image);
    await assertWhole(app, 'team/sigs', accessoryTag(image.digest, '.sig'), sig);
    await assertWhole(app, 'team/sigs', sbom.digest, sbom);
  } finally {
    await app.close();
  }
}
