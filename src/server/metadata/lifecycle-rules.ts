/**
 * What both metadata stores must agree on for the blob lifecycle, retention
 * and quotas, kept in one place so that SQLite and PostgreSQL cannot drift:
 * which repository names belong to a project, which tags are a manifest's
 * accessory tags, the refusals a push gets when garbage collection got
 * there first, and the time that sorts after every cutoff.
 *
 * Ranges rather than LIKE patterns: names contain `_` and `.`, which LIKE
 * would read as wildcards, and both stores order names by byte value (SQLite's
 * BINARY, PostgreSQL's `COLLATE "C"`), so `name >= 'p/' AND name < 'p0'` (the
 * byte after `/` is `0`) is exactly "under p/", and uses the primary key.
 */
import { digestAlgorithm, digestHex, type Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';

/** Sorts after every ISO time: "no cutoff". */
export const END_OF_TIME = '~';

/** A project and the bounds of the names under it, as named SQL parameters. */
export function projectRange(project: string): { project: string; low: string; high: string } {
  return { project, low: `${project}/`, high: `${project}0` };
}

/**
 * The accessory tags of `digest`: `sha256-<hex>` (the referrers API's
 * fallback index tag) and the bounds of `sha256-<hex>.<suffix>` (cosign's
 * `.sig`, `.att`, `.sbom`; `/` is the byte after `.`).
 */
export function accessoryTagRange(digest: Digest): { tag: string; low: string; high: string } {
  const tag = `${digestAlgorithm(digest)}-${digestHex(digest)}`;
  return { tag, low: `${tag}.`, high: `${tag}/` };
}

/** A push met a blob a collector had claimed: nothing was recorded; retrying finds it gone and stores it again. */
export function beingCollected(digest: string): ServeError {
  return new ServeError('UNAVAILABLE', `blob ${digest} was being garbage collected while this push used it; retry the push`, { detail: { digest } });
}

/** A manifest named something its repository does not hold (any more) when it was recorded. */
export function missingBlob(what: 'blob' | 'manifest', digest: string, repository: string): ServeError {
  return new ServeError('MANIFEST_BLOB_UNKNOWN', `${what} ${digest} is not in repository ${repository}`, { detail: { digest } });
}
