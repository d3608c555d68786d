/**
 * Tar entries of one uncompressed layer, with tar-stream (ustar, PAX `path`/
 * `linkpath`/`size`, GNU long names and long link names, base-256 numbers).
 * This file turns tar-stream's headers into LayerEntry values: names
 * normalised and checked (path.ts), whiteouts recognised (whiteout.ts), hard
 * link targets checked (links.ts). Device nodes, FIFOs and unknown types are
 * kind 'other'.
 */
import type { Header } from 'tar-stream';
import type { FileKind } from '../core/index.js';
import { LayerError } from './errors.js';
import { normaliseHardlinkTarget } from './links.js';
import { checkPathSize, normaliseEntryPath, shown } from './path.js';
import { parseWhiteout, type Whiteout } from './whiteout.js';

/** One entry of a layer's tar, as the layer itself has it (no merging). */
export interface LayerEntry {
  /** Normalised image-relative path, no leading slash. */
  readonly path: string;
  /** 'other' for devices, FIFOs, unknown types and whiteout markers. */
  readonly kind: FileKind;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of content in the tar (0 for everything but regular files). */
  readonly size: number;
  readonly mtime?: Date;
  /** Symlink: the target as written. Hard link: the normalised path of the target. */
  readonly linkTarget?: string;
  /** Set when the entry is a whiteout marker (`.wh.NAME`, `.wh..wh..opq`). */
  readonly whiteout?: Whiteout;
}

/**
 * Converts a tar-stream header; undefined for the root directory entry (`/`,
 * `./`, `.`: nothing to record, the root always exists). Throws
 * LAYER_UNSAFE_PATH / LAYER_UNSAFE_LINK for hostile names (a root entry that
 * is not a directory included) and LAYER_PATH_TOO_LONG for names or link
 * targets over the caps of path.ts.
 */
export function entryFromHeader(header: Header, what: string): LayerEntry | undefined {
  const path = normaliseEntryPath(header.name, what);
  const kind = kindOf(header.type);
  if (path === '') {
    if (kind === 'directory') return undefined;
    throw new LayerError('LAYER_UNSAFE_PATH', `${what}: entry "${shown(header.name)}" replaces the image root with a ${kind}`);
  }
  const whiteout = parseWhiteout(path, what);
  const mode = (header.mode ?? 0) & 0o7777;
  const uid = header.uid ?? 0;
  const gid = header.gid ?? 0;
  const mtime = header.mtime ? sameDate(header.mtime) : undefined;
  if (whiteout) return shaped(path, mode, uid, gid, mtime, 'other', 0, { whiteout });
  switch (kind) {
    case 'symlink': {
      const linkTarget = header.linkname ?? '';
      checkPathSize(linkTarget, `${what}: symlink "${shown(path)}" target`);
      return shaped(path, mode, uid, gid, mtime, kind, 0, { linkTarget });
    }
    case 'hardlink':
      return shaped(path, mode, uid, gid, mtime, kind, 0, { linkTarget: normaliseHardlinkTarget(header.linkname ?? '', path, what) });
    case 'file':
      return shaped(path, mode, uid, gid, mtime, kind, header.size ?? 0);
    default:
      return shaped(path, mode, uid, gid, mtime, kind, 0);
  }
}

/**
 * An entry built as an object literal of a fixed shape. Entries are kept by
 * the hundred thousand (links in the merged view, recordings for the layer
 * cache): built with spreads, V8 gave each ~570 bytes, as literals ~280.
 */
function shaped(path: string, mode: number, uid: number, gid: number, mtime: Date | undefined, kind: FileKind, size: number, extra?: { linkTarget?: string; whiteout?: Whiteout }): LayerEntry {
  const linkTarget = extra?.linkTarget;
  const whiteout = extra?.whiteout;
  if (mtime) {
    if (linkTarget !== undefined) return { path, mode, uid, gid, mtime, kind, size, linkTarget };
    if (whiteout) return { path, mode, uid, gid, mtime, kind, size, whiteout };
    return { path, mode, uid, gid, mtime, kind, size };
  }
  if (linkTarget !== undefined) return { path, mode, uid, gid, kind, size, linkTarget };
  if (whiteout) return { path, mode, uid, gid, kind, size, whiteout };
  return { path, mode, uid, gid, kind, size };
}

let lastDate: Date | undefined;

/**
 * The Date of the entry before when it holds the same time (most layers stamp
 * every entry alike): ~120 bytes an entry saved. Entries' dates are never
 * changed in place (LayerEntry is read-only), so sharing one is safe.
 */
function sameDate(date: Date): Date {
  if (lastDate !== undefined && lastDate.getTime() === date.getTime()) return lastDate;
  lastDate = date;
  return date;
}

function kindOf(type: Header['type'] | null | undefined): FileKind {
  switch (type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}
