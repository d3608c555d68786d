/**
 * The one list of version schemes, and the map from OSV ecosystem names
 * (https://ossf.github.io/osv-schema/#affectedpackage-field and
 * ossf/osv-schema docs/schema.md "Defined ecosystems") to them. Adding a
 * scheme means adding it here; a duplicate name fails when this module loads.
 */
import { apk } from './apk.js';
import { composer } from './composer.js';
import { dpkg } from './dpkg.js';
import { VersionError } from './errors.js';
import { gem } from './gem.js';
import { go, goOsv } from './go.js';
import { maven } from './maven.js';
import { nuget } from './nuget.js';
import { pep440 } from './pep440.js';
import { rpm } from './rpm.js';
import type { SchemeName, VersionScheme } from './scheme.js';
import { semver } from './semver.js';

export const SCHEMES: readonly VersionScheme[] = [dpkg, apk, rpm, semver, pep440, maven, go, gem, nuget, composer];

/**
 * OSV ecosystem → scheme. Distribution ecosystems may carry a release after a
 * colon (`Debian:12`, `Alpine:v3.20`, `Red Hat:enterprise_linux:9::appstream`);
 * only the part before the first colon is looked up.
 */
export const ECOSYSTEMS: readonly (readonly [ecosystem: string, scheme: VersionScheme])[] = [
  // dpkg
  ['Debian', dpkg],
  ['Ubuntu', dpkg],
  // apk
  ['Alpine', apk],
  ['Wolfi', apk],
  ['Chainguard', apk],
  ['MinimOS', apk],
  ['Alpaquita', apk],
  ['BellSoft Hardened Containers', apk],
  // rpm
  ['Red Hat', rpm],
  ['Rocky Linux', rpm],
  ['AlmaLinux', rpm],
  ['SUSE', rpm],
  ['openSUSE', rpm],
  ['Mageia', rpm],
  ['openEuler', rpm],
  ['Photon OS', rpm],
  ['Azure Linux', rpm],
  // not an OSV ecosystem: the `amazon-updateinfo` feed's (sources/amazon-updateinfo.ts)
  ['Amazon Linux', rpm],
  // Oracle's ELSA OVAL (sources/oracle-oval.ts): not an OSV ecosystem, named like one
  ['Oracle Linux', rpm],
  // languages
  ['npm', semver],
  ['crates.io', semver],
  // Hex packages use Elixir's Version, which is SemVer 2.0.0.
  ['Hex', semver],
  ['Bitnami', semver],
  ['SwiftURL', semver],
  ['PyPI', pep440],
  ['Maven', maven],
  ['Go', goOsv],
  ['RubyGems', gem],
  ['NuGet', nuget],
  ['Packagist', composer],
];

/** Builds a name → value map and throws SCHEME_DUPLICATE on a repeated name. */
export function uniqueMap<T>(entries: readonly (readonly [string, T])[], what: string): ReadonlyMap<string, T> {
  const map = new Map<string, T>();
  for (const [name, value] of entries) {
    if (map.has(name)) throw new VersionError('SCHEME_DUPLICATE', `${what} ${JSON.stringify(name)} is registered twice`);
    map.set(name, value);
  }
  return map;
}

const BY_NAME = uniqueMap(
  SCHEMES.map((s) => [s.name, s] as const),
  'version scheme',
);
const BY_ECOSYSTEM = uniqueMap(ECOSYSTEMS, 'OSV ecosystem');

export function schemeByName(name: SchemeName | string): VersionScheme {
  const s = BY_NAME.get(name);
  if (!s) throw new VersionError('SCHEME_UNKNOWN', `unknown version scheme ${JSON.stringify(name)}`);
  return s;
}

export function schemeForEcosystem(ecosystem: string): VersionScheme {
  const base = ecosystem.split(':')[0]!;
  const s = BY_ECOSYSTEM.get(base);
  if (!s) throw new VersionError('ECOSYSTEM_UNKNOWN', `no version scheme for OSV ecosystem ${JSON.stringify(ecosystem)}`);
  return s;
}

/**
 * The scheme an OSV range is evaluated with: `SEMVER` ranges always use
 * SemVer 2.0.0 (whatever the ecosystem), `ECOSYSTEM` ranges the ecosystem's
 * scheme; `GIT` ranges name commits, not versions, and throw RANGE_INVALID.
 */
export function schemeForRange(type: string, ecosystem: string): VersionScheme {
  if (type === 'SEMVER') return semver;
  if (type === 'ECOSYSTEM') return schemeForEcosystem(ecosystem);
  throw new VersionError('RANGE_INVALID', `OSV range type ${JSON.stringify(type)} has no version order`);
}
