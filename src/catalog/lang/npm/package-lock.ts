/**
 * `package-lock.json` v1 (nested `dependencies`) and v2/v3 (flat `packages`
 * keyed by install path), with dependencies resolved the way Node does.
 */
import type { Package } from '../../../core/index.js';
import { isRecord, parseJsonText, type PackageExtra, type ParseResult, str } from '../common.js';
import { type LockOptions, makePackage, npmPurl, registryVersion, uniqueByPurl } from './packages.js';

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

export function parsePackageLock(bytes: Uint8Array, path: string, options: LockOptions = {}): ParseResult {
  const warnings: string[] = [];
  const incomplete: string[] = [];
  const doc = parseJsonText(bytes, path, incomplete);
  if (doc === undefined) return { packages: [], warnings, incomplete };
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
        incomplete.push(`${path}: dependency nesting deeper than 200; the deeper ones were not read`);
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
    const dependsOn = new Set<string>();
    for (const dep of node.deps) {
      const target = resolveFrom(node.key, dep, has);
      const t = target === undefined ? undefined : nodes.get(target);
      const p = t ? npmPurl(t.name, t.version) : undefined;
      if (p) dependsOn.add(p);
    }
    const extra: PackageExtra = {};
    if (node.license) extra.licenses = node.license;
    if (dependsOn.size) extra.dependsOn = [...dependsOn];
    if (node.dev) extra.metadata = { dev: 'true' };
    const pkg = makePackage(node.name, node.version, path, extra);
    if (pkg) packages.push(pkg);
  }
  return { packages: uniqueByPurl(packages), warnings, ...(incomplete.length ? { incomplete } : {}) };
}
