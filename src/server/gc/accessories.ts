/**
 * Which manifests are accessories of another, and so follow it: deleted with
 * it, kept while it is kept, never the reason anything else is deleted.
 * Two conventions say so:
 * - the OCI `subject` field (referrers API: Sigstore bundles, attestations,
 *   SBOMs and other artifacts attached with `oras attach`, `cosign attest
 *   --new-bundle-format`, `portcullis attest`);
 * - the tag schema for registries without the referrers API: cosign's
 *   `sha256-<hex>.sig`, `.att` and `.sbom` tags, and the referrers fallback
 *   index tagged `sha256-<hex>` (distribution-spec "Referrers Tag Schema").
 * A manifest is an accessory when it has a subject, or when every tag on it
 * is an accessory tag. A tag of another kind on an artifact with a subject
 * does not keep it once its subject is gone: it was attached to that subject.
 * A tag naming the manifest's own digest (a mirror tagging images by digest)
 * is not an accessory tag of it: it keeps the manifest, which would otherwise
 * follow itself, kept by nothing, and go with its tag.
 */
import { isDigest, type Digest } from '../../core/index.js';

const ACCESSORY_TAG = /^(sha256|sha512)-([0-9a-f]+)(?:\.[A-Za-z0-9_.-]+)?$/;

/** The digest an accessory tag names (`sha256-<hex>`, `sha256-<hex>.sig`…), or undefined for any other tag. */
export function accessoryTagSubject(tag: string): Digest | undefined {
  const m = ACCESSORY_TAG.exec(tag);
  if (!m) return undefined;
  const digest = `${m[1]}:${m[2]}`;
  return isDigest(digest) ? digest : undefined;
}

export function isAccessoryTag(tag: string): boolean {
  return accessoryTagSubject(tag) !== undefined;
}

/** The manifest a tag on `digest` makes it an accessory of: the digest the tag names, unless that is `digest` itself. */
export function accessoryTagSubjectOf(digest: Digest, tag: string): Digest | undefined {
  const subject = accessoryTagSubject(tag);
  return subject === digest ? undefined : subject;
}

/** True when `tags` (all the tags on `digest`) make it an accessory: there is one, and each names another manifest. */
export function isAccessoryByTags(digest: Digest, tags: readonly string[]): boolean {
  return tags.length > 0 && tags.every((tag) => accessoryTagSubjectOf(digest, tag) !== undefined);
}
