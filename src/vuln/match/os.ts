/**
 * Distribution packages. Debian and Ubuntu advisories name the **source**
 * package (`openssl` for `libssl3`) on a release (`Debian:12`,
 * `Ubuntu:22.04:LTS`); Alpine's name the origin on a branch (`Alpine:v3.19`);
 * Rocky Linux and AlmaLinux name binary rpm packages on a major release.
 * The version compared is the source version where the package records one
 * (a binNMU `1.2-3+b1` is built from source `1.2-3`, which is what the
 * tracker's fixed version refers to).
 */
import type { AffectedPackage, OsRelease, Package } from '../../core/index.js';
import { DEBIAN_RELEASES } from '../sources/debian-tracker.js';
import { judge } from './evidence.js';
import type { Matcher, MatchQuery, Verdict } from './matcher.js';

function major(versionId: string | undefined): string | undefined {
  const m = /^(\d+)/.exec(versionId ?? '');
  return m?.[1];
}

/** The OSV ecosystems a distribution's advisories are filed under, most specific first. */
export function distroEcosystems(os: OsRelease | undefined, pkg?: Package): string[] {
  if (!os) return [];
  const id = os.id.toLowerCase();
  switch (id) {
    case 'debian': {
      const rel = major(os.versionId) ?? (os.versionCodename ? DEBIAN_RELEASES[os.versionCodename] : undefined);
      return rel ? [`Debian:${rel}`] : [];
    }
    case 'ubuntu': {
      const m = /^(\d+)\.(\d+)/.exec(os.versionId ?? '');
      if (!m) return [];
      const ver = `${m[1]}.${m[2]}`;
      const lts = m[2] === '04' && Number(m[1]) % 2 === 0;
      const out = lts ? [`Ubuntu:${ver}:LTS`, `Ubuntu:${ver}`] : [`Ubuntu:${ver}`];
      // Expanded Security Maintenance builds carry `esm` in their version; Canonical files them under Pro.
      if (lts && pkg && /esm/.test(pkg.source?.version ?? pkg.version)) out.push(`Ubuntu:Pro:${ver}:LTS`);
      return out;
    }
    case 'alpine': {
      const v = os.versionId ?? '';
      if (/_alpha|_beta|_rc|edge/.test(v) || /edge/.test(os.prettyName ?? '')) return ['Alpine:edge'];
      const m = /^(\d+)\.(\d+)/.exec(v);
      return m ? [`Alpine:v${m[1]}.${m[2]}`] : [];
    }
    case 'wolfi':
      return ['Wolfi'];
    case 'chainguard':
      return ['Chainguard'];
    case 'rocky': {
      const rel = major(os.versionId);
      return rel ? [`Rocky Linux:${rel}`] : [];
    }
    case 'almalinux': {
      const rel = major(os.versionId);
      return rel ? [`AlmaLinux:${rel}`] : [];
    }
    default:
      return [];
  }
}

const OS_PACKAGE_ECOSYSTEMS = new Set(['debian', 'ubuntu', 'alpine', 'rpm']);

export const osMatcher: Matcher = {
  name: 'os',
  distribution: true,
  filter(pkg: Package): boolean {
    return OS_PACKAGE_ECOSYSTEMS.has(pkg.ecosystem);
  },
  query(pkg: Package, os: OsRelease | undefined, warn: (message: string) => void): readonly MatchQuery[] {
    const ecosystems = distroEcosystems(os, pkg);
    if (ecosystems.length === 0) {
      warn(
        os
          ? `${pkg.name} ${pkg.version}: no advisory data is known for ${os.id} ${os.versionId ?? ''}`.trimEnd()
          : `${pkg.name} ${pkg.version}: the distribution is unknown, so OS packages cannot be matched`,
      );
      return [];
    }
    const bySource = pkg.ecosystem !== 'rpm';
    const name = bySource ? (pkg.source?.name ?? pkg.name) : pkg.name;
    const version = bySource ? (pkg.source?.version ?? pkg.version) : pkg.version;
    return ecosystems.map((ecosystem) => ({ ecosystem, name, version }));
  },
  vulnerable(query: MatchQuery, affected: AffectedPackage): Verdict {
    return judge(query, affected);
  },
};

/** Packages whose distribution ecosystem is known: used to say "unknown OS" once, not per package. */
export function isDistroSupported(os: OsRelease | undefined): boolean {
  return distroEcosystems(os).length > 0;
}
