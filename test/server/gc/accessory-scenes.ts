/**
 * Data-loss scenes around accessories, run on a folder and SQLite (accessories.test.ts) and on S3 and
 * PostgreSQL (accessories-backends.peer.test.ts): each pushes through the API, deletes or collects, and
 * checks that what a user still needs reads back whole (manifest and blobs, by digest).
 *
 * - A tag merely shaped like an accessory tag (`sha256-<hex>.sig`) on an image that also carries an
 *   ordinary tag: a DELETE of the digest it names does not take the image.
 * - An image whose only tag is `sha256-<hex>` of its own digest (a mirror tagging by digest): kept.
 * - Accessories kept apart from their subject (cosign's `COSIGN_REPOSITORY`, a referrer pushed to another
 *   repository): kept while their subject is stored somewhere, gone once it is nowhere.
 * - An image and its signature copied into two repositories: deleting one copy leaves the other whole.
 * - One accessory two images share (an SBOM `cosign attach sbom` tagged for both): deleting one image
 *   leaves it to the other.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { runGc } from '../../../src/server/gc/index.js';
import type { RegistryServices } from '../../../src/server/services.js';
import { putManifest } from '../api/helpers.js';
import { accessoryTag, ahead, assertWhole, DAY, pushArtifact } from './helpers.js';

export interface Scene {
  readonly app: FastifyInstance;
  readonly services: Pick<RegistryServices, 'blobs' | 'metadata'>;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** Past every retention period and grace the scenes use (S3 keeps its own write times: the clock moves instead). */
const later = { now: ahead(30 * DAY) };

async function retag(app: FastifyInstance, repository: string, digest: string, tag: string): Promise<void> {
  const bytes = (await app.inject({ method: 'GET', url: `/v2/${repository}/manifests/${digest}` })).rawPayload;
  assert.equal((await putManifest(app, repository, tag, bytes, OCI_MANIFEST)).statusCode, 201);
}

export async function accessoryShapedTagBesideOrdinaryOne({ app, services }: Scene): Promise<void> {
  const doomed = await pushArtifact(app, 'team/app', { seed: 'doomed' });
  const sig = await pushArtifact(app, 'team/app', { seed: 'real sig', tag: accessoryTag(doomed.digest, '.sig') });
  const mine = await pushArtifact(app, 'team/app', { seed: 'my image', tag: 'stable' });
  await retag(app, 'team/app', mine.digest, accessoryTag(doomed.digest, '.att'));

  assert.equal((await app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${doomed.digest}` })).statusCode, 202);
  assert.equal((await app.inject({ method: 'GET', url: `/v2/team/app/manifests/${sig.digest}` })).statusCode, 404, 'the real accessory went');
  await assertWhole(app, 'team/app', 'stable', mine);
  const run = await runGc(services, later);
  assert.equal(run.manifestsDeleted, 0, JSON.stringify(run.deleted));
  await assertWhole(app, 'team/app', 'stable', mine);
}

export async function ownDigestTag({ app, services }: Scene): Promise<void> {
  const image = await pushArtifact(app, 'mirror/app', { seed: 'mirrored' });
  await retag(app, 'mirror/app', image.digest, accessoryTag(image.digest));
  await retag(app, 'mirror/app', image.digest, accessoryTag(image.digest, '.mirror'));
  const dry = await runGc(services, { ...later, dryRun: true });
  assert.equal(dry.manifestsDeleted, 0, JSON.stringify(dry.deleted));
  const run = await runGc(services, later);
  assert.deepEqual([run.manifestsDeleted, run.tagsDeleted], [0, 0], JSON.stringify(run.deleted));
  await assertWhole(app, 'mirror/app', accessoryTag(image.digest), image);
}

export async function subjectInAnotherRepository({ app, services }: Scene): Promise<void> {
  const image = await pushArtifact(app, 'team/app', { seed: 'signed image', tag: 'v1' });
  const sig = await pushArtifact(app, 'team/sigs', { seed: 'its signature', tag: accessoryTag(image.digest, '.sig') });
  const sbom = await pushArtifact(app, 'team/sboms', { seed: 'its sbom', subject: image });

  const dry = await runGc(services, { ...later, dryRun: true });
  assert.equal(dry.manifestsDeleted, 0, JSON.stringify(dry.deleted));
  const run = await runGc(services, later);
  assert.deepEqual([run.manifestsDeleted, run.tagsDeleted], [0, 0], JSON.stringify(run.deleted));
  await assertWhole(app, 'team/sigs', accessoryTag(image.digest, '.sig'), sig);
  await assertWhole(app, 'team/sboms', sbom.digest, sbom);

  // The image deleted: nothing needs them now.
  assert.equal((await app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${image.digest}` })).statusCode, 202);
  const after = await runGc(services, later);
  assert.deepEqual(after.deleted.manifests.map((m) => m.digest).sort(), [sig.digest, sbom.digest].sort());
  for (const [repository, digest] of [['team/sigs', sig.digest], ['team/sboms', sbom.digest]] as const) {
    assert.equal((await app.inject({ method: 'GET', url: `/v2/${repository}/manifests/${digest}` })).statusCode, 404);
  }
}

export async function copiesInTwoRepositories({ app, services }: Scene): Promise<void> {
  const copies = [];
  for (const repository of ['copy/a', 'copy/b']) {
    const image = await pushArtifact(app, repository, { seed: 'same image', tag: 'v1' });
    const sig = await pushArtifact(app, repository, { seed: 'same sig', tag: accessoryTag(image.digest, '.sig') });
    copies.push({ repository, image, sig });
  }
  const [a, b] = copies as [(typeof copies)[0], (typeof copies)[0]];
  assert.equal(a.image.digest, b.image.digest);
  assert.equal((await app.inject({ method: 'DELETE', url: `/v2/copy/a/manifests/${a.image.digest}` })).statusCode, 202);
  assert.equal((await app.inject({ method: 'GET', url: `/v2/copy/a/manifests/${a.sig.digest}` })).statusCode, 404, "a's signature went with a's image");
  await runGc(services, later);
  await assertWhole(app, 'copy/b', 'v1', b.image);
  await assertWhole(app, 'copy/b', accessoryTag(b.image.digest, '.sig'), b.sig);
}

export async function accessorySharedByTwoSubjects({ app, services }: Scene): Promise<void> {
  // `cosign attach sbom` stores the SBOM alone: two images with the same SBOM share one manifest, tagged for each.
  const first = await pushArtifact(app, 'team/app', { seed: 'amd64 build', tag: 'v1' });
  const second = await pushArtifact(app, 'team/app', { seed: 'arm64 build', tag: 'v2' });
  const sbom = await pushArtifact(app, 'team/app', { seed: 'the same sbom', tag: accessoryTag(first.digest, '.sbom') });
  await retag(app, 'team/app', sbom.digest, accessoryTag(second.digest, '.sbom'));

  assert.equal((await app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${first.digest}` })).statusCode, 202);
  await assertWhole(app, 'team/app', accessoryTag(second.digest, '.sbom'), sbom);
  assert.equal((await app.inject({ method: 'GET', url: `/v2/team/app/manifests/${accessoryTag(first.digest, '.sbom')}` })).statusCode, 404, "the deleted image's tag went");
  const run = await runGc(services, later);
  assert.equal(run.manifestsDeleted, 0, JSON.stringify(run.deleted));
  await assertWhole(app, 'team/app', accessoryTag(second.digest, '.sbom'), sbom);
  await assertWhole(app, 'team/app', 'v2', second);
}
