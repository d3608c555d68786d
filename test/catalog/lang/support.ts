/**
 * Test helpers for the language cataloguers: a FileView over a real directory
 * read in place (no copy into the repo), selecting files with the
 * cataloguer's own `wants`, as the layer walker would.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EntryInfo, FileView, FileWant, ImageFile, LayerOrigin } from '../../../src/core/files.js';

export const LAYER: LayerOrigin = { index: 0, digest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000' };

type Wants = (path: string, info?: EntryInfo) => boolean | FileWant;

export interface DirViewOptions {
  /** Image path prefix for the directory's contents (`usr/lib/python3/dist-packages`). */
  prefix?: string;
  /** Default per-file content cap, as the walker's. */
  maxBytes?: number;
  /** Pass {mode,size} to wants (the extended selector). */
  withInfo?: boolean;
}

/** Walks `root` on disk and keeps what `wants` asks for, with content, like the layer walker. */
export function viewFromDir(root: string, wants: Wants, options: DirViewOptions = {}): FileView {
  const files: ImageFile[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const abs = join(dir, entry);
      const path = rel ? `${rel}/${entry}` : entry;
      const st = lstatSync(abs);
      if (st.isDirectory()) {
        walk(abs, path);
        continue;
      }
      if (!st.isFile()) continue;
      const imagePath = options.prefix ? `${options.prefix}/${path}` : path;
      const answer = options.withInfo ? wants(imagePath, { kind: 'file', mode: st.mode & 0o7777, size: st.size }) : wants(imagePath);
      if (answer === false) continue;
      files.push(imageFile(imagePath, abs, st.size, st.mode & 0o7777, answer === true ? {} : answer, options.maxBytes ?? 512 << 20));
    }
  };
  walk(root, '');
  return memoryView(files);
}

function imageFile(path: string, abs: string, size: number, mode: number, want: FileWant, defaultCap: number): ImageFile {
  const base = { path, kind: 'file' as const, mode, uid: 0, gid: 0, size, layer: LAYER };
  if (want.content === false) return base;
  const cap = want.maxBytes ?? defaultCap;
  if (size > cap) return { ...base, truncated: true };
  return { ...base, content: readFileSync(abs) };
}

/** An in-memory file for crafted inputs. */
export function memFile(path: string, content: Uint8Array | string, mode = 0o644): ImageFile {
  const buf = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
  return { path, kind: 'file', mode, uid: 0, gid: 0, size: buf.length, layer: LAYER, content: buf };
}

/** Files filtered by `wants`, as the walker would. */
export function viewOf(files: readonly ImageFile[], wants?: Wants): FileView {
  return memoryView(wants ? files.filter((f) => wants(f.path) !== false) : files);
}

export function memoryView(files: readonly ImageFile[]): FileView {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const byPath = new Map(sorted.map((f) => [f.path, f]));
  return { get: (p) => byPath.get(p), files: () => sorted, warnings: [] };
}
