/**
 * npm: installed packages from `node_modules/**\/package.json`, and lock files
 * (`package-lock.json` v1–3, `yarn.lock` v1 and berry, `pnpm-lock.yaml` v5–9)
 * only in directories where no `node_modules` is installed beside them (what
 * is installed wins over what a lock file says would be).
 *
 * Lock files: development-only dependencies are left out where the lock file
 * marks them (package-lock `dev`, pnpm `dev` / importers' devDependencies);
 * yarn.lock does not record it, so everything it lists is reported. Local
 * links, workspaces, git and file references are skipped (they have no
 * registry version to match).
 */
import { parse as parseYaml } from 'yaml';
import type { FileView } from '../../core/files.js';
import type { Package } from '../../core/inventory.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../cataloger.js';
import {
  basename,
  buildPurl,
  catalogEach,
  dirname,
  isRecord,
  parseJsonText,
  type PackageExtra,
  type ParseResult,
  str,
  utf8,
} from './common.js';

const FOUND_BY = 'npm';
/** package.json and lock files are small; a 64 MiB lock file is already extreme. */
const MAX_BYTES = 64 << 20;

/** `…/node_modules/name/package.json` or `…/node_modules/@scope/name/package.json`. */
const INSTALLED = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@.][^/]*\/package\.json$/;
const LOCK_FILES = new Set(['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml']);

export function npmPurl(name: string, version: string): string | undefined {
  if (name.startsWith('@')) {
    const slash = name.indexOf('/');
    if (slash > 1) return buildPurl('npm', name.slice(0, slash), name.slice(slash + 1), version);
  }
  return buildPurl('npm', undefined, name, version);
}

/** A valid-looking npm package name (scoped or not); rejects paths such as `@invalid/packageName/`. */
function validName(name: string): boolean {
  return /^(?:@[^/@\s]+\/)?[^/@\s][^/\s]*$/.test(name) && name.length <= 214;
}

/** A registry version (not a URL, path, git or alias reference). */
function registryVersion(version: string): boolean {
  return /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/.test(version) && /\d/.test(version);
}

function makePackage(name: string, version: string, path: string, extra: PackageExtra = {}): Package | undefined {
  const purl = npmPurl(name, version);
  if (purl === undefined) return undefined;
  return { name, version, ecosystem: 'npm', purl, foundBy: FOUND_BY, path, ...extra };
}

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

// ---------------------------------------------------------------- package-lock.json

interface LockNode {
  name: string;
  version: string;
  dev: boolean;
  license?: string[];
  deps: string[];
  /** Key of the entry (v2+: the install path; v1: the nesting chain joined by `/node_modules/`). */
  key: string;
}

/** Node's resolution: from `node_modules/a/node_modules/b`, look in b's, then a's, then the root's node_modules. */
function resolveFrom(key: string, dep: string, has: (k: string) => boolean): string | undefined {
  let base = key;
  for (;;) {
    const candidate = base === '' ? `node_modules/${dep}` : `${base}/node_modules/${dep}`;
    if (has(candidate)) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    if (cut >= 0) base = base.slice(0, cut);
    else base = '';
  }
}

export interface LockOptions {
  /** Report dependencies the lock file marks as development-only (default false). */
  includeDev?: boolean;
}

