/**
 * Shared pieces of the OS package cataloguers: the per-database-file input
 * (so the lead can run a parser once per layer and diff the results to find
 * the layer that introduced each package), purl building and small text helpers.
 */
import { PackageURL } from 'packageurl-js';
import type { LayerOrigin, FileView, Package } from '../../core/index.js';

/** One package database file as read from the image (or from one layer). */
export interface DatabaseFile {
  /** Image-relative path. */
  readonly path: string;
  readonly content: Buffer;
  /** Becomes `Package.layer` for everything read from this file. */
  readonly layer?: LayerOrigin;
}

/** What a database parser returns for one file: the per-layer hook's unit of work. */
export interface DatabaseResult {
  readonly packages: Package[];
  /** Owned files (normalised image-relative paths) by package name. */
  readonly ownedFiles: Map<string, string[]>;
  readonly warnings: string[];
  /** What could not be read at all (the database is unreadable): findings may be missing. */
  readonly incomplete: string[];
}

export function emptyResult(): DatabaseResult {
  return { packages: [], ownedFiles: new Map(), warnings: [], incomplete: [] };
}

export function buildPurl(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers: Record<string, string | undefined>,
): string {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(qualifiers)) if (v !== undefined && v !== '') q[k] = v;
  return new PackageURL(type, namespace, name, version, Object.keys(q).length ? q : undefined, undefined).toString();
}

/** Normalises an absolute package-manager path (`/usr/bin/x`, `./usr/bin/x`) to the image-relative form. */
export function imagePath(path: string): string | undefined {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return parts.length ? parts.join('/') : undefined;
}

/**
 * A file's bytes from the view. When it was selected but its content is
 * missing (over the size cap), the reason goes to `notRead`: the caller's
 * incomplete list for a package database, its warnings for a side file
 * (copyright, file lists) that cannot hide a package.
 */
export function readContent(view: FileView, path: string, notRead: string[]): Buffer | undefined {
  const file = view.get(path);
  if (!file || file.kind === 'directory') return undefined;
  if (file.truncated) {
    notRead.push(`${path}: larger than the size cap (${file.size} bytes); not read`);
    return undefined;
  }
  return file.content;
}

/**
 * The rule for text databases (dpkg status, apk installed): a file with
 * content of which not one package could be read, and problems to show for
 * it, could not be parsed at all.
 */
export function unparsed(file: DatabaseFile, result: DatabaseResult): boolean {
  return result.packages.length === 0 && result.warnings.length > 0 && file.content.toString('utf8').trim() !== '';
}

/** Decodes UTF-8, tolerating invalid sequences (replacement characters). */
export function text(content: Buffer): string {
  return content.toString('utf8');
}
