/**
 * The reverse of the symlink table: for a physical path, the other paths
 * that reach it through symlinks (`lib/x` for `usr/lib/x` when `lib ->
 * usr/lib`; `etc/os-release` for `usr/lib/os-release`). The walker asks the
 * selector about these aliases too, so a wanted path that only exists through
 * a symlink (a symlinked directory in the middle, or a symlink as the last
 * component) still gets its target's bytes kept while they stream by.
 * Bounded: at most MAX_ALIASES per path, each alias at most once, so symlink
 * loops (`a/self -> .`) cannot make it run away. Every prefix of a path is
 * checked against the targets' hashes in one pass, and only a prefix whose
 * hash matches is built and looked up: a deep path costs its length.
 */
import { pathHash, prefixesOf } from './path-index.js';

export const MAX_ALIASES = 16;

export class AliasMap {
  /** resolved target → symlink paths that resolve to it */
  private readonly reverse = new Map<string, Set<string>>();
  private readonly targetHashes = new Set<number>();

  get size(): number {
    return this.reverse.size;
  }

  add(symlink: string, resolvedTarget: string): void {
    // A symlink to one of its own ancestors (or the root) aliases itself forever; keep it, the bounds below stop it.
    // A Set: a layer may hold many symlinks to one target, and each add must not scan the others.
    const links = this.reverse.get(resolvedTarget);
    if (links) links.add(symlink);
    else {
      this.reverse.set(resolvedTarget, new Set([symlink]));
      this.targetHashes.add(pathHash(resolvedTarget));
    }
  }

  clear(): void {
    this.reverse.clear();
    this.targetHashes.clear();
  }

  /** Other paths that reach `path` through one or more symlinks (bounded). */
  aliasesOf(path: string): string[] {
    if (this.reverse.size === 0) return [];
    const found: string[] = [];
    const seen = new Set<string>([path]);
    const queue = [path];
    while (queue.length > 0 && found.length < MAX_ALIASES) {
      const current = queue.shift() as string;
      // Every prefix of `current` (itself, its parent, …, the root) may be a symlink target.
      const { hash, end } = prefixesOf(current);
      for (let i = hash.length - 1; i >= 0; i--) {
        if (!this.targetHashes.has(hash[i] as number)) continue;
        const prefix = current.slice(0, end[i]);
        const links = this.reverse.get(prefix);
        if (!links) continue;
        const rest = current.slice(prefix.length); // '' or '/…' (or the whole path for the root prefix)
        for (const link of links) {
          const alias = prefix === '' ? (current === '' ? link : `${link}/${current}`) : `${link}${rest}`;
          if (seen.has(alias) || link === current) continue;
          seen.add(alias);
          found.push(alias);
          queue.push(alias);
          if (found.length >= MAX_ALIASES) return found;
        }
      }
    }
    return found;
  }
}
