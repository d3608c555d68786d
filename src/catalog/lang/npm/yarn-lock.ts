/** `yarn.lock`: v1 (its own format) and berry (YAML); yarn does not record dev-only dependencies. */
import { parse as parseYaml } from 'yaml';
import type { Package } from '../../../core/index.js';
import { isRecord, type ParseResult, str, utf8 } from '../common.js';
import { makePackage, npmPurl, registryVersion, uniqueByPurl } from './packages.js';

/** `name@range` → name (the last `@` that is not the first character). */
function specName(spec: string): string {
  const at = spec.indexOf('@', 1);
  return at < 0 ? spec : spec.slice(0, at);
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

export function parseYarnLock(bytes: Uint8Array, path: string): ParseResult {
  const text = utf8(bytes);
  if (/^__metadata:/m.test(text)) return parseYarnBerry(text, path);
  return parseYarnV1(text, path);
}

interface YarnEntry {
  name: string;
  version: string;
  deps: string[]; // descriptors `name@range`
  line: number;
}

function parseYarnV1(text: string, path: string): ParseResult {
  const warnings: string[] = [];
  const bySpec = new Map<string, YarnEntry>();
  const entries: YarnEntry[] = [];
  let current: YarnEntry | undefined;
  let specs: string[] = [];
  let inDeps = false;
  const lines = text.split(/\r?\n/);
  const finish = (): void => {
    if (!current) return;
    if (current.version === '') warnings.push(`${path}: line ${current.line}: entry without a version; skipped`);
    else {
      entries.push(current);
      for (const s of specs) bySpec.set(s, current);
    }
    current = undefined;
  };
  lines.forEach((raw, i) => {
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (indent === 0) {
      finish();
      if (!line.endsWith(':')) {
        warnings.push(`${path}: line ${i + 1}: unexpected top-level line`);
        return;
      }
      specs = line
        .slice(0, -1)
        .split(',')
        .map((s) => unquote(s))
        .filter((s) => s !== '');
      const first = specs[0];
      if (first === undefined) return;
      // `alias@npm:real@range` installs `real`.
      const range = first.slice(specName(first).length + 1);
      const name = range.startsWith('npm:') ? specName(range.slice(4)) : specName(first);
      current = { name, version: '', deps: [], line: i + 1 };
      inDeps = false;
      return;
    }
    if (!current) return;
    if (indent <= 2) {
      inDeps = line === 'dependencies:' || line === 'optionalDependencies:';
      const m = /^version\s+(.+)$/.exec(line);
      if (m?.[1]) current.version = unquote(m[1]);
      return;
    }
    if (inDeps) {
      const m = /^("[^"]+"|\S+)\s+(.+)$/.exec(line);
      if (m?.[1] && m[2]) current.deps.push(`${unquote(m[1])}@${unquote(m[2])}`);
    }
  });
  finish();
  return yarnPackages(entries, bySpec, path, warnings, (d) => d);
}

function parseYarnBerry(text: string, path: string): ParseResult {
  const warnings: string[] = [];
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    return { packages: [], warnings: [], incomplete: [`${path}: invalid YAML: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (!isRecord(doc)) return { packages: [], warnings: [`${path}: yarn.lock is not a mapping`] };
  const bySpec = new Map<string, YarnEntry>();
  const entries: YarnEntry[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === '__metadata' || !isRecord(value)) continue;
    const resolution = str(value.resolution) ?? '';
    // Only registry packages: skip workspace:, link:, portal:, patch: (a patched copy of a listed package), git…
    const rname = specName(resolution);
    if (!resolution.slice(rname.length).startsWith('@npm:')) continue;
    const version = str(value.version);
    if (version === undefined) continue;
    const entry: YarnEntry = { name: rname, version, deps: [], line: 0 };
    for (const field of ['dependencies', 'optionalDependencies']) {
      const d = value[field];
      if (isRecord(d)) for (const [n, r] of Object.entries(d)) entry.deps.push(`${n}@${String(r)}`);
    }
    entries.push(entry);
    for (const s of key.split(',').map((x) => x.trim())) if (s) bySpec.set(s, entry);
  }
  // In berry, a dependency `dep: ^1.0.0` is the descriptor `dep@npm:^1.0.0`.
  const normalise = (d: string): string => {
    const n = specName(d);
    const range = d.slice(n.length + 1);
    return /^[a-z]+:/.test(range) ? d : `${n}@npm:${range}`;
  };
  return yarnPackages(entries, bySpec, path, warnings, normalise);
}

function yarnPackages(
  entries: YarnEntry[],
  bySpec: Map<string, YarnEntry>,
  path: string,
  warnings: string[],
  normalise: (descriptor: string) => string,
): ParseResult {
  const packages: Package[] = [];
  for (const e of entries) {
    if (!registryVersion(e.version)) continue;
    const dependsOn: string[] = [];
    for (const d of e.deps) {
      const t = bySpec.get(normalise(d)) ?? bySpec.get(d);
      const p = t && registryVersion(t.version) ? npmPurl(t.name, t.version) : undefined;
      if (p && !dependsOn.includes(p)) dependsOn.push(p);
    }
    const pkg = makePackage(e.name, e.version, path, dependsOn.length ? { dependsOn } : {});
    if (pkg) packages.push(pkg);
  }
  return { packages: uniqueByPurl(packages), warnings };
}
