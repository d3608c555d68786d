/**
 * Accessories (signatures, attestations, SBOMs, referrers fallback indexes)
 * are shown under the image they belong to, never as images of their own.
 * What belongs to what is the garbage collector's rule (gc/accessories.ts,
 * MetadataStore.accessoriesOf): the OCI `subject` field, and the tag schema
 * of registries without the referrers API (`sha256-<hex>.sig`, `.att`,
 * `.sbom`, and `sha256-<hex>` for the fallback index). What kind each one is
 * comes from its tag suffix, or for a referrer from its artifact type and
 * the Sigstore bundle's predicate-type annotation; how old it is from its
 * `org.opencontainers.image.created` annotation, else its push.
 *
 * This is a label for people, not evidence: whether a signature is valid and
 * by a trusted key is the signature check's answer (trust.ts).
 */
import { type Digest, isRecord, MAX_MANIFEST_BYTES, readAllBounded } from '../../core/index.js';
import { BUNDLE_PREDICATE_TYPE_ANNOTATION, PredicateType } from '../../trust/index.js';
import { accessoryTagSubject } from '../gc/accessories.js';
import type { ManifestEntry, TagRecord } from '../metadata/store.js';
import { mapLimit, type UiContext } from './context.js';

export type AccessoryKind = 'signature' | 'attestation' | 'sbom' | 'referrers index' | 'artifact';

export interface Accessory {
  readonly digest: Digest;
  readonly kind: AccessoryKind;
  /** Accessory tags on it (`sha256-….sig`). */
  readonly tags: readonly string[];
  readonly artifactType?: string;
  /** In-toto predicate types, when known (a bundle's annotation; `.att` layers on the image page). */
  readonly predicateTypes: readonly string[];
  /** ISO time it was made (its created annotation) or pushed. */
  readonly created: string;
}

/** Accessories listed per image, at most (a hostile pusher can attach thousands). */
export const MAX_ACCESSORIES = 50;
const CREATED = 'org.opencontainers.image.created';
const SUFFIX_KIND: Readonly<Record<string, AccessoryKind>> = { sig: 'signature', att: 'attestation', sbom: 'sbom' };

/**
 * A repository's tags, sorted out once per page: the tags of images, the
 * accessory tags by the digest they name, and every tag name by the digest it
 * points at. Looking these up per image instead would cost a scan of the
 * repository's tags each time: quadratic on a repository with thousands.
 */
export interface RepositoryTags {
  readonly images: readonly TagRecord[];
  readonly accessories: ReadonlyMap<Digest, readonly TagRecord[]>;
  readonly names: ReadonlyMap<Digest, readonly string[]>;
  /** Referrers by subject, when the page read the whole repository at once (repositorySnapshot). */
  readonly referrers?: ReadonlyMap<Digest, readonly Digest[]>;
}

/** A repository read at once (tags page): its tags sorted out, and its referrers by subject, from one snapshot. */
export async function readRepository(ctx: UiContext, repository: string): Promise<RepositoryTags | undefined> {
  const snapshot = await ctx.metadata.repositorySnapshot(repository);
  if (!snapshot) return undefined;
  const referrers = new Map<Digest, Digest[]>();
  for (const manifest of snapshot.manifests) {
    if (!manifest.subject) continue;
    const list = referrers.get(manifest.subject);
    if (list) list.push(manifest.digest);
    else referrers.set(manifest.subject, [manifest.digest]);
  }
  return { ...sortTags(snapshot.tags), referrers };
}

export function sortTags(tags: readonly TagRecord[]): RepositoryTags {
  const images: TagRecord[] = [];
  const accessories = new Map<Digest, TagRecord[]>();
  const names = new Map<Digest, string[]>();
  for (const tag of tags) {
    const named = names.get(tag.digest);
    if (named) named.push(tag.tag);
    else names.set(tag.digest, [tag.tag]);
    const subject = accessoryTagSubject(tag.tag);
    if (!subject) {
      images.push(tag);
      continue;
    }
    const list = accessories.get(subject);
    if (list) list.push(tag);
    else accessories.set(subject, [tag]);
  }
  return { images, accessories, names };
}

