/**
 * .NET: `*.deps.json`, written by the SDK beside every published app. Its
 * `libraries` map lists `Name/Version` entries; those of `type: "package"`
 * came from NuGet (`project` and `reference` entries are the app's own code).
 * dependsOn comes from the `targets` section's per-library `dependencies`.
 */
import type { FileView, Package } from '../../core/index.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../cataloger.js';
import { buildPurl, catalogEach, isRecord, parseJsonText, type ParseResult } from './common.js';

const FOUND_BY = 'dotnet';
const MAX_BYTES = 64 << 20;
const WANTED = /\.deps\.json$/;

function splitKey(key: string): { name: string; version: string } | undefined {
  const slash = key.lastIndexOf('/');
  if (slash <= 0 || slash === key.length - 1) return undefined;
  return { name: key.slice(0, slash), version: key.slice(slash + 1) };
}

export function parseDepsJson(bytes: Uint8Array, path: string): ParseResult {
  const warnings: string[] = [];
  const incomplete: string[] = [];
  const doc = parseJsonText(bytes, path, incomplete);
  if (doc === undefined) return { packages: [], warnings, incomplete };
  if (!isRecord(doc) || !isRecord(doc.libraries)) return { packages: [], warnings: [`${path}: no "libraries" object`] };
  const packageKeys = new Set<string>();
  for (const [key, lib] of Object.entries(doc.libraries)) if (isRecord(lib) && lib.type === 'package' && splitKey(key)) packageKeys.add(key);
  // Dependencies per library, merged over every target framework/runtime.
  const deps = new Map<string, Set<string>>();
  if (isRecord(doc.targets)) {
    for (const target of Object.values(doc.targets)) {
      if (!isRecord(target)) continue;
      for (const [key, entry] of Object.entries(target)) {
        if (!isRecord(entry) || !isRecord(entry.dependencies)) continue;
        const set = deps.get(key) ?? new Set<string>();
        for (const [n, v] of Object.entries(entry.dependencies)) if (packageKeys.has(`${n}/${String(v)}`)) set.add(`${n}/${String(v)}`);
        deps.set(key, set);
      }
    }
  }
  const purlOf = (key: string): string | undefined => {
    const nv = splitKey(key);
    return nv ? buildPurl('nuget', undefined, nv.name, nv.version) : undefined;
  };
  const packages: Package[] = [];
  for (const key of packageKeys) {
    const nv = splitKey(key);
    const purl = purlOf(key);
    if (!nv || !purl) {
      warnings.push(`${path}: cannot build a purl for ${key}; skipped`);
      continue;
    }
    const dependsOn = [...(deps.get(key) ?? [])].map(purlOf).filter((p): p is string => p !== undefined);
    packages.push({ name: nv.name, version: nv.version, ecosystem: 'nuget', purl, foundBy: FOUND_BY, path, ...(dependsOn.length ? { dependsOn } : {}) });
  }
  return { packages, warnings };
}

export const dotnetCataloger: Cataloger = {
  name: FOUND_BY,
  version: 2,
  wants(path: string) {
    return WANTED.test(path) ? { maxBytes: MAX_BYTES } : false;
  },
  async catalog(view: FileView, _context: CatalogContext): Promise<CatalogResult> {
    return catalogEach(view, (f) => WANTED.test(f.path), (bytes, f) => parseDepsJson(bytes, f.path));
  },
};
