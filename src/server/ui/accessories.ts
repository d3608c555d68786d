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
import type { ManifestRecord, TagRecord } from '../metadata/store.js';
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

/** Tags of images, and accessory tags by the digest they name. */
export function splitTags(tags: readonly TagRecord[]): { images: TagRecord[]; accessories: Map<Digest, TagRecord[]> } {
  const images: TagRecord[] = [];
  const accessories = new Map<Digest, TagRecord[]>();
  for (const tag of tags) {
    const subject = accessoryTagSubject(tag.tag);
    if (!subject) {
      images.push(tag);
      continue;
    }
    const list = accessories.get(subject) ?? [];
    list.push(tag);
    accessories.set(subject, list);
  }
  return { images, accessories };
}

function kindOfTag(tag: string): AccessoryKind | undefined {
  if (!accessoryTagSubject(tag)) return undefined;
  const dot = tag.indexOf('.');
  if (dot < 0) return 'referrers index';
  return SUFFIX_KIND[tag.slice(dot + 1)] ?? 'artifact';
}

function kindOfReferrer(record: ManifestRecord): { kind: AccessoryKind; predicateTypes: string[] } {
  const type = record.artifactType ?? '';
  const predicate = record.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION];
  if (predicate) return predicate === PredicateType.CosignSign ? { kind: 'signature', predicateTypes: [] } : { kind: 'attestation', predicateTypes: [predicate] };
  if (/in-toto|attestation|provenance/i.test(type)) return { kind: 'attestation', predicateTypes: [] };
  if (/spdx|cyclonedx|sbom|syft/i.test(type)) return { kind: 'sbom', predicateTypes: [] };
  if (/signature|sigstore|cosign|notary|notation/i.test(type)) return { kind: 'signature', predicateTypes: [] };
  return { kind: 'artifact', predicateTypes: [] };
}

function createdOf(record: ManifestRecord): string {
  const created = record.annotations?.[CREATED];
  return created && !Number.isNaN(Date.parse(created)) ? created : record.pushedAt;
}

export function describeAccessory(record: ManifestRecord, tags: readonly string[]): Accessory {
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

/** The accessories of `digest` in `repository`, newest first; `tags` are the repository's tags (to name them). */
export async function accessoriesOf(ctx: UiContext, repository: string, digest: Digest, tags: readonly TagRecord[]): Promise<Accessory[]> {
  const digests = (await ctx.metadata.accessoriesOf(repository, digest)).slice(0, MAX_ACCESSORIES);
  const records = await mapLimit(digests, 8, (d) => ctx.metadata.getManifest(repository, d));
  const found = records.filter((r): r is ManifestRecord => r !== undefined).map((r) => describeAccessory(r, tags.filter((t) => t.digest === r.digest).map((t) => t.tag)));
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
