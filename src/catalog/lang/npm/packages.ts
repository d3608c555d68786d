/**
 * What every npm file parser shares: which names and versions count, the
 * purl, the Package they build, and merging one package found at several
 * install paths.
 */
import type { Package } from '../../../core/index.js';
import { buildPurl, type PackageExtra } from '../common.js';

export const FOUND_BY = 'npm';

export function npmPurl(name: string, version: string): string | undefined {
  if (name.startsWith('@')) {
    const slash = name.indexOf('/');
    if (slash > 1) return buildPurl('npm', name.slice(0, slash), name.slice(slash + 1), version);
  }
  return buildPurl('npm', undefined, name, version);
}

/** A valid-looking npm package name (scoped or not); rejects paths such as `@invalid/packageName/`. */
export function validName(name: string): boolean {
  return /^(?:@[^/@\s]+\/)?[^/@\s][^/\s]*$/.test(name) && name.length <= 214;
}

/** A registry version (not a URL, path, git or alias reference). */
export function registryVersion(version: string): boolean {
  return /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/.test(version) && /\d/.test(version);
}

export function makePackage(name: string, version: string, path: string, extra: PackageExtra = {}): Package | undefined {
  const purl = npmPurl(name, version);
  if (purl === undefined) return undefined;
  return { name, version, ecosystem: 'npm', purl, foundBy: FOUND_BY, path, ...extra };
}

export interface LockOptions {
  /** Report dependencies the lock file marks as development-only (default false). */
  includeDev?: boolean;
}

/** The same name@version installed at several places in a lock file is one package; dependsOn merged. */
export function uniqueByPurl(packages: Package[]): Package[] {
  const byPurl = new Map<string, Package>();
  for (const p of packages) {
    const prev = byPurl.get(p.purl);
    if (!prev) {
      byPurl.set(p.purl, p);
      continue;
    }
    const deps = [...new Set([...(prev.dependsOn ?? []), ...(p.dependsOn ?? [])])];
    if (deps.length) byPurl.set(p.purl, { ...prev, dependsOn: deps });
  }
  return [...byPurl.values()];
}
