/** `pnpm-lock.yaml` v5–9, with dev-only packages found from the flags (v5–8) or from the importers (v9). */
import { parse as parseYaml } from 'yaml';
import { type Package, appendAll } from '../../../core/index.js';
import { isRecord, type PackageExtra, type ParseResult, utf8 } from '../common.js';
import { type LockOptions, makePackage, npmPurl, registryVersion } from './packages.js';

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
    return { packages: [], warnings: [], incomplete: [`${path}: invalid YAML: ${error instanceof Error ? error.message : String(error)}`] };
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
    if (prev) appendAll(prev.deps, deps);
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
