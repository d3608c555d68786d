/**
 * image/unmanaged-binary: ELF executables and shared libraries of the final
 * filesystem (found by their header in the per-layer pass) that no OS
 * package manager owns, outside language package trees, and not recognised
 * by a cataloguer (Go/Rust binaries with build information are inventoried).
 * Grouped by install root so one hand-installed JDK is one finding.
 */
import type { ImageCheck, ImageLintContext } from './check.js';
import type { ElfHit } from './layer-scan.js';

/** Language package trees and caches: their binaries belong to a package the cataloguers see. */
const LANGUAGE_TREE = /(?:^|\/)(?:node_modules|site-packages|dist-packages|\.m2\/repository|\.gradle\/caches|pkg\/mod|\.cargo\/registry|gems|vendor\/bundle)\//;
const BIN_FILE = /^(?:usr\/local\/|usr\/)?s?bin\/[^/]+$/;
const USR_LOCAL_SPLIT = new Set(['lib', 'lib64', 'libexec', 'share', 'include']);

/** The install root a file is grouped under: itself in a bin directory, `opt/<x>`, `usr/local/<x>[/<y>]`, else its directory. */
export function installRoot(path: string): string {
  if (BIN_FILE.test(path)) return path;
  const parts = path.split('/');
  if (parts[0] === 'opt' && parts.length > 2) return parts.slice(0, 2).join('/');
  if (parts[0] === 'usr' && parts[1] === 'local' && parts.length > 3) {
    const x = parts[2] as string;
    if (USR_LOCAL_SPLIT.has(x)) return parts.length > 4 ? parts.slice(0, 4).join('/') : parts.slice(0, 3).join('/');
    return parts.slice(0, 3).join('/');
  }
  return parts.slice(0, -1).join('/') || path;
}

function check(ctx: ImageLintContext): void {
  const owned = ctx.ownedPaths();
  const inventoried = new Set<string>();
  for (const p of ctx.facts.inventory.packages) {
    inventoried.add(p.path);
    inventoried.add(ctx.physical(p.path));
  }
  const groups = new Map<string, ElfHit[]>();
  for (const hit of ctx.facts.layerScan.elf) {
    const physical = ctx.physical(hit.path);
    if (owned.has(hit.path) || owned.has(physical) || inventoried.has(hit.path) || inventoried.has(physical)) continue;
    if (LANGUAGE_TREE.test(hit.path)) continue;
    const root = installRoot(hit.path);
    const list = groups.get(root) ?? [];
    list.push(hit);
    groups.set(root, list);
  }
  for (const [root, hits] of groups) {
    const first = hits[0] as ElfHit;
    if (hits.length === 1) {
      ctx.report({
        ruleId: 'image/unmanaged-binary',
        path: first.path,
        layer: first.layer,
        message: `${first.path}: ELF ${first.type} that no package manager owns (added by layer ${first.layer.index})`,
      });
    } else {
      const layers = [...new Set(hits.map((h) => h.layer.index))].sort((a, b) => a - b);
      ctx.report({
        ruleId: 'image/unmanaged-binary',
        path: root,
        layer: first.layer,
        message: `${root}: ${hits.length} ELF executables and libraries that no package manager owns (e.g. ${first.path}; layer${layers.length > 1 ? 's' : ''} ${layers.join(', ')})`,
      });
    }
  }
}

export const unmanagedCheck: ImageCheck = { name: 'unmanaged', rules: ['image/unmanaged-binary'], check };
