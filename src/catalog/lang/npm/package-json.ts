/** An installed `node_modules/…/package.json`: name, version, licences. */
import { isRecord, parseJsonText, type ParseResult, str } from '../common.js';
import { makePackage, validName } from './packages.js';

/** Licenses from `license` (string, or legacy `{type}`) and the legacy `licenses` array. */
export function npmLicenses(pkg: Record<string, unknown>): string[] {
  const out: string[] = [];
  const add = (value: unknown): void => {
    if (typeof value === 'string' && value.trim() !== '') out.push(value.trim());
    else if (isRecord(value) && typeof value.type === 'string' && value.type.trim() !== '') out.push(value.type.trim());
  };
  for (const value of [pkg.license, pkg.licenses]) {
    if (Array.isArray(value)) value.forEach(add);
    else add(value);
  }
  return [...new Set(out)];
}

/** One installed `package.json` (inside node_modules). Missing name/version → warning, no package. */
export function parsePackageJson(bytes: Uint8Array, path: string): ParseResult {
  const warnings: string[] = [];
  const doc = parseJsonText(bytes, path, warnings);
  if (doc === undefined) return { packages: [], warnings };
  if (!isRecord(doc)) return { packages: [], warnings: [`${path}: package.json is not an object`] };
  const name = str(doc.name);
  const version = str(doc.version);
  if (name === undefined || version === undefined) {
    return { packages: [], warnings: [`${path}: package.json without ${name === undefined ? 'name' : 'version'}; skipped`] };
  }
  if (!validName(name)) return { packages: [], warnings: [`${path}: invalid package name ${JSON.stringify(name)}; skipped`] };
  const licenses = npmLicenses(doc);
  const pkg = makePackage(name, version, path, licenses.length ? { licenses } : {});
  if (!pkg) return { packages: [], warnings: [`${path}: cannot build a purl for ${name}@${version}; skipped`] };
  return { packages: [pkg], warnings };
}
