/**
 * Retention for one repository: from a snapshot of its manifests and tags, which tags the project's rules
 * remove and which manifests nothing keeps any more. A pure function of (snapshot, policy, now), so what
 * a dry run shows is exactly what a run does with the same snapshot, and tests need no store.
 *
 * What keeps a manifest (mark phase, from roots through edges):
 * - roots: a manifest with a tag that stays (not an accessory tag, not removed by a rule); a manifest
 *   untagged for less than the retention period (a tag removed now starts that period now); an
 *   accessory whose subject is not in the repository: while another repository holds the subject
 *   (cosign's `COSIGN_REPOSITORY`, a referrer pushed elsewhere), else for the retention period after
 *   its push (the referrers API lets a client push a signature before its image);
 * - edges: from a kept index to its children, and from a kept manifest to its accessories (accessories.ts),
 *   so an accessory lives exactly as long as its subject and never keeps anything but its own children.
 * Everything not reached is deleted, with its tags. Whether another repository holds a subject is a fact
 * about other repositories, which this repository's version does not follow: the plan names the subjects
 * it took to be nowhere (`absentEverywhere`), and the store applies it only while none is anywhere (a push
 * of one elsewhere in between makes the collector plan again, and keep its accessories). The walk is
 * iterative over a work list with a visited set: its cost is linear in the repository's manifests and
 * edges, whatever the shape of the graph (cycles included — digests make them impossible, a hostile store
 * content would not).
 */
import type { Digest } from '../../core/index.js';
import type { DeletionPlan, ManifestNode, RepositorySnapshot, TagRecord } from '../metadata/store.js';
import { accessoryTagSubject, accessoryTagSubjectOf, isAccessoryByTags } from './accessories.js';
import type { RetentionRule } from './projects.js';
import { matchesTagPattern } from './tag-pattern.js';

export interface RetentionPolicy {
  /** Untagged manifests older than this (since they lost their last tag, or their push) are collected. */
  readonly untaggedRetentionMs: number;
  /** Tags kept; absent or empty: all. */
  readonly rules?: readonly RetentionRule[];
}

/**
 * Why a manifest goes: untagged for longer than the retention period (an index's children go with it, being
 * untagged too); an accessory whose subject is collected in this run or was deleted; an accessory whose subject
 * never arrived, once the retention period has passed since its push.
 */
export type ManifestVerdict = 'untagged' | 'accessory of a collected manifest' | 'orphaned accessory';

export interface RetentionPlan extends DeletionPlan {
  readonly version: number;
  /** The subjects of the accessories it deletes that the repository does not hold: the plan holds only while no repository does. */
  readonly absentEverywhere: readonly Digest[];
  /** Why each manifest goes, in `manifests` order. */
  readonly reasons: readonly ManifestVerdict[];
}

/**
 * `subjectsElsewhere`: subjects absent from this repository (`absentSubjects`) that another repository of the
 * registry holds; an accessory of one is kept, as cosign's `COSIGN_REPOSITORY` keeps signatures apart from
 * their images. The collector looks them up before planning.
 */
export function planRetention(snapshot: RepositorySnapshot, policy: RetentionPolicy, now: Date, subjectsElsewhere: ReadonlySet<string> = new Set()): RetentionPlan {
  const nowMs = now.getTime();
  const byDigest = new Map<string, ManifestNode>(snapshot.manifests.map((m) => [m.digest, m]));
  const tagsOf = tagsByDigest(snapshot);
  const removedTags = tagsRemovedByRules(snapshot.tags, policy.rules ?? [], nowMs);
  const removed = new Set(removedTags.map((t) => t.tag));
  const { accessoriesOf, subjectsOf } = accessoryEdges(snapshot, tagsOf);

  const within = (since: string | undefined): boolean => since !== undefined && nowMs - Date.parse(since) < policy.untaggedRetentionMs;
  const roots: Digest[] = [];
  for (const m of snapshot.manifests) {
    const subjects = subjectsOf.get(m.digest);
    if (subjects !== undefined) {
      if (subjects.some((s) => subjectsElsewhere.has(s)) || (subjects.every((s) => !byDigest.has(s)) && within(m.pushedAt))) roots.push(m.digest);
      continue;
    }
    const tags = tagsOf.get(m.digest) ?? [];
    const kept = tags.filter((t) => !removed.has(t.tag));
    if (kept.length > 0) roots.push(m.digest);
    else if (tags.length > 0 || within(m.untaggedAt)) roots.push(m.digest); // its last tags go now: untagged from now
  }

  const marked = new Set<string>();
  const work = [...roots];
  for (let next = work.pop(); next !== undefined; next = work.pop()) {
    if (marked.has(next)) continue;
    marked.add(next);
    const node = byDigest.get(next);
    if (node === undefined) continue;
    for (const child of node.children) if (!marked.has(child)) work.push(child);
    for (const accessory of accessoriesOf.get(next) ?? []) if (!marked.has(accessory)) work.push(accessory);
  }

  const manifests: Digest[] = [];
  const reasons: ManifestVerdict[] = [];
  const absentEverywhere = new Set<Digest>();
  for (const m of snapshot.manifests) {
    if (marked.has(m.digest)) continue;
    manifests.push(m.digest);
    const subjects = subjectsOf.get(m.digest);
    for (const s of subjects ?? []) if (!byDigest.has(s)) absentEverywhere.add(s);
    reasons.push(subjects === undefined ? 'untagged' : subjects.some((s) => byDigest.has(s)) ? 'accessory of a collected manifest' : 'orphaned accessory');
  }
  const tags = removedTags.filter((t) => marked.has(t.digest)).map((t) => ({ tag: t.tag, digest: t.digest }));
  return { version: snapshot.version, absentEverywhere: [...absentEverywhere], tags, manifests, reasons };
}

