/**
 * Language packages, by ecosystem and the name the ecosystem compares:
 * npm (scopes as written), PyPI (PEP 503, applied by the store), Go module
 * paths (and the standard library `stdlib` by toolchain version), Maven
 * `group:artifact`, crates.io, RubyGems, NuGet and Packagist (lower case,
 * applied by the store).
 */
import type { AffectedPackage, Ecosystem, OsRelease, Package } from '../../core/index.js';
import { judge } from './evidence.js';
import type { Matcher, MatchQuery, Verdict } from './matcher.js';

/** Inventory ecosystem → OSV ecosystem name. */
export const LANGUAGE_ECOSYSTEMS: Readonly<Partial<Record<Ecosystem, string>>> = {
  npm: 'npm',
  pypi: 'PyPI',
  go: 'Go',
  maven: 'Maven',
  cargo: 'crates.io',
  rubygems: 'RubyGems',
  nuget: 'NuGet',
  packagist: 'Packagist',
};

/**
 * A Go toolchain version as Go vulndb writes `stdlib` versions (SemVer without
 * the `v`): `1.19.8` stays, `1.21` → `1.21.0`, `1.22rc1` → `1.22.0-rc.1`,
 * `1.18beta2` → `1.18.0-beta.2`. Undefined for anything else.
 */
export function goToolchainSemver(version: string): string | undefined {
  const m = /^v?(?:go)?(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(version.trim());
  if (!m) return undefined;
  const core = `${m[1]}.${m[2]}.${m[3] ?? '0'}`;
  return m[4] ? `${core}-${m[4]}.${m[5]}` : core;
}

export const languageMatcher: Matcher = {
  name: 'language',
  distribution: false,
  filter(pkg: Package): boolean {
    return LANGUAGE_ECOSYSTEMS[pkg.ecosystem] !== undefined;
  },
  query(pkg: Package, _os: OsRelease | undefined, warn: (message: string) => void): readonly MatchQuery[] {
    const ecosystem = LANGUAGE_ECOSYSTEMS[pkg.ecosystem]!;
    if (pkg.ecosystem === 'go' && (pkg.name === 'stdlib' || pkg.metadata?.kind === 'stdlib')) {
      const version = goToolchainSemver(pkg.version);
      if (!version) {
        warn(`${pkg.path}: Go toolchain version ${JSON.stringify(pkg.version)} is not a release; the standard library was not matched`);
        return [];
      }
      return [{ ecosystem, name: 'stdlib', version }];
    }
    if (pkg.ecosystem === 'go' && (pkg.version === '(devel)' || pkg.version === '')) {
      // The main module of a binary built from a checkout is `(devel)` as a rule (go build records no
      // version for it): it is the application itself, not a published module advisories name, so
      // there is nothing to say. A dependency without a version is unusual: that one is worth a line.
      if (pkg.metadata?.kind !== 'main') warn(`${pkg.path}: ${pkg.name} has no module version (${pkg.version || 'empty'}); not matched`);
      return [];
    }
    return [{ ecosystem, name: pkg.name, version: pkg.version }];
  },
  vulnerable(query: MatchQuery, affected: AffectedPackage): Verdict {
    return judge(query, affected);
  },
};
