/**
 * Entry names → image-relative paths. A tar entry name is untrusted: it is
 * normalised (`./`, `//`, `.` and non-escaping `..` removed, trailing slash
 * dropped) and rejected when absolute or when a `..` climbs above the root.
 * The root itself normalises to the empty string; the names a tar writer
 * gives the root directory (`/`, as umoci writes it, `./` and `.`) are the
 * root, not an absolute path, as Docker, containerd and Trivy read them.
 *
 * Names and link targets are bounded (MAX_PATH_LENGTH, MAX_PATH_DEPTH) before
 * any other work, and every function here is linear in the length of its
 * input: a hostile name costs its length, once.
 */
import { LayerError } from './errors.js';

/**
 * Longest entry name or link target accepted, in characters (UTF-16 code
 * units). Linux's PATH_MAX is 4096 bytes, so a path the kernel accepts has at
 * most 4096 characters, and Docker and containerd unpack layers with
 * whole-path system calls that fail past PATH_MAX: no image they can run
 * holds a longer name. Four times that leaves room for writers that add `./`
 * or doubled slashes.
 */
export const MAX_PATH_LENGTH = 16_384;

/**
 * Most components in an entry name or link target. A path within PATH_MAX
 * has at most 2048 (`a/a/…/a`); the deepest trees in real images (nested
 * node_modules, Go module caches, Java packages) are well under 100 deep.
 */
export const MAX_PATH_DEPTH = 1024;

/** The names a tar writer gives the root directory itself. */
const ROOT_NAMES: ReadonlySet<string> = new Set(['/', './', '.']);

/**
 * Normalises a tar entry name. Throws LAYER_UNSAFE_PATH naming the entry and
 * the layer (`what`) for absolute names and names that escape the root, and
 * LAYER_PATH_TOO_LONG for names over the caps.
 */
export function normaliseEntryPath(name: string, what: string): string {
  checkPathSize(name, `${what}: entry`);
  if (ROOT_NAMES.has(name)) return '';
  if (name.startsWith('/')) {
    throw new LayerError('LAYER_UNSAFE_PATH', `${what}: entry "${shown(name)}" is an absolute path`);
  }
  const result = normaliseRelative(name);
  if (result === undefined) {
    throw new LayerError('LAYER_UNSAFE_PATH', `${what}: entry "${shown(name)}" escapes the image root`);
  }
  return result;
}

/**
 * Throws LAYER_PATH_TOO_LONG when `name` (an entry name or a link target) has
 * more than MAX_PATH_LENGTH characters or MAX_PATH_DEPTH components.
 * `subject` starts the message (`layer 0 (sha256:…): entry`).
 */
export function checkPathSize(name: string, subject: string): void {
  if (name.length > MAX_PATH_LENGTH) {
    throw new LayerError(
      'LAYER_PATH_TOO_LONG',
      `${subject} "${shown(name)}" is ${name.length} characters long, over the ${MAX_PATH_LENGTH}-character limit`,
    );
  }
  const depth = componentCount(name);
  if (depth > MAX_PATH_DEPTH) {
    throw new LayerError('LAYER_PATH_TOO_LONG', `${subject} "${shown(name)}" has ${depth} components, over the ${MAX_PATH_DEPTH}-component limit`);
  }
}

/** Components of a path: runs of characters between slashes (`a//b/` has 2). */
export function componentCount(path: string): number {
  let count = 0;
  let inComponent = false;
  for (let i = 0; i < path.length; i++) {
    const slash = path.charCodeAt(i) === 47;
    if (!slash && !inComponent) count += 1;
    inComponent = !slash;
  }
  return count;
}

/** A name as messages show it: at most 80 characters. */
export function shown(name: string): string {
  return name.length <= 80 ? name : `${name.slice(0, 60)}…(${name.length} characters)`;
}

/**
 * Normalises a relative path lexically; undefined when a `..` would climb
 * above the start. Fast path for names that need no work (the common case).
 */
export function normaliseRelative(name: string): string | undefined {
  let start = 0;
  while (name.startsWith('./', start)) start += 2;
  let end = name.length;
  while (end > start && name.charCodeAt(end - 1) === 47) end -= 1;
  const s = start === 0 && end === name.length ? name : name.slice(start, end);
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
