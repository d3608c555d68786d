/**
 * An unpacked root filesystem as a FileView, the same view walkLayers gives
 * of an image's layers, for `scan --rootfs DIR`: the directory is walked without ever following a symlink
 * (lstat only; symlinked directories are not descended), links are resolved
 * inside DIR with chroot semantics (an absolute target or `..` at the top
 * stays inside DIR; the host is never consulted), files are opened with
 * O_NOFOLLOW and read up to a cap, and the number of entries is bounded.
 * The engine runs the same cataloguers over it as over an image's view.
 */
import { constants } from 'node:fs';
import { lstat, open, opendir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PortcullisError,
  type FileKind,
  type FileSelector,
  type FileView,
  type FileWant,
  type ImageFile,
  type LayerOrigin,
  maxOf,
} from '../core/index.js';
import { AliasMap } from './aliases.js';
import { tryResolveInRoot } from './links.js';
import { DEFAULT_MAX_FILE_BYTES } from './walk.js';

export type RootfsErrorCode = 'ROOTFS_INVALID';
export class RootfsError extends PortcullisError<RootfsErrorCode> {}

export interface RootfsOptions {
  /** Per-file content cap unless the selector asks for another (default: the layer walker's). */
  readonly maxFileBytes?: number;
  /** Hard ceiling on any per-file cap, whatever a selector asks (default 512 MiB). */
  readonly maxAnyFileBytes?: number;
  /** Directory entries visited at most (default 2,000,000); the rest is skipped with a warning. */
  readonly maxEntries?: number;
  /** Directory depth at most (default 256). */
  readonly maxDepth?: number;
  readonly signal?: AbortSignal;
}

/** The layer every file of a root filesystem belongs to (there are no layers). */
export const ROOTFS_LAYER: LayerOrigin = { index: 0, digest: `sha256:${'0'.repeat(64)}` };

interface Entry {
  readonly path: string;
  readonly kind: FileKind;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: Date;
  readonly linkTarget?: string;
}

type WantsWithInfo = (path: string, info?: { mode: number; size: number }) => boolean | FileWant;

function combine(a: boolean | FileWant, b: boolean | FileWant): boolean | FileWant {
  if (a === false) return b;
  if (b === false) return a;
  if (a === true || b === true) return true;
  const content = a.content !== false || b.content !== false;
  const caps = [a.maxBytes, b.maxBytes].filter((x): x is number => x !== undefined);
  return { content, ...(caps.length ? { maxBytes: maxOf(caps, 0) } : {}) };
}

async function readCapped(abs: string, cap: number): Promise<{ content?: Buffer; truncated?: boolean; problem?: string }> {
  let handle;
  try {
    handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { problem: (error as Error).message };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { problem: 'no longer a regular file' };
    if (st.size > cap) return { truncated: true };
    const buf = Buffer.alloc(Math.min(st.size, cap) + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > cap) return { truncated: true };
    return { content: buf.subarray(0, n) };
  } finally {
    await handle.close();
  }
}

/** The view of a root filesystem, and what it could not read of what was wanted (the tree past the caps, wanted files that failed to open). */
export interface RootfsView extends FileView {
  readonly unread: readonly string[];
}

/**
 * Walks `dir` and keeps what `selector` wants (asked for each path and for
 * the other paths that reach it through symlinks inside DIR). A directory
 * that cannot be opened (permissions, when not run as root) stays a warning:
 * it may hold nothing wanted; a wanted file that cannot be read, or a tree
 * cut short by the entry or depth cap, goes to `unread`.
 */
