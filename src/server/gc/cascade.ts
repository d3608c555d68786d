/**
 * Deleting a manifest through the API (`DELETE /v2/<name>/manifests/<digest>`) takes its accessories with
 * it — signatures, attestations, SBOMs, the referrers fallback index, and their own accessories — in one
 * transaction, as Harbor deletes an artifact's accessories with it, so that nothing is left signed for an
 * image that no longer exists. Only accessories are followed (accessories.ts): an index's children and
 * anything an accessory references stay, and go only if retention later finds nothing keeps them.
 *
 * The walk is breadth-first over `accessoriesOf` with a visited set, bounded at `MAX_ACCESSORIES`; past
 * that the rest is left for garbage collection, which collects accessories of a missing subject.
 */
import type { Digest } from '../../core/index.js';
import type { MetadataStore } from '../metadata/store.js';

export const MAX_ACCESSORIES = 10_000;

/** Deletes the manifest and its accessories; returns the accessories deleted, or undefined when the manifest was not there. */
export async function deleteWithAccessories(
  metadata: Pick<MetadataStore, 'getManifest' | 'accessoriesOf' | 'applyDeletions'>,
  repository: string,
  digest: Digest,
  now: string,
): Promise<Digest[] | undefined> {
  if ((await metadata.getManifest(repository, digest)) === undefined) return undefined;
  const seen = new Set<string>([digest]);
  const accessories: Digest[] = [];
  const queue: Digest[] = [digest];
  for (let i = 0; i < queue.length && accessories.length < MAX_ACCESSORIES; i++) {
    for (const accessory of await metadata.accessoriesOf(repository, queue[i]!)) {
      if (seen.has(accessory) || accessories.length >= MAX_ACCESSORIES) continue;
      seen.add(accessory);
      accessories.push(accessory);
      queue.push(accessory);
    }
  }
  await metadata.applyDeletions(repository, { tags: [], manifests: [digest, ...accessories] }, now);
  return accessories;
}
