/**
 * The one normalised advisory model. Every importer (OSV, Alpine secdb, the
 * Debian security tracker, NVD) produces it, the advisory store persists it
 * and the matcher reads only it. It follows the OSV schema
 * (https://ossf.github.io/osv-schema/) where OSV has a field, so OSV records
 * map almost one to one; the other feeds are mapped onto it (see
 * docs/advisories.md for the mapping tables).
 *
 * Identity: a stored *record* is keyed by (`id`, `feed`, `scope`). Most feeds
 * publish one record per advisory (`scope` is ''); feeds that spread one
 * advisory over several files (Alpine secdb: one file per branch and
 * repository; the Debian tracker: one entry per source package) give each
 * part a `scope`, and the store merges the parts of one `id` when read.
 */

export type SeverityLevel = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'NEGLIGIBLE' | 'UNKNOWN';

export const SEVERITY_LEVELS: readonly SeverityLevel[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NEGLIGIBLE', 'UNKNOWN'];

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export interface Cvss {
  readonly version: CvssVersion;
  /** The vector as published (`CVSS:3.1/AV:N/…`, or the bare v2 form `AV:N/AC:L/…`). */
  readonly vector: string;
  /** Base score; undefined where it was neither published nor computable (v4 vectors, invalid vectors). */
  readonly score?: number;
}

/**
 * Who rated: `nvd`, `ghsa`, `debian`, `ubuntu`, `alpine`, `redhat`, `osv`
 * (an OSV record whose publisher has no name of its own here), `go`,
 * `rustsec`, `pypa`, …, or an NVD CNA such as `secalert@redhat.com`.
 */
export type SeveritySource = 'debian' | 'nvd' | 'ghsa' | 'osv' | 'alpine' | 'ubuntu' | 'redhat' | (string & {});

export interface Severity {
  readonly source: SeveritySource;
  readonly severity: SeverityLevel;
  readonly cvss?: Cvss;
}

export interface Reference {
  /** OSV reference type: ADVISORY, ARTICLE, DETECTION, DISCUSSION, REPORT, FIX, INTRODUCED, PACKAGE, EVIDENCE, WEB. */
  readonly type: string;
  readonly url: string;
}

/** One OSV event: exactly one of the keys. */
export type AdvisoryEvent =
  | { readonly introduced: string }
  | { readonly fixed: string }
  | { readonly last_affected: string }
  | { readonly limit: string };

export interface AffectedRange {
  /** GIT ranges are not kept: they name commits, which no package version can be compared with. */
  readonly type: 'ECOSYSTEM' | 'SEMVER';
  readonly events: readonly AdvisoryEvent[];
}

/**
 * `fixed`: a fix exists (the ranges end in `fixed`). `affected`: no fix yet
 * (every version from `introduced` on). `not-affected`: the vendor says this
 * release was never affected (Alpine fixed version "0", Debian resolved with
 * fixed_version "0"); never matches. `will-not-fix`: affected, and the vendor
 * has decided not to fix it (Debian `ignored`, end-of-life).
 */
export type AffectedStatus = 'fixed' | 'affected' | 'not-affected' | 'will-not-fix';

export interface AffectedPackage {
  /** OSV ecosystem name including the release: `Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`, `PyPI`, `Go`. */
  readonly ecosystem: string;
  /** Normalised with `normalizePackageName(ecosystem, name)`. For distributions: the source package (origin). */
  readonly name: string;
  readonly purl?: string;
  readonly ranges: readonly AffectedRange[];
  /** Explicitly enumerated affected versions (OSV `versions`). */
  readonly versions?: readonly string[];
  /** The first fixed version, for display; the ranges are authoritative. */
  readonly fixed?: string;
  readonly status: AffectedStatus;
  /** The vendor record this entry came from: `DSA-5001-1`, `debian-tracker:openssl/CVE-2024-1`, `alpine-secdb:v3.10/main`. */
  readonly sourceRecord: string;
}

export interface Advisory {
  /** `GO-2024-2963`, `PYSEC-2021-335`, `GHSA-…`, `ALPINE-CVE-2019-10206`, `DEBIAN-CVE-2016-1585`, `CVE-2024-3094` (NVD). */
  readonly id: string;
  /** The feed that produced this record: `osv`, `alpine-secdb`, `debian-tracker`, `nvd`, `amazon-updateinfo`. */
  readonly feed: string;
  /** The part of the advisory this record covers, for feeds that split one advisory over files; '' otherwise. */
  readonly scope: string;
  /** Other ids for the same vulnerability (OSV `aliases`). */
  readonly aliases: readonly string[];
  /** Ids this record was derived from (OSV `upstream`: the CVE behind `ALPINE-CVE-…`, `UBUNTU-CVE-…`). */
  readonly upstream: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  readonly severities: readonly Severity[];
  readonly references: readonly Reference[];
  /** RFC 3339 as published. Go vulndb and PyPA use `0001-01-01T00:00:00Z` for "unknown". */
  readonly published?: string;
  readonly modified?: string;
  /** Set when the advisory was withdrawn: kept, never matched. */
  readonly withdrawn?: string;
  readonly affected: readonly AffectedPackage[];
}

/** An affected entry with the (merged) advisory it belongs to: what `findAffected` returns. */
export interface AffectedMatch {
  readonly advisory: Advisory;
  readonly affected: AffectedPackage;
}

/**
 * Package names as each ecosystem compares them: PEP 503 for PyPI
 * (lower case, runs of `-_.` → `-`), lower case for NuGet, Packagist and
 * (case-insensitive) Hackage/Pub; everything else as written (Maven
 * `group:artifact`, Go module paths, npm, crates.io and distribution source
 * packages are case-sensitive).
 */
export function normalizePackageName(ecosystem: string, name: string): string {
  const base = ecosystem.split(':')[0]!;
  const trimmed = name.trim();
  switch (base) {
    case 'PyPI':
      return trimmed.toLowerCase().replace(/[-_.]+/g, '-');
    case 'NuGet':
    case 'Packagist':
      return trimmed.toLowerCase();
    default:
      return trimmed;
  }
}

/** Maps a free-form rating word to a level (`moderate`→MEDIUM, `important`→HIGH, `unimportant`/`negligible`→NEGLIGIBLE). */
export function severityFromWord(word: string | undefined | null): SeverityLevel {
  if (typeof word !== 'string') return 'UNKNOWN';
  const w = word.trim().replace(/\*+$/, '').trim().toLowerCase();
  switch (w) {
    case 'critical':
      return 'CRITICAL';
    case 'high':
    case 'important':
      return 'HIGH';
    case 'medium':
    case 'moderate':
      return 'MEDIUM';
    case 'low':
      return 'LOW';
    case 'negligible':
    case 'unimportant':
    case 'none':
      return 'NEGLIGIBLE';
    default:
      return 'UNKNOWN';
  }
}

/** CVSS base score → qualitative rating (CVSS v3/v4 table; v2 has no CRITICAL, NVD's v2 mapping is used). */
export function severityFromScore(score: number, version: CvssVersion = '3.1'): SeverityLevel {
  if (version === '2.0') return score >= 7 ? 'HIGH' : score >= 4 ? 'MEDIUM' : 'LOW';
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'NEGLIGIBLE';
}
