/**
 * PHP Composer: what `composer install` put in `vendor/`, as recorded in
 * `vendor/composer/installed.json` — Composer 1 writes an array of packages,
 * Composer 2 `{ "packages": [...], "dev": bool, "dev-package-names": [...] }`.
 * dependsOn comes from each package's `require`, resolved to the installed
 * packages (platform requirements such as `php` and `ext-*` are not packages).
 */
import type { FileView, Package } from '../../core/index.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../cataloger.js';
import { buildPurl, catalogEach, isRecord, type PackageExtra, parseJsonText, type ParseResult, str } from './common.js';

const FOUND_BY = 'composer';
const MAX_BYTES = 64 << 20;
const WANTED = /(?:^|\/)vendor\/composer\/installed\.json$/;

export function composerPurl(name: string, version: string): string | undefined {
  const slash = name.indexOf('/');
  return slash > 0 ? buildPurl('composer', name.slice(0, slash), name.slice(slash + 1), version) : buildPurl('composer', undefined, name, version);
}

export function parseComposerInstalled(bytes: Uint8Array, path: string): ParseResult {
  const warnings: string[] = [];
  const incomplete: string[] = [];
  const doc = parseJsonText(bytes, path, incomplete);
  if (doc === undefined) return { packages: [], warnings, incomplete };
  const list = Array.isArray(doc) ? doc : isRecord(doc) && Array.isArray(doc.packages) ? doc.packages : undefined;
  if (!list) return { packages: [], warnings: [`${path}: neither a package array nor {"packages": [...]}`] };
  const devNames = new Set(isRecord(doc) && Array.isArray(doc['dev-package-names']) ? doc['dev-package-names'].map(String) : []);
  const installed = new Map<string, string>();
  for (const p of list) if (isRecord(p) && str(p.name) && str(p.version)) installed.set(String(p.name).toLowerCase(), String(p.version));
  const packages: Package[] = [];
  list.forEach((p, i) => {
    if (!isRecord(p)) return;
    const name = str(p.name);
    const version = str(p.version);
    if (!name || !version) {
      warnings.push(`${path}: packages[${i}] without name or version; skipped`);
      return;
    }
    const purl = composerPurl(name, version);
    if (!purl) {
      warnings.push(`${path}: cannot build a purl for ${name} ${version}; skipped`);
      return;
    }
    const extra: PackageExtra = {};
    const lic = Array.isArray(p.license) ? p.license.filter((x): x is string => typeof x === 'string' && x !== '') : str(p.license) ? [String(p.license)] : [];
    if (lic.length) extra.licenses = lic;
    const deps: string[] = [];
    if (isRecord(p.require)) {
      for (const dep of Object.keys(p.require)) {
        const v = installed.get(dep.toLowerCase());
        const dp = v === undefined ? undefined : composerPurl(dep.toLowerCase(), v);
        if (dp && !deps.includes(dp)) deps.push(dp);
      }
    }
    if (deps.length) extra.dependsOn = deps;
    if (devNames.has(name)) extra.metadata = { dev: 'true' };
    packages.push({ name, version, ecosystem: 'packagist', purl, foundBy: FOUND_BY, path, ...extra });
  });
  return { packages, warnings };
}

export const composerCataloger: Cataloger = {
  name: FOUND_BY,
  version: 2,
  wants(path: string) {
    return WANTED.test(path) ? { maxBytes: MAX_BYTES } : false;
  },
  async catalog(view: FileView, _context: CatalogContext): Promise<CatalogResult> {
    return catalogEach(view, (f) => WANTED.test(f.path), (bytes, f) => parseComposerInstalled(bytes, f.path));
  },
};
