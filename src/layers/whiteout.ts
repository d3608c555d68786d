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
import { baseName, isAtOrBelow, isBelow, joinPath, parentOf } from './path.js';

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

/** The whiteouts of one layer, applied to the layers below it. */
export class LayerWhiteouts {
  readonly removed: string[] = [];
  readonly opaque: string[] = [];

  add(whiteout: Whiteout): void {
    if (whiteout.kind === 'file') this.removed.push(whiteout.target);
    else if (whiteout.kind === 'opaque') this.opaque.push(whiteout.dir);
  }

  get size(): number {
    return this.removed.length + this.opaque.length;
  }

  /** True when a lower-layer entry at `path` is hidden by this layer's whiteouts. */
  hides(path: string): boolean {
    for (const r of this.removed) if (isAtOrBelow(path, r)) return true;
    for (const d of this.opaque) if (isBelow(path, d)) return true;
    return false;
  }
}
