/**
 * Links inside the image root, with chroot semantics and no host access.
 *
 * Symlinks: an absolute target starts again at the image root; `..` at the
 * root stays at the root (as the kernel does under chroot); every component,
 * the intermediate ones included, is looked up in the image's own link table,
 * never on the host. More than MAX_SYMLINK_HOPS links on one resolution (which
 * is how loops show) → LAYER_SYMLINK_LOOP, the limit Linux uses (MAXSYMLINKS).
 *
 * Hard links: tar stores the target as another entry name of the same or a
 * lower layer; it is normalised like an entry name and must stay inside the
 * root (absolute or escaping → LAYER_UNSAFE_LINK).
 *
 * Cost: resolution walks each component once. Asking the link table about a
 * prefix needs that prefix as a string; callers that know the pathHash of
 * every symlink pass `maybeSymlink`, and then only prefixes whose hash
 * (computed incrementally, PrefixHasher) belongs to a symlink are built and
 * looked up, so a deep path costs its length rather than its length times
 * its depth.
 */
import { LayerError } from './errors.js';
import { PrefixHasher } from './path-index.js';
import { checkPathSize, normaliseRelative, shown } from './path.js';

export const MAX_SYMLINK_HOPS = 40;

/** Answers "is this normalised path a symlink, and to what (as written)?". */
export type SymlinkLookup = (path: string) => string | undefined;

export interface ResolveOptions {
  /** Follow a symlink in the last component too (stat) or not (lstat). Default true. */
  followFinal?: boolean;
  maxHops?: number;
  /**
   * A cheap pre-filter: false when no symlink's path has this pathHash
   * (path-index.ts). When given, `lookup` is called only for prefixes that pass.
   */
  maybeSymlink?: (hash: number) => boolean;
}

/**
 * Resolves `path` (image-relative, or absolute meaning the image root) to the
 * physical normalised path it names. Throws LAYER_SYMLINK_LOOP.
 */
export function resolveInRoot(path: string, lookup: SymlinkLookup, options: ResolveOptions = {}): string {
  const followFinal = options.followFinal ?? true;
  const maxHops = options.maxHops ?? MAX_SYMLINK_HOPS;
  const maybeSymlink = options.maybeSymlink;
  // Pending components, stored reversed so the next one is at the end.
  const pending = splitReversed(path);
  const resolved: string[] = [];
  const hasher = new PrefixHasher();
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      // Clamps at the root.
      if (resolved.length > 0) {
        resolved.pop();
        hasher.pop();
      }
      continue;
    }
    const hash = hasher.push(part);
    resolved.push(part);
    const ask = (pending.length > 0 || followFinal) && (maybeSymlink === undefined || maybeSymlink(hash));
    const target = ask ? lookup(resolved.join('/')) : undefined;
    if (target === undefined) continue;
    hops += 1;
    if (hops > maxHops) {
      throw new LayerError('LAYER_SYMLINK_LOOP', `too many levels of symbolic links resolving "${shown(path)}" (at "${shown(resolved.join('/'))}")`);
    }
    resolved.pop();
    hasher.pop();
    if (target.startsWith('/')) {
      resolved.length = 0;
      hasher.clear();
    }
    for (const next of splitReversed(target)) pending.push(next);
  }
  return resolved.join('/');
}

/** Like resolveInRoot, but answers undefined instead of throwing on a loop. */
export function tryResolveInRoot(path: string, lookup: SymlinkLookup, options: ResolveOptions = {}): string | undefined {
  try {
    return resolveInRoot(path, lookup, options);
  } catch (error) {
    if (error instanceof LayerError && error.code === 'LAYER_SYMLINK_LOOP') return undefined;
    throw error;
  }
}

/** Normalises a hard link's target (an entry name); throws LAYER_UNSAFE_LINK when it leaves the root. */
export function normaliseHardlinkTarget(linkname: string, entry: string, what: string): string {
  checkPathSize(linkname, `${what}: hard link "${shown(entry)}" target`);
  const target = linkname.startsWith('/') ? undefined : normaliseRelative(linkname);
  if (target === undefined || target === '') {
    throw new LayerError('LAYER_UNSAFE_LINK', `${what}: hard link "${shown(entry)}" points outside the image root ("${shown(linkname)}")`);
  }
  return target;
}

function splitReversed(path: string): string[] {
  return path.split('/').reverse();
}