export function parsePackageLock(bytes: Uint8Array, path: string, options: LockOptions = {}): ParseResult {
  const warnings: string[] = [];
  const doc = parseJsonText(bytes, path, warnings);
  if (doc === undefined) return { packages: [], warnings };
  if (!isRecord(doc)) return { packages: [], warnings: [`${path}: lock file is not an object`] };
  const nodes = new Map<string, LockNode>();
  if (isRecord(doc.packages)) {
    // lockfileVersion 2 and 3: flat map keyed by install path.
    for (const [key, value] of Object.entries(doc.packages)) {
      if (key === '' || !isRecord(value) || value.link === true) continue;
      const at = key.lastIndexOf('node_modules/');
      if (at < 0) continue; // a workspace's own folder
      const name = str(value.name) ?? key.slice(at + 'node_modules/'.length);
      const version = str(value.version);
      if (version === undefined || !registryVersion(version)) continue;
      const deps = new Set<string>();
      for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
        const d = value[field];
        if (isRecord(d)) Object.keys(d).forEach((k) => deps.add(k));
      }
      const license = typeof value.license === 'string' ? [value.license] : undefined;
      const node: LockNode = { name, version, dev: value.dev === true || value.devOptional === true, deps: [...deps], key };
      if (license) node.license = license;
      nodes.set(key, node);
    }
  } else if (isRecord(doc.dependencies)) {
    // lockfileVersion 1: nested `dependencies`, with `requires` naming dependencies.
    const walk = (deps: Record<string, unknown>, parentKey: string, depth: number): void => {
      if (depth > 200) {
        warnings.push(`${path}: dependency nesting deeper than 200; truncated`);
        return;
      }
      for (const [name, value] of Object.entries(deps)) {
        if (!isRecord(value)) continue;
        const key = parentKey === '' ? `node_modules/${name}` : `${parentKey}/node_modules/${name}`;
        const version = str(value.version);
        if (version !== undefined && registryVersion(version)) {
          nodes.set(key, {
            name,
            version,
            dev: value.dev === true,
            deps: isRecord(value.requires) ? Object.keys(value.requires) : [],
            key,
          });
        }
        if (isRecord(value.dependencies)) walk(value.dependencies, key, depth + 1);
      }
    };
    walk(doc.dependencies, '', 0);
  } else {
    return { packages: [], warnings: [`${path}: neither "packages" nor "dependencies" in the lock file`] };
  }
  const has = (k: string): boolean => nodes.has(k);
  const packages: Package[] = [];
  for (const node of nodes.values()) {
    if (node.dev && !options.includeDev) continue;
    const dependsOn: string[] = [];
    for (const dep of node.deps) {
      const target = resolveFrom(node.key, dep, has);
      const t = target === undefined ? undefined : nodes.get(target);
      const p = t ? npmPurl(t.name, t.version) : undefined;
      if (p && !dependsOn.includes(p)) dependsOn.push(p);
    }
    const extra: PackageExtra = {};
    if (node.license) extra.licenses = node.license;
    if (dependsOn.length) extra.dependsOn = dependsOn;
    if (node.dev) extra.metadata = { dev: 'true' };
    const pkg = makePackage(node.name, node.version, path, extra);
    if (pkg) packages.push(pkg);
  }
  return { packages: uniqueByPurl(packages), warnings };
}

