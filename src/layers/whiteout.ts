/**
 * OCI/AUFS whiteouts (image-spec layer.md "Whiteouts"). In a layer:
 * - `DIR/.wh.NAME` deletes `DIR/NAME` and everything below it from the LOWER
 *   layers;
 * - `DIR/.wh..wh..opq` makes DIR opaque: every lower-layer entry below DIR is
 *   hidden, DIR itself stays;
 * - whiteouts never delete entries of their own layer, whatever the order of
 *   the entries in the tar;
 * - other `.wh..wh.` names are AUFS bookkeeping (hard-link directories, …)
 *   and are ignored; no `.wh.` entry ever appears in the merged view.
 */
import { LayerError } from './errors.js';
import { pathHash, prefixesOf, type Prefixes } from './path-index.js';
import { baseName, joinPath, parentOf } from './path.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

export type Whiteout =
  /** Removes `target` and everything below it. */
  | { readonly kind: 'file'; readonly target: string }
  /** Hides every lower entry strictly below `dir`. */
  | { readonly kind: 'opaque'; readonly dir: string }
  /** AUFS metadata (`.wh..wh.plnk`, …): nothing to apply. */
  | { readonly kind: 'meta' };

/** Classifies a normalised entry path; undefined when it is not a whiteout. */
export function parseWhiteout(path: string, what: string): Whiteout | undefined {
  const base = baseName(path);
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  const dir = parentOf(path);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: 'meta' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') {
    throw new LayerError('LAYER_UNSAFE_PATH', `${what}: whiteout "${path}" names no file below its directory`);
  }
  return { kind: 'file', target: joinPath(dir, name) };
}

/**
 * The whiteouts of one layer, applied to the layers below it. `hides` looks
 * up each prefix of the path by hash (one pass over the path), not each
 * whiteout in turn: a layer with many whiteouts costs no more per question.
 */
export class LayerWhiteouts {
  readonly removed: string[] = [];
  readonly opaque: string[] = [];
  private readonly removedSet = new Set<string>();
  private readonly opaqueSet = new Set<string>();
  private readonly removedHashes = new Set<number>();
  private readonly opaqueHashes = new Set<number>();

  add(whiteout: Whiteout): void {
    if (whiteout.kind === 'file') {
      this.removed.push(whiteout.target);
      this.removedSet.add(whiteout.target);
      this.removedHashes.add(pathHash(whiteout.target));
    } else if (whiteout.kind === 'opaque') {
      this.opaque.push(whiteout.dir);
      this.opaqueSet.add(whiteout.dir);
      this.opaqueHashes.add(pathHash(whiteout.dir));
    }
  }

  get size(): number {
    return this.removed.length + this.opaque.length;
  }

  /** True when a lower-layer entry at `path` is hidden by this layer's whiteouts (`prefixes`: prefixesOf(path), when already computed). */
  hides(path: string, prefixes: Prefixes = prefixesOf(path)): boolean {
    const { hash, end } = prefixes;
    const last = hash.length - 1;
    for (let i = 0; i <= last; i++) {
      const h = hash[i] as number;
      // Removed: the path itself or an ancestor (never the root: a whiteout names something below its directory).
      if (i > 0 && this.removedHashes.has(h) && this.removedSet.has(path.slice(0, end[i]))) return true;
      // Opaque: a proper ancestor, the root included.
      if (i < last && this.opaqueHashes.has(h) && this.opaqueSet.has(path.slice(0, end[i]))) return true;
    }
    return false;
  }
}