function kindOfTag(tag: string): AccessoryKind | undefined {
  if (!accessoryTagSubject(tag)) return undefined;
  const dot = tag.indexOf('.');
  if (dot < 0) return 'referrers index';
  return SUFFIX_KIND[tag.slice(dot + 1)] ?? 'artifact';
}

function kindOfReferrer(record: ManifestEntry): { kind: AccessoryKind; predicateTypes: string[] } {
  const type = record.artifactType ?? '';
  const predicate = record.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION];
  if (predicate) return predicate === PredicateType.CosignSign ? { kind: 'signature', predicateTypes: [] } : { kind: 'attestation', predicateTypes: [predicate] };
  if (/in-toto|attestation|provenance/i.test(type)) return { kind: 'attestation', predicateTypes: [] };
  if (/spdx|cyclonedx|sbom|syft/i.test(type)) return { kind: 'sbom', predicateTypes: [] };
  if (/signature|sigstore|cosign|notary|notation/i.test(type)) return { kind: 'signature', predicateTypes: [] };
  return { kind: 'artifact', predicateTypes: [] };
}

function createdOf(record: ManifestEntry): string {
  const created = record.annotations?.[CREATED];
  return created && !Number.isNaN(Date.parse(created)) ? created : record.pushedAt;
}

export function describeAccessory(record: ManifestEntry, tags: readonly string[]): Accessory {
  const tagged = tags.map(kindOfTag).find((k) => k !== undefined);
  const referrer = record.subject ? kindOfReferrer(record) : undefined;
  const kind = tagged ?? referrer?.kind ?? 'artifact';
  return {
    digest: record.digest,
    kind,
    tags,
    ...(record.artifactType ? { artifactType: record.artifactType } : {}),
    predicateTypes: referrer?.predicateTypes ?? [],
    created: createdOf(record),
  };
}

/**
 * The accessories of `digest` in `repository`, newest first: its referrers
 * and the manifests its accessory tags point at — the two rules of
 * MetadataStore.accessoriesOf, answered from what the page already read
 * (`tags`), so that a page of many images costs one read of the repository,
 * not one scan of it per image; then one lookup per accessory (at most
 * MAX_ACCESSORIES) for its annotations.
 */
export async function accessoriesOf(ctx: UiContext, repository: string, digest: Digest, tags: RepositoryTags): Promise<Accessory[]> {
  const referrers = tags.referrers ? (tags.referrers.get(digest) ?? []) : (await ctx.metadata.listReferrers(repository, digest)).map((r) => r.digest);
  const digests = new Set<Digest>(referrers);
  for (const tag of tags.accessories.get(digest) ?? []) digests.add(tag.digest);
  const records = await mapLimit([...digests].slice(0, MAX_ACCESSORIES), 8, (d) => ctx.metadata.getManifestEntry(repository, d));
  const found = records.filter((r): r is ManifestEntry => r !== undefined).map((r) => describeAccessory(r, tags.names.get(r.digest) ?? []));
  return found.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
}

/** Predicate types named by a cosign `.att` manifest's layers (`predicateType` annotations); bounded read, [] when unreadable. */
export async function layerPredicateTypes(ctx: UiContext, digest: Digest): Promise<string[]> {
  if (!ctx.blobs) return [];
  try {
    const bytes = await readAllBounded(await ctx.blobs.read(digest), MAX_MANIFEST_BYTES, `manifest ${digest}`);
    const manifest: unknown = JSON.parse(bytes.toString('utf8'));
    const layers = isRecord(manifest) && Array.isArray(manifest.layers) ? manifest.layers.slice(0, MAX_ACCESSORIES) : [];
    const types = new Set<string>();
    for (const layer of layers) {
      const annotations = isRecord(layer) && isRecord(layer.annotations) ? layer.annotations : undefined;
      const type = annotations?.predicateType;
      if (typeof type === 'string' && type.length <= 512) types.add(type);
    }
    return [...types];
  } catch {
    return [];
  }
}
