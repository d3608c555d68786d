/**
 * Deleting a manifest through the API (`DELETE /v2/<name>/manifests/<digest>`) takes its accessories with
 * it — signatures, attestations, SBOMs, the referrers fallback index, and their own accessories — in one
 * transaction, as Harbor deletes an artifact's accessories with it, so that nothing is left signed for an
 * image that no longer exists. Only accessories are followed (accessories.ts): an index's children and
 * anything an accessory references stay, and go only if retention later finds nothing keeps them.
 *
 * The store's `accessoriesOf` finds candidates by subject and by tag name; a candidate is deleted only when
 * it is an accessory as retention defines it — it has a subject, or every tag on it is an accessory tag
 * naming another manifest (so a user's image that merely carries a tag shaped like `sha256-<hex>.sig`
 * beside an ordinary tag stays) — and when none of its subjects outlives the delete: one SBOM that
 * `cosign attach sbom` tagged for two images stays with the other image, losing only the deleted image's
 * tag. The repository's tags are read once per delete, when a candidate first turns up.
 *
 * Deciding and deleting are one step at one repository version, as retention's plans are: the walk reads
 * the version first, and the store applies the deletions only while it holds (every change to the
 * repository's manifests or tags moves it, in the transaction that makes the change). A tag added in
 * between — `keep` on a signature manifest, which makes it an image of its own — makes the walk start
 * again and see it; after `ATTEMPTS` such changes the delete fails (503, retry), deleting nothing.
 *
 * The walk is breadth-first over `accessoriesOf` with a visited set, bounded at `MAX_ACCESSORIES`; past
 * that the rest is left for garbage collection, which collects accessories of a missing subject.
 */
import type { Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';
import type { DeletionPlan, MetadataStore } from '../metadata/store.js';
import { accessoryTagSubjectOf, isAccessoryByTags } from './accessories.js';

export const MAX_ACCESSORIES = 10_000;
/** Walks tried before giving up on a repository that keeps changing under the delete. */
export const ATTEMPTS = 5;

type CascadeStore = Pick<MetadataStore, 'repositoryVersion' | 'getManifest' | 'accessoriesOf' | 'applyDeletions' | 'tagsOf'>;

/** Deletes the manifest and its accessories; returns the accessories deleted, or undefined when the manifest was not there. */
export async function deleteWithAccessories(metadata: CascadeStore, repository: string, digest: Digest, now: string): Promise<Digest[] | undefined> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const version = await metadata.repositoryVersion(repository);
    if (version === undefined) return undefined;
    const plan = await planCascade(metadata, repository, digest, version);
    if (plan === undefined) return undefined;
    if (await metadata.applyDeletions(repository, plan, now)) return plan.manifests.slice(1);
  }
  throw new ServeError('UNAVAILABLE', `repository ${repository} kept changing while ${digest} was being deleted; nothing was deleted, retry`, { detail: { digest } });
}

/** The deletions at `version`: the manifest, its accessories, and the tags naming it on accessories another subject keeps. */
async function planCascade(metadata: CascadeStore, repository: string, digest: Digest, version: number): Promise<DeletionPlan | undefined> {
  if ((await metadata.getManifest(repository, digest)) === undefined) return undefined;
  const view = new RepositoryView(metadata, repository);
  const deleting = new Set<string>([digest]);
  const accessories: Digest[] = [];
  /** Tags naming a deleted manifest, on an accessory another subject keeps. */
  const detached: Array<{ tag: string; digest: Digest }> = [];
  const queue: Digest[] = [digest];
  for (let i = 0; i < queue.length && accessories.length < MAX_ACCESSORIES; i++) {
    const parent = queue[i]!;
    for (const candidate of await metadata.accessoriesOf(repository, parent)) {
      if (deleting.has(candidate) || accessories.length >= MAX_ACCESSORIES) continue;
      const subjects = await view.subjectsOf(candidate);
      if (subjects === undefined) continue;
      if (await view.someStays(subjects, deleting)) {
        for (const tag of await view.tagsOf(candidate)) if (accessoryTagSubjectOf(candidate, tag) === parent) detached.push({ tag, digest: candidate });
        continue;
      }
      deleting.add(candidate);
      accessories.push(candidate);
      queue.push(candidate);
    }
  }
  return { version, tags: detached, manifests: [digest, ...accessories] };
}

/** What the walk asks of the repository, each answer read once. */
class RepositoryView {
  readonly #metadata: CascadeStore;
  readonly #repository: string;
  #tags: Promise<Map<string, string[]>> | undefined;
  readonly #present = new Map<string, boolean>();

  constructor(metadata: CascadeStore, repository: string) {
    this.#metadata = metadata;
    this.#repository = repository;
  }

  async tagsOf(digest: Digest): Promise<string[]> {
    this.#tags ??= this.#metadata.tagsOf(this.#repository).then((tags) => {
      const byDigest = new Map<string, string[]>();
      for (const t of tags) {
        const list = byDigest.get(t.digest);
        if (list) list.push(t.tag);
        else byDigest.set(t.digest, [t.tag]);
      }
      return byDigest;
    });
    return (await this.#tags).get(digest) ?? [];
  }

  /** The manifests `digest` is an accessory of (its subject, the digests its accessory tags name), or undefined when it is none. */
  async subjectsOf(digest: Digest): Promise<Digest[] | undefined> {
    const subject = (await this.#metadata.getManifest(this.#repository, digest))?.subject;
    const tags = await this.tagsOf(digest);
    if (subject === undefined && !isAccessoryByTags(digest, tags)) return undefined;
    const subjects = new Set<Digest>(subject !== undefined ? [subject] : []);
    for (const tag of tags) {
      const named = accessoryTagSubjectOf(digest, tag);
      if (named !== undefined) subjects.add(named);
    }
    return [...subjects];
  }

  /** True when one of `subjects` is in the repository and not being deleted. */
  async someStays(subjects: readonly Digest[], deleting: ReadonlySet<string>): Promise<boolean> {
    for (const subject of subjects) {
      if (deleting.has(subject)) continue;
      let present = this.#present.get(subject);
      if (present === undefined) {
        present = (await this.#metadata.getManifest(this.#repository, subject)) !== undefined;
        this.#present.set(subject, present);
      }
      if (present) return true;
    }
    return false;
  }
}