export async function rootfsView(dir: string, selector: FileSelector, options: RootfsOptions = {}): Promise<RootfsView> {
  let top;
  try {
    top = await lstat(dir);
  } catch (error) {
    throw new RootfsError('ROOTFS_INVALID', `--rootfs ${dir}: ${(error as Error).message}`, { cause: error });
  }
  if (!top.isDirectory()) throw new RootfsError('ROOTFS_INVALID', `--rootfs ${dir} is not a directory`);
  const maxEntries = options.maxEntries ?? 2_000_000;
  const maxDepth = options.maxDepth ?? 256;
  const defaultCap = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const ceiling = options.maxAnyFileBytes ?? 512 * 1024 * 1024;
  const warnings: string[] = [];
  const unread: string[] = [];
  const entries: Entry[] = [];
  const links = new Map<string, string>();
  let visited = 0;
  let stopped = false;

  const walk = async (abs: string, rel: string, depth: number): Promise<void> => {
    if (depth > maxDepth) {
      unread.push(`${rel}: deeper than ${maxDepth} directories; not descended`);
      return;
    }
    let handle;
    try {
      handle = await opendir(abs);
    } catch (error) {
      warnings.push(`${rel || '.'}: ${(error as Error).message}; skipped`);
      return;
    }
    const dirs: [string, string][] = [];
    for await (const d of handle) {
      if (options.signal?.aborted) throw new RootfsError('ROOTFS_INVALID', 'aborted');
      if (++visited > maxEntries) {
        if (!stopped) unread.push(`more than ${maxEntries} entries; the rest of the tree was not read`);
        stopped = true;
        break;
      }
      const childAbs = join(abs, d.name);
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      let st;
      try {
        st = await lstat(childAbs);
      } catch {
        continue;
      }
      const base = { path: childRel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) {
        entries.push({ ...base, kind: 'directory', size: 0 });
        dirs.push([childAbs, childRel]);
      } else if (st.isSymbolicLink()) {
        let target: string;
        try {
          target = await readlink(childAbs);
        } catch {
          continue;
        }
        links.set(childRel, target);
        entries.push({ ...base, kind: 'symlink', size: 0, linkTarget: target });
      } else if (st.isFile()) {
        entries.push({ ...base, kind: 'file', size: st.size });
      }
    }
    for (const [a, r] of dirs) {
      if (stopped) return;
      await walk(a, r, depth + 1);
    }
  };
  await walk(dir, '', 0);

  const lookup = (p: string): string | undefined => links.get(p);
  const aliases = new AliasMap();
  for (const [link] of links) {
    const resolved = tryResolveInRoot(link, lookup);
    if (resolved === undefined) warnings.push(`${link}: symlink loop; ignored`);
    else if (resolved !== link) aliases.add(link, resolved);
  }

  const wants = selector.wants.bind(selector) as WantsWithInfo;
  const selected = new Map<string, ImageFile>();
  for (const e of entries) {
    if (e.kind === 'directory') continue;
    let want: boolean | FileWant = wants(e.path, { mode: e.mode, size: e.size });
    if (e.kind === 'file') for (const alias of aliases.aliasesOf(e.path)) want = combine(want, wants(alias));
    if (want === false) continue;
    const base: ImageFile = {
      path: e.path,
      kind: e.kind,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      size: e.size,
      mtime: e.mtime,
      layer: ROOTFS_LAYER,
      ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
    };
    const content = want === true || want.content !== false;
    if (e.kind !== 'file' || !content) {
      selected.set(e.path, base);
      continue;
    }
    const cap = Math.min(want === true ? defaultCap : (want.maxBytes ?? defaultCap), ceiling);
    const read = await readCapped(join(dir, e.path), cap);
    if (read.problem) {
      unread.push(`${e.path}: ${read.problem}; not read`);
      continue;
    }
    selected.set(e.path, read.truncated ? { ...base, truncated: true } : { ...base, content: read.content! });
  }
  const sorted = [...selected.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    get(path: string): ImageFile | undefined {
      const clean = path.replace(/^\/+/, '');
      const physical = tryResolveInRoot(clean, lookup);
      return physical === undefined ? undefined : selected.get(physical);
    },
    files: () => sorted,
    warnings,
    unread,
  };
}
