/**
 * Ready-made selectors. `selectPaths` is the one fixed-path cataloguers want
 * (`etc/os-release`, `var/lib/rpm/rpmdb.sqlite`, …): exact paths and
 * directory prefixes, with `mayWantBelow` answered precisely, so paths that
 * exist only through a symlinked directory are found without extra reads.
 */
import type { FileSelector, FileWant } from '../core/index.js';
import { isAtOrBelow, isBelow, normaliseRelative } from './path.js';

export interface PathSelection {
  /** Exact paths (leading `/` allowed). */
  paths?: readonly string[];
  /** Directories: everything below them is wanted. */
  under?: readonly string[];
  /** What to keep of each wanted file (default: content within the walker's cap). */
  want?: FileWant;
}

export function selectPaths(selection: PathSelection): FileSelector {
  const clean = (p: string): string => normaliseRelative(p.replace(/^\/+/, '')) ?? '';
  const paths = new Set((selection.paths ?? []).map(clean));
  const dirs = (selection.under ?? []).map(clean);
  const answer: boolean | FileWant = selection.want ?? true;
  return {
    wants: (path) => (paths.has(path) || dirs.some((d) => isBelow(path, d)) ? answer : false),
    mayWantBelow: (dir) => dirs.some((d) => isAtOrBelow(dir, d) || isBelow(d, dir)) || [...paths].some((p) => isBelow(p, dir)),
  };
}
