/**
 * image/unmanaged-binary: ELF executables and shared libraries of the final
 * filesystem (found by their header in the per-layer pass) that no OS
 * package manager owns, outside language package trees. Grouped by install
 * root so one hand-installed JDK is one finding. A Go or Rust executable
 * whose build information a cataloguer read is still unmanaged (nobody's
 * `apt-get upgrade` rebuilds it): it is its own finding, naming its toolchain
 * and module count, so it is not mistaken for software the distribution
 * keeps up to date.
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

/** What the cataloguers read from a built executable: its language, toolchain and module count. */
interface BuiltBinary {
  language: 'Go' | 'Rust';
  toolchain?: string;
  modules: number;
}

/** Executables whose build information a cataloguer read (go-binary, cargo-auditable), by path. */
function builtBinaries(ctx: ImageLintContext): Map<string, BuiltBinary> {
  const out = new Map<string, BuiltBinary>();
  for (const p of ctx.facts.inventory.packages) {
    const language = p.foundBy === 'go-binary' ? 'Go' : p.foundBy === 'cargo' && !/(?:^|\/)Cargo\.lock$/.test(p.path) ? 'Rust' : undefined;
    if (!language) continue;
    for (const path of new Set([p.path, ctx.physical(p.path)])) {
      const entry = out.get(path) ?? { language, modules: 0 };
      if (p.metadata?.kind === 'stdlib') entry.toolchain = `go${p.version.replace(/^v/, '')}`;
      else entry.modules += 1;
      if (p.metadata?.goVersion) entry.toolchain = p.metadata.goVersion;
      out.set(path, entry);
    }
  }
  return out;
}

function reportBuilt(ctx: ImageLintContext, hit: ElfHit, built: BuiltBinary): void {
  const toolchain = built.toolchain ? ` built with ${built.toolchain}` : '';
  const modules = `${built.modules} module${built.modules === 1 ? '' : 's'}`;
  ctx.report({
    ruleId: 'image/unmanaged-binary',
    path: hit.path,
    layer: hit.layer,
    message: `${hit.path}: ${built.language} executable${toolchain} (${modules}) that no package manager owns (added by layer ${hit.layer.index}); its vulnerabilities are not fixed by the distribution's updates, only by a rebuild`,
  });
}

function check(ctx: ImageLintContext): void {
  const owned = ctx.ownedPaths();
  const built = builtBinaries(ctx);
  const inventoried = new Set<string>();
  for (const p of ctx.facts.inventory.packages) {
    inventoried.add(p.path);
    inventoried.add(ctx.physical(p.path));
  }
  const groups = new Map<string, ElfHit[]>();
  for (const hit of ctx.facts.layerScan.elf) {
    const physical = ctx.physical(hit.path);
    if (owned.has(hit.path) || owned.has(physical)) continue;
    if (LANGUAGE_TREE.test(hit.path)) continue;
    const binary = built.get(hit.path) ?? built.get(physical);
    if (binary) {
      reportBuilt(ctx, hit, binary);
      continue;
    }
    if (inventoried.has(hit.path) || inventoried.has(physical)) continue;
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
