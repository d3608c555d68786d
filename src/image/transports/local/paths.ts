/**
 * Path safety for names found inside archives (tar entry names, paths in
 * manifest.json, symlink targets): they are resolved against the archive root
 * only, never against the file system, and a name that is absolute or climbs
 * out with `..` is refused rather than cleaned up silently.
 */
import { posix } from 'node:path';
import { ImageError } from '../../errors.js';

/**
 * `./a//b/` → `a/b`. Throws UNSAFE_PATH for absolute names and any `..`
 * component. The archive root itself (`.`, `./`) normalises to ''.
 */
export function normaliseArchivePath(name: string, where: string): string {
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) {
    throw new ImageError('UNSAFE_PATH', `${where}: refusing absolute path "${printable(name)}"`);
  }
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new ImageError('UNSAFE_PATH', `${where}: refusing path with ".." "${printable(name)}"`);
    if (part.includes('\0')) throw new ImageError('UNSAFE_PATH', `${where}: refusing path with a NUL byte`);
    parts.push(part);
  }
  return parts.join('/');
}

/**
 * The archive path a symlink at `entry` pointing to `target` names, resolved
 * inside the archive root. Throws UNSAFE_PATH when it leaves the root.
 */
export function resolveLinkTarget(entry: string, target: string, where: string): string {
  if (target.startsWith('/')) {
    throw new ImageError('UNSAFE_PATH', `${where}: symlink "${printable(entry)}" points outside the archive ("${printable(target)}")`);
  }
  const joined = posix.normalize(posix.join(posix.dirname(entry), target));
  if (joined === '..' || joined.startsWith('../')) {
    throw new ImageError('UNSAFE_PATH', `${where}: symlink "${printable(entry)}" points outside the archive ("${printable(target)}")`);
  }
  return joined === '.' ? '' : joined.replace(/\/+$/, '');
}

export function printable(value: string): string {
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 120 ? `${clean.slice(0, 117)}...` : clean;
}
