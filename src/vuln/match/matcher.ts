/**
 * The matcher role, after claircore's `driver.Matcher`: one implementation
 * per package family (`os.ts`, `language.ts`). A matcher says
 *
 * - what it **filters**: which inventory packages it is responsible for;
 * - what it **queries**: the ecosystem(s) and name under which the advisory
 *   store files that package (a Debian binary package is queried by its
 *   *source* package on `Debian:12`; a Python distribution by its PEP 503
 *   name on `PyPI`), and the version to compare;
 * - when a package is **vulnerable**: given one affected entry, whether the
 *   queried version falls in it (version order only through
 *   src/vuln/versions).
 *
 * Everything else (store access, alias merging, severity choice) is shared
 * and lives in `index.ts` and `merge.ts`.
 */
import type { AffectedPackage, OsRelease, Package } from '../../core/index.js';

export interface MatchQuery {
  /** OSV ecosystem including the release: `Debian:12`, `Alpine:v3.10`, `PyPI`, `Go`. */
  readonly ecosystem: string;
  /** The name the advisories use (normalised by the store): a source package, a PEP 503 name, a module path. */
  readonly name: string;
  /** The version compared against the ranges (a Debian source version, a Go toolchain version as `1.19.8`). */
  readonly version: string;
  /** An rpm built for a module stream: the rpm database's `modularitylabel` (`nodejs:18:…`). */
  readonly modularityLabel?: string;
}

/** One affected entry judged against one query. */
export interface Verdict {
  readonly vulnerable: boolean;
  /** The first fixed version above the installed one, when the entry names one. */
  readonly fixedVersion?: string;
  /** The scheme that ordered the versions (`dpkg`, `apk`, `semver`, …). */
  readonly scheme: string;
  /** The entry's ranges (or version list) as text, for the evidence. */
  readonly range: string;
}

export interface Matcher {
  /** `os`, `language`. */
  readonly name: string;
  /** True when this matcher handles the package (given the image's OS). */
  filter(pkg: Package, os: OsRelease | undefined): boolean;
  /** What to ask the store for; empty when the package cannot be queried (the reason goes to `warn`). */
  query(pkg: Package, os: OsRelease | undefined, warn: (message: string) => void): readonly MatchQuery[];
  /**
   * Whether `query.version` is affected by `affected`. Throws VersionError when
   * the versions cannot be compared (the caller turns it into a warning).
   */
  vulnerable(query: MatchQuery, affected: AffectedPackage): Verdict;
  /** True when the matched packages are distribution packages (vendor data outranks upstream ranges). */
  readonly distribution: boolean;
}