/** The subjects the repository's accessories name that it does not hold itself, each once. */
export function absentSubjects(snapshot: RepositorySnapshot): Digest[] {
  const held = new Set<string>(snapshot.manifests.map((m) => m.digest));
  const absent = new Set<Digest>();
  for (const subjects of accessoryEdges(snapshot, tagsByDigest(snapshot)).subjectsOf.values()) for (const s of subjects) if (!held.has(s)) absent.add(s);
  return [...absent];
}

function tagsByDigest(snapshot: RepositorySnapshot): Map<string, TagRecord[]> {
  const tagsOf = new Map<string, TagRecord[]>();
  for (const tag of snapshot.tags) {
    const list = tagsOf.get(tag.digest);
    if (list) list.push(tag);
    else tagsOf.set(tag.digest, [tag]);
  }
  return tagsOf;
}

/** Accessory edges: subject digest -> accessories, and each accessory's subjects. */
function accessoryEdges(snapshot: RepositorySnapshot, tagsOf: ReadonlyMap<string, readonly TagRecord[]>): { accessoriesOf: Map<string, Digest[]>; subjectsOf: Map<string, Digest[]> } {
  const accessoriesOf = new Map<string, Digest[]>();
  const subjectsOf = new Map<string, Digest[]>();
  for (const m of snapshot.manifests) {
    const tags = tagsOf.get(m.digest) ?? [];
    const tagSubjects = tags.map((t) => accessoryTagSubjectOf(m.digest, t.tag));
    if (m.subject === undefined && !isAccessoryByTags(m.digest, tags.map((t) => t.tag))) continue;
    const subjects = [...new Set([...(m.subject !== undefined ? [m.subject] : []), ...tagSubjects.filter((s): s is Digest => s !== undefined)])];
    subjectsOf.set(m.digest, subjects);
    for (const subject of subjects) {
      const list = accessoriesOf.get(subject);
      if (list) list.push(m.digest);
      else accessoriesOf.set(subject, [m.digest]);
    }
  }
  return { accessoriesOf, subjectsOf };
}

/**
 * Tags no rule keeps; none when there are no rules. Tags of the accessory shape (`sha256-<hex>…`) are never judged,
 * a tag naming its own manifest (a mirror's digest tag) included: it keeps its manifest, as it did before rules.
 */
export function tagsRemovedByRules(tags: readonly TagRecord[], rules: readonly RetentionRule[], nowMs: number): TagRecord[] {
  if (rules.length === 0) return [];
  const judged = tags.filter((t) => accessoryTagSubject(t.tag) === undefined);
  const keep = new Set<string>();
  for (const rule of rules) {
    const matching = judged.filter((t) => rule.tags.some((pattern) => matchesTagPattern(pattern, t.tag)));
    if (rule.keepLast !== undefined) {
      // Newest first; ties by name so the choice is stable.
      const newest = [...matching].sort((a, b) => (a.updatedAt === b.updatedAt ? (a.tag < b.tag ? 1 : -1) : a.updatedAt < b.updatedAt ? 1 : -1));
      for (const t of newest.slice(0, rule.keepLast)) keep.add(t.tag);
    }
    if (rule.keepYoungerThanMs !== undefined) {
      for (const t of matching) if (nowMs - Date.parse(t.updatedAt) < rule.keepYoungerThanMs) keep.add(t.tag);
    }
  }
  return judged.filter((t) => !keep.has(t.tag));
}
