/**
 * FileViews for cataloguer tests without the layer walker: from a directory
 * on disk (an unpacked rootfs or a fixture tree laid out like one) or from a
 * map of image-relative path → bytes. Both apply a selector the way the
 * walker does: `wants` decides per path; `{content:false}` keeps metadata only.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { FileKind, FileSelector, FileView, ImageFile, LayerOrigin } from '../../src/core/files.js';

export const TEST_LAYER: LayerOrigin = {
  index: 0,
  digest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
};

const DEFAULT_CAP = 64 * 1024 * 1024;

function keep(selector: FileSelector | undefined, path: string): { content: boolean; maxBytes: number } | undefined {
  const want = selector ? selector.wants(path) : true;
  if (want === false) return undefined;
  if (want === true) return { content: true, maxBytes: DEFAULT_CAP };
  return { content: want.content !== false, maxBytes: want.maxBytes ?? DEFAULT_CAP };
}

function viewOf(entries: Map<string, ImageFile>, warnings: string[] = []): FileView {
  const sorted = [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    get(path: string): ImageFile | undefined {
      let current = path.replace(/^\/+/, '');
      for (let hops = 0; hops < 40; hops++) {
        const file = entries.get(current);
        if (!file) return undefined;
        if (file.kind !== 'symlink' || !file.linkTarget) return file;
        const target = file.linkTarget.startsWith('/')
          ? file.linkTarget
          : posix.join(posix.dirname(current), file.linkTarget);
        current = posix.normalize(target).replace(/^\/+/, '');
      }
      return undefined;
    },
    files: () => sorted,
    warnings,
  };
}

/** Walks `dir` (not following symlinks) and keeps what `selector` wants, as if it were one layer. */
export function fileViewFromDir(dir: string, selector?: FileSelector, layer: LayerOrigin = TEST_LAYER): FileView {
  const entries = new Map<string, ImageFile>();
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs)) {
      const childAbs = join(abs, name);
      const childRel = rel ? `${rel}/${name}` : name;
      const st = lstatSync(childAbs);
      if (st.isDirectory()) {
        walk(childAbs, childRel);
        continue;
      }
      const kind: FileKind = st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
      if (kind === 'other') continue;
      const want = keep(selector, childRel);
      if (!want) continue;
      const base = {
        path: childRel,
        kind,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: kind === 'file' ? st.size : 0,
        mtime: st.mtime,
        layer,
      };
      if (kind === 'symlink') {
        entries.set(childRel, { ...base, linkTarget: readlinkSync(childAbs) });
      } else if (want.content && st.size > want.maxBytes) {
        entries.set(childRel, { ...base, truncated: true });
      } else if (want.content) {
        entries.set(childRel, { ...base, content: readFileSync(childAbs) });
      } else {
        entries.set(childRel, base);
      }
    }
  };
  walk(dir, '');
  return viewOf(entries);
}

/** A view over in-memory files (all regular files unless a value is `{symlink}`), filtered by `selector`. */
export function fileViewFromMap(
  files: Record<string, string | Buffer | { symlink: string }>,
  selector?: FileSelector,
  layer: LayerOrigin = TEST_LAYER,
): FileView {
  const entries = new Map<string, ImageFile>();
  for (const [path, value] of Object.entries(files)) {
    const want = keep(selector, path);
    if (!want) continue;
    const base = { path, mode: 0o644, uid: 0, gid: 0, layer };
    if (typeof value === 'object' && !Buffer.isBuffer(value)) {
      entries.set(path, { ...base, kind: 'symlink', size: 0, linkTarget: value.symlink });
      continue;
    }
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (!want.content) entries.set(path, { ...base, kind: 'file', size: bytes.length });
    else if (bytes.length > want.maxBytes) entries.set(path, { ...base, kind: 'file', size: bytes.length, truncated: true });
    else entries.set(path, { ...base, kind: 'file', size: bytes.length, content: bytes });
  }
  return viewOf(entries);
}
