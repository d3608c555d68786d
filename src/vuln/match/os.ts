/**
 * Distribution packages. Debian and Ubuntu advisories name the **source**
 * package (`openssl` for `libssl3`) on a release (`Debian:12`,
 * `Ubuntu:22.04:LTS`); Alpine's name the origin on a branch (`Alpine:v3.19`,
 * or the branch `etc/apk/repositories` installs from when that differs);
 * Wolfi, Chainguard and MinimOS are rolling (one ecosystem each). The rpm
 * distributions (rpm-distros.ts) are asked by binary and by source package
 * name: Red Hat, Rocky and AlmaLinux records list binary rpms, SUSE and
 * Azure Linux name the source rpm, Photon's CVE data the binary rpm; Amazon's
 * (ALAS) list only binary rpms, so Amazon Linux packages are asked by binary
 * name alone; Oracle's ELSAs list binary rpms too, and an Oracle Linux
 * package is also asked by its flavour and architecture (`oracleEcosystems`
 * in rpm-distros.ts). The version compared is the source version
 * where a Debian package records one (a binNMU `1.2-3+b1` is built from
 * source `1.2-3`, which is what the tracker's fixed version refers to); an
 * rpm's own EVR otherwise. A modular rpm is judged only by entries of its
 * module stream (`moduleStreamApplies`).
 */
import type { AffectedPackage, OsRelease, Package } from '../../core/index.js';
import { DEBIAN_RELEASES } from '../sources/debian-tracker.js';
import { judge, renderRange } from './evidence.js';
import type { Matcher, MatchQuery, Verdict } from './matcher.js';
import { moduleStreamApplies, oracleEcosystems, rpmEcosystems } from './rpm-distros.js';

function major(versionId: string | undefined): string | undefined {
  const m = /^(\d+)/.exec(versionId ?? '');
  return m?.[1];
}

function alpineEcosystem(os: OsRelease): string[] {
  const repo = os.apkRepositoryRelease;
  if (repo) return [repo === 'edge' ? 'Alpine:edge' : `Alpine:v${repo}`];
  const v = os.versionId ?? '';
  if (/_alpha|_beta|_rc|edge/.test(v) || /edge/.test(os.prettyName ?? '')) return ['Alpine:edge'];
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [`Alpine:v${m[1]}.${m[2]}`] : [];
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
    case 'alpine':
      return alpineEcosystem(os);
    case 'wolfi':
      return ['Wolfi'];
    case 'chainguard':
      return ['Chainguard'];
    case 'minimos':
      return ['MinimOS'];
    case 'ol':
      return oracleEcosystems(os, pkg);
    default:
      return rpmEcosystems(os);
  }
}

const OS_PACKAGE_ECOSYSTEMS = new Set(['debian', 'ubuntu', 'alpine', 'rpm']);

/** Ecosystems whose records name only binary rpms: a source name there would judge subpackages versioned apart (perl-Carp 1.50 by perl's 4:5.32 fix). */
const BINARY_ONLY = /^Amazon Linux:/;

function rpmQueries(pkg: Package, ecosystems: readonly string[]): MatchQuery[] {
  const source = pkg.source?.name;
  const names = source && source !== pkg.name && !ecosystems.every((e) => BINARY_ONLY.test(e)) ? [pkg.name, source] : [pkg.name];
  const label = pkg.metadata?.modularityLabel;
  const out: MatchQuery[] = [];
  for (const ecosystem of ecosystems) {
    for (const name of names) out.push({ ecosystem, name, version: pkg.version, ...(label ? { modularityLabel: label } : {}) });
  }
  return out;
}

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
    if (pkg.ecosystem === 'rpm') return rpmQueries(pkg, ecosystems);
    const name = pkg.source?.name ?? pkg.name;
    const version = pkg.source?.version ?? pkg.version;
    return ecosystems.map((ecosystem) => ({ ecosystem, name, version }));
  },
  vulnerable(query: MatchQuery, affected: AffectedPackage): Verdict {
    if (isRpmEcosystem(affected.ecosystem) && !moduleStreamApplies(query.modularityLabel, query.version, affected)) {
      return { vulnerable: false, scheme: 'rpm', range: renderRange(affected) };
    }
    return judge(query, affected);
  },
};

const RPM_ECOSYSTEMS = new Set(['Red Hat', 'Rocky Linux', 'AlmaLinux', 'SUSE', 'openSUSE', 'Photon OS', 'Azure Linux', 'Amazon Linux', 'Oracle Linux']);

function isRpmEcosystem(ecosystem: string): boolean {
  return RPM_ECOSYSTEMS.has(ecosystem.split(':')[0]!);
}

/** Packages whose distribution ecosystem is known: used to say "unknown OS" once, not per package. */
export function isDistroSupported(os: OsRelease | undefined): boolean {
  return distroEcosystems(os).length > 0;
}
