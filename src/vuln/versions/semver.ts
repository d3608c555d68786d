/**
 * Semantic Versioning 2.0.0 as npm reads it (also crates.io and OSV's
 * `SEMVER` range type).
 *
 * Delegates to the `semver` package (node-semver, npm's own implementation):
 * versions parse with `loose: true`, which accepts what npm accepts in
 * lockfiles and manifests (`v1.2.3`, `=1.2.3`, `1.2.3beta`, surrounding
 * spaces) and does not change the order of strictly valid versions. Build
 * metadata is ignored by the order. Vectors: node-semver test/fixtures.
 */
import semverLib from 'semver';
import { invalid, VersionError } from './errors.js';
import { defineScheme, type Ordering, type ParsedVersion } from './scheme.js';

export interface SemverVersion extends ParsedVersion {
  readonly scheme: 'semver';
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease: readonly (string | number)[];
  readonly build: readonly string[];
  /** node-semver's normalised form, without build metadata. */
  readonly version: string;
  /** The node-semver object, for callers that need its API. */
  readonly semver: semverLib.SemVer;
}

export interface SemverOptions {
  /** Accept npm's loose forms. Default true. */
  loose?: boolean;
}

export function parseSemver(version: string, options: SemverOptions = {}): SemverVersion {
  let v: semverLib.SemVer;
  try {
    v = new semverLib.SemVer(version, { loose: options.loose ?? true });
  } catch (error) {
    throw invalid('semver', version, 'not a semantic version', error);
  }
  return {
    scheme: 'semver',
    raw: version,
    major: v.major,
    minor: v.minor,
    patch: v.patch,
    prerelease: v.prerelease,
    build: v.build,
    version: v.version,
    semver: v,
  };
}

export const semver = defineScheme<SemverVersion>({
  name: 'semver',
  parse: (v) => parseSemver(v),
  compareParsed: (a, b) => a.semver.compare(b.semver) as Ordering,
});

export interface SatisfiesOptions {
  loose?: boolean;
  includePrerelease?: boolean;
}

/**
 * npm range semantics (`^1.2.3`, `~1.2`, `1.x || >=2.5.0 <3`, `1.0.0 - 2.0.0`):
 * node-semver's `satisfies`. False for a version that does not parse; throws
 * VersionError('RANGE_INVALID') for a range that does not.
 */
export function satisfies(version: string, range: string, options: SatisfiesOptions = {}): boolean {
  const opts = { loose: options.loose ?? false, includePrerelease: options.includePrerelease ?? false };
  try {
    new semverLib.Range(range, opts);
  } catch (error) {
    throw new VersionError('RANGE_INVALID', `semver: invalid range ${JSON.stringify(range)}`, { cause: error });
  }
  return semverLib.satisfies(version, range, opts);
}