/** The same name@version installed at several places in a lock file is one package; dependsOn merged. */
function uniqueByPurl(packages: Package[]): Package[] {
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

// ---------------------------------------------------------------- yarn.lock

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
    return { packages: [], warnings: [`${path}: invalid YAML: ${error instanceof Error ? error.message : String(error)}`] };
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

// ---------------------------------------------------------------- pnpm-lock.yaml

/** `1.2.3(peer@1.0.0)` or `1.2.3_peer@1.0.0` → `1.2.3`. */
function stripPeerSuffix(version: string): string {
  return version.replace(/\(.*$/, '').replace(/_.*$/, '');
}

/** A pnpm package key to name and version: `/a/1.0.0` (v5), `/@s/a@1.0.0(p)` (v6), `@s/a@1.0.0` (v9). */
function pnpmKey(key: string): { name: string; version: string } | undefined {
  let k = key.startsWith('/') ? key.slice(1) : key;
  k = k.replace(/\(.*$/, '');
  const at = k.indexOf('@', 1);
  if (at > 0) {
    const name = k.slice(0, at);
    const version = stripPeerSuffix(k.slice(at + 1));
    const parts = name.split('/').length;
    if (!name.slice(1).includes('@') && (name.startsWith('@') ? parts === 2 : parts === 1)) return { name, version };
  }
  // v5: /name/version or /@scope/name/version
  const parts = k.split('/');
  if (parts.length >= 2) {
    const version = stripPeerSuffix(parts[parts.length - 1] ?? '');
    const name = parts.slice(0, -1).join('/');
    if (name && version) return { name, version };
  }
  return undefined;
}

/** A dependency reference inside pnpm-lock: a plain version (maybe with peer suffix) or a `/name/ver` path. */
function pnpmRef(dep: string, ref: string): { name: string; version: string } | undefined {
  if (ref.startsWith('link:') || ref.startsWith('file:')) return undefined;
  if (ref.startsWith('/') || (ref.includes('@') && !/^\d/.test(ref))) return pnpmKey(ref);
  return { name: dep, version: stripPeerSuffix(ref) };
}

export function parsePnpmLock(bytes: Uint8Array, path: string, options: LockOptions = {}): ParseResult {
  let doc: unknown;
  try {
    doc = parseYaml(utf8(bytes), { maxAliasCount: 100 });
  } catch (error) {
    return { packages: [], warnings: [`${path}: invalid YAML: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (!isRecord(doc)) return { packages: [], warnings: [`${path}: pnpm-lock.yaml is not a mapping`] };
  const lockVersion = parseFloat(String(doc.lockfileVersion ?? '0'));
  const pkgs = isRecord(doc.packages) ? doc.packages : {};
  // v9 keeps dependencies in `snapshots`; earlier versions inside `packages`.
  const graph = lockVersion >= 9 && isRecord(doc.snapshots) ? doc.snapshots : pkgs;
  const nodes = new Map<string, { name: string; version: string; dev: boolean; deps: Array<[string, string]> }>();
  for (const [key, value] of Object.entries(graph)) {
    const nv = pnpmKey(key);
    if (!nv || !registryVersion(nv.version)) continue;
    const v = isRecord(value) ? value : {};
    const id = `${nv.name}@${nv.version}`;
    const deps: Array<[string, string]> = [];
    for (const field of ['dependencies', 'optionalDependencies']) {
      const d = v[field];
      if (isRecord(d)) for (const [n, r] of Object.entries(d)) deps.push([n, String(r)]);
    }
    const prev = nodes.get(id);
    if (prev) prev.deps.push(...deps);
    else nodes.set(id, { ...nv, dev: v.dev === true, deps });
  }
  // v9 has no per-package dev flag: production = reachable from importers' (dependencies, optionalDependencies).
  if (lockVersion >= 9) {
    const prod = new Set<string>();
    const queue: string[] = [];
    const importers = isRecord(doc.importers) ? Object.values(doc.importers) : [];
    for (const imp of importers) {
      if (!isRecord(imp)) continue;
      for (const field of ['dependencies', 'optionalDependencies']) {
        const d = imp[field];
        if (!isRecord(d)) continue;
        for (const [n, spec] of Object.entries(d)) {
          const ref = isRecord(spec) ? String(spec.version ?? '') : String(spec);
          const t = pnpmRef(n, ref);
          if (t) queue.push(`${t.name}@${t.version}`);
        }
      }
    }
    while (queue.length) {
      const id = queue.pop() as string;
      if (prod.has(id)) continue;
      prod.add(id);
      for (const [n, r] of nodes.get(id)?.deps ?? []) {
        const t = pnpmRef(n, r);
        if (t) queue.push(`${t.name}@${t.version}`);
      }
    }
    if (importers.length) for (const [id, node] of nodes) node.dev = !prod.has(id);
  }
  const packages: Package[] = [];
  for (const node of nodes.values()) {
    if (node.dev && !options.includeDev) continue;
    const dependsOn: string[] = [];
    for (const [n, r] of node.deps) {
      const t = pnpmRef(n, r);
      const p = t && registryVersion(t.version) ? npmPurl(t.name, t.version) : undefined;
      if (p && !dependsOn.includes(p)) dependsOn.push(p);
    }
    const extra: PackageExtra = {};
    if (dependsOn.length) extra.dependsOn = dependsOn;
    if (node.dev) extra.metadata = { dev: 'true' };
    const pkg = makePackage(node.name, node.version, path, extra);
    if (pkg) packages.push(pkg);
  }
  return { packages, warnings: [] };
}

// ---------------------------------------------------------------- the cataloguer

export function parseNpmFile(bytes: Uint8Array, path: string, options: LockOptions = {}): ParseResult {
  switch (basename(path)) {
    case 'package-lock.json':
      return parsePackageLock(bytes, path, options);
    case 'yarn.lock':
      return parseYarnLock(bytes, path);
    case 'pnpm-lock.yaml':
      return parsePnpmLock(bytes, path, options);
    default:
      return parsePackageJson(bytes, path);
  }
}

function isLockFile(path: string): boolean {
  return LOCK_FILES.has(basename(path)) && !/(?:^|\/)node_modules\//.test(path);
}

export function createNpmCataloger(options: LockOptions = {}): Cataloger {
  return {
    name: FOUND_BY,
    version: 1,
    wants(path: string) {
      return INSTALLED.test(path) || isLockFile(path) ? { maxBytes: MAX_BYTES } : false;
    },
    async catalog(view: FileView, _context: CatalogContext): Promise<CatalogResult> {
      // Directories with packages installed in node_modules: their lock files are not read.
      const installedRoots = new Set<string>();
      for (const f of view.files()) {
        const m = /^(?:(.*?)\/)?node_modules\//.exec(f.path);
        if (m && INSTALLED.test(f.path)) installedRoots.add(m[1] ?? '');
      }
      return catalogEach(
        view,
        (f) => INSTALLED.test(f.path) || (isLockFile(f.path) && !installedRoots.has(dirname(f.path))),
        (bytes, f) => parseNpmFile(bytes, f.path, options),
      );
    },
  };
}

export const npmCataloger: Cataloger = createNpmCataloger();
