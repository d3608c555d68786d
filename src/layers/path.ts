/**
 * Entry names → image-relative paths. A tar entry name is untrusted: it is
 * normalised (`./`, `//`, `.` and non-escaping `..` removed, trailing slash
 * dropped) and rejected when absolute or when a `..` climbs above the root.
 * The root itself normalises to the empty string.
 */
import { LayerError } from './errors.js';

/**
 * Normalises a tar entry name. Throws LAYER_UNSAFE_PATH naming the entry and
 * the layer (`what`) for absolute names and names that escape the root.
 */
export function normaliseEntryPath(name: string, what: string): string {
  if (name.startsWith('/')) {
    throw new LayerError('LAYER_UNSAFE_PATH', `${what}: entry "${name}" is an absolute path`);
  }
  const result = normaliseRelative(name);
  if (result === undefined) {
    throw new LayerError('LAYER_UNSAFE_PATH', `${what}: entry "${name}" escapes the image root`);
  }
  return result;
}

/**
 * Normalises a relative path lexically; undefined when a `..` would climb
 * above the start. Fast path for names that need no work (the common case).
 */
export function normaliseRelative(name: string): string | undefined {
  let start = 0;
  while (name.startsWith('./', start)) start += 2;
  let s = start === 0 ? name : name.slice(start);
  if (s.endsWith('/')) s = s.replace(/\/+$/, '');
  if (s === '.' || s === '') return '';
  if (!s.includes('//') && !/(^|\/)\.\.?(\/|$)/.test(s)) return s;
  const out: string[] = [];
  for (const part of s.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out.join('/');
}

/** The parent directory of a normalised path ('' for top-level names and the root). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The last component of a normalised path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins a normalised directory and a relative rest. */
export function joinPath(dir: string, rest: string): string {
  if (dir === '') return rest;
  if (rest === '') return dir;
  return `${dir}/${rest}`;
}

/** True when `path` lies strictly below directory `dir` (every path is below the root ''). */
export function isBelow(path: string, dir: string): boolean {
  if (dir === '') return path !== '';
  return path.length > dir.length && path.startsWith(dir) && path.charCodeAt(dir.length) === 47;
}

/** True when `path` is `dir` or lies below it. */
export function isAtOrBelow(path: string, dir: string): boolean {
  return path === dir || isBelow(path, dir);
}

/** The proper ancestors of a normalised path, nearest first, ending with the root ''. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  let p = path;
  while (p !== '') {
    p = parentOf(p);
    out.push(p);
  }
  return out;
}
