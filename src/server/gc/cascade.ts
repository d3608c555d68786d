/**
 * Deleting a manifest through the API (`DELETE /v2/<name>/manifests/<digest>`) takes its accessories with
 * it — signatures, attestations, SBOMs, the referrers fallback index, and their own accessories — in one
 * transaction, as Harbor deletes an artifact's accessories with it, so that nothing is left signed for an
 * image that no longer exists. Only accessories are followed (accessories.ts): an index's children and
 * anything an accessory references stay, and go only if retention later finds nothing keeps them.
 *
 * The store's `accessoriesOf` finds candidates by subject and by tag name; a candidate found by a tag is an
 * accessory only as retention defines it — it has a subject, or every tag on it is an accessory tag naming
 * another manifest — so a user's image that merely carries a tag shaped like `sha256-<hex>.sig` beside an
 * ordinary tag is never deleted with the digest that tag names. The repository's tags are read once, and
 * only when such a candidate turns up.
 *
 * The walk is breadth-first over `accessoriesOf` with a visited set, bounded at `MAX_ACCESSORIES`; past
 * that the rest is left for garbage collection, which collects accessories of a missing subject.
 */
import type { Digest } from '../../core/index.js';
import type { MetadataStore } from '../metadata/store.js';
import { isAccessoryByTags } from './accessories.js';

export const MAX_ACCESSORIES = 10_000;

type CascadeStore = Pick<MetadataStore, 'getManifest' | 'accessoriesOf' | 'applyDeletions' | 'tagsOf'>;

/** Deletes the manifest and its accessories; returns the accessories deleted, or undefined when the manifest was not there. */
export async function deleteWithAccessories(metadata: CascadeStore, repository: string, digest: Digest, now: string): Promise<Digest[] | undefined> {
  if ((await metadata.getManifest(repository, digest)) === undefined) return undefined;
  const isAccessory = accessoryTest(metadata, repository);
  const seen = new Set<string>([digest]);
  const accessories: Digest[] = [];
  const queue: Digest[] = [digest];
  for (let i = 0; i < queue.length && accessories.length < MAX_ACCESSORIES; i++) {
    for (const candidate of await metadata.accessoriesOf(repository, queue[i]!)) {
      if (seen.has(candidate) || accessories.length >= MAX_ACCESSORIES) continue;
      seen.add(candidate);
      if (!(await isAccessory(candidate))) continue;
      accessories.push(candidate);
      queue.push(candidate);
    }
  }
  await metadata.applyDeletions(repository, { tags: [], manifests: [digest, ...accessories] }, now);
  return accessories;
}

/** Whether a candidate is an accessory: it has a subject, or its tags (read once per delete, when first needed) make it one. */
function accessoryTest(metadata: CascadeStore, repository: string): (candidate: Digest) => Promise<boolean> {
  let tagsOf: Promise<Map<string, string[]>> | undefined;
  return async (candidate) => {
    if ((await metadata.getManifest(repository, candidate))?.subject !== undefined) return true;
    tagsOf ??= metadata.tagsOf(repository).then((tags) => {
      const byDigest = new Map<string, string[]>();
      for (const t of tags) {
        const list = byDigest.get(t.digest);
        if (list) list.push(t.tag);
        else byDigest.set(t.digest, [t.tag]);
      }
      return byDigest;
    });
    return isAccessoryByTags(candidate, (await tagsOf).get(candidate) ?? []);
  };
}
