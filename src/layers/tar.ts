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
  const base = {
    path,
    mode: (header.mode ?? 0) & 0o7777,
    uid: header.uid ?? 0,
    gid: header.gid ?? 0,
    ...(header.mtime ? { mtime: header.mtime } : {}),
  };
  if (whiteout) return { ...base, kind: 'other', size: 0, whiteout };
  switch (kind) {
    case 'symlink': {
      const linkTarget = header.linkname ?? '';
      checkPathSize(linkTarget, `${what}: symlink "${shown(path)}" target`);
      return { ...base, kind, size: 0, linkTarget };
    }
    case 'hardlink':
      return { ...base, kind, size: 0, linkTarget: normaliseHardlinkTarget(header.linkname ?? '', path, what) };
    case 'file':
      return { ...base, kind, size: header.size ?? 0 };
    default:
      return { ...base, kind, size: 0 };
  }
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
