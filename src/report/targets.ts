/**
 * Groups a scan's findings into report targets the way Trivy does, so every
 * writer (and Trivy's consumers) sees the same structure:
 * - one `os-pkgs` target for the operating system's packages, named
 *   `TARGET (debian 12)`;
 * - `lang-pkgs` targets: one per lock file or binary (`usr/local/bin/app`,
 *   `app/package-lock.json`), except installed-package kinds that Trivy
 *   aggregates over the whole image into one target each (`Node.js` for
 *   node_modules package.json files, `Python` for dist-info/egg-info,
 *   `Java` for archives, `Ruby` for gemspecs).
 *
 * Target types are Trivy's (`pkg/fanal/types/const.go` OSType and LangType).
 */
import type { Finding, ScanResult, Package } from '../core/index.js';
import { compare, sortFindings } from './severity.js';

export type TargetClass = 'os-pkgs' | 'lang-pkgs';

export interface ReportTarget {
  /** The name Trivy would give it: `IMAGE (debian 12)`, `usr/local/bin/app`, `Node.js`. */
  readonly name: string;
  readonly class: TargetClass;
  /** Trivy's type: OS family (`debian`, `alpine`, …) or language type (`npm`, `gobinary`, `python-pkg`, …). */
  readonly type: string;
  /** Sorted by severity, package, id. */
  readonly findings: readonly Finding[];
}

const OS_MANAGERS = new Set(['dpkg', 'apk', 'rpm']);

/** True for packages of the operating system's package manager. */
export function isOsPackage(pkg: Package): boolean {
  return OS_MANAGERS.has(pkg.foundBy) || pkg.ecosystem === 'debian' || pkg.ecosystem === 'ubuntu' || pkg.ecosystem === 'alpine' || pkg.ecosystem === 'rpm';
}

/** os-release ID → Trivy OS family (`pkg/fanal/types/const.go`). */
const OS_FAMILY: Readonly<Record<string, string>> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  alpine: 'alpine',
  rhel: 'redhat',
  redhat: 'redhat',
  centos: 'centos',
  rocky: 'rocky',
  almalinux: 'alma',
  alma: 'alma',
  amzn: 'amazon',
  ol: 'oracle',
  fedora: 'fedora',
  'opensuse-leap': 'opensuse-leap',
  'opensuse-tumbleweed': 'opensuse-tumbleweed',
  sles: 'suse linux enterprise server',
  photon: 'photon',
  mariner: 'cbl-mariner',
  azurelinux: 'azurelinux',
  wolfi: 'wolfi',
  chainguard: 'chainguard',
};

/** The Trivy OS family of a scan (falls back to the package ecosystem when no os-release was found). */
export function osFamily(result: ScanResult, pkg?: Package): string {
  const id = result.os?.id;
  if (id) return OS_FAMILY[id] ?? id;
  if (pkg?.ecosystem === 'rpm') return 'redhat';
  return pkg?.ecosystem ?? 'unknown';
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** Trivy's language type for a package and whether Trivy aggregates it into one named target. */
export function langType(pkg: Package): { type: string; aggregate?: string } {
  const file = basename(pkg.path);
  switch (pkg.foundBy) {
    case 'npm':
      if (file === 'package-lock.json') return { type: 'npm' };
      if (file === 'yarn.lock') return { type: 'yarn' };
      if (file === 'pnpm-lock.yaml') return { type: 'pnpm' };
      return { type: 'node-pkg', aggregate: 'Node.js' };
    case 'python':
      if (file === 'poetry.lock') return { type: 'poetry' };
      if (file === 'Pipfile.lock') return { type: 'pipenv' };
      if (file === 'uv.lock') return { type: 'uv' };
      if (file.endsWith('.txt')) return { type: 'pip' };
      return { type: 'python-pkg', aggregate: 'Python' };
    case 'go-binary':
      return { type: file === 'go.mod' ? 'gomod' : 'gobinary' };
    case 'java':
      if (file === 'pom.xml') return { type: 'pom' };
      return { type: 'jar', aggregate: 'Java' };
    case 'gem':
      if (file === 'Gemfile.lock') return { type: 'bundler' };
      return { type: 'gemspec', aggregate: 'Ruby' };
    case 'composer':
      return { type: file === 'composer.lock' ? 'composer' : 'composer-vendor' };
    case 'cargo':
      return { type: file === 'Cargo.lock' ? 'cargo' : 'rustbinary' };
    case 'dotnet':
      if (file === 'packages.lock.json') return { type: 'nuget' };
      return { type: 'dotnet-core' };
    default:
      return { type: pkg.foundBy || pkg.ecosystem };
  }
}

/** The display name of the scan's OS target: `TARGET (debian 12)`. */
export function osTargetName(result: ScanResult, family: string): string {
  const version = result.os?.versionId;
  return `${result.target} (${family}${version ? ` ${version}` : ''})`;
}

/**
 * The findings grouped into targets: the OS target first, then language
 * targets by name. Suppressed findings are included (writers decide what to
 * do with them); pass `findings` to group a subset.
 */
export function groupByTarget(result: ScanResult, findings: readonly Finding[] = result.findings): ReportTarget[] {
  const groups = new Map<string, { name: string; class: TargetClass; type: string; findings: Finding[] }>();
  for (const finding of findings) {
    const pkg = finding.package;
    let key: string;
    let entry: { name: string; class: TargetClass; type: string };
    if (isOsPackage(pkg)) {
      const family = osFamily(result, pkg);
      key = `os\0${family}`;
      entry = { name: osTargetName(result, family), class: 'os-pkgs', type: family };
    } else {
      const { type, aggregate } = langType(pkg);
      const name = aggregate ?? pkg.path;
      key = `lang\0${name}\0${type}`;
      entry = { name, class: 'lang-pkgs', type };
    }
    const group = groups.get(key);
    if (group) group.findings.push(finding);
    else groups.set(key, { ...entry, findings: [finding] });
  }
  return [...groups.values()]
    .sort((a, b) => (a.class === b.class ? compare(a.name, b.name) || compare(a.type, b.type) : a.class === 'os-pkgs' ? -1 : 1))
    .map((g) => ({ ...g, findings: sortFindings(g.findings) }));
}
