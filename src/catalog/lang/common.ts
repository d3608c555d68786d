/**
 * Helpers shared by the language cataloguers: the parse-result shape, purl
 * building that never throws, and the loop that feeds selected files from the
 * merged view to a pure parser (catching anything it throws, so a hostile file
 * is a warning naming it, never a crash).
 */
import { PackageURL } from 'packageurl-js';
import { type FileView, type ImageFile, type LayerOrigin, type Package, appendAll } from '../../core/index.js';
import type { CatalogResult } from '../cataloger.js';
import { LangCatalogError } from './errors.js';

/**
 * What every pure parser returns: packages found in one file, warnings naming
 * it, and, when it could not read the file at all (a lock file that is not
 * JSON/YAML, a nesting or size cap), why findings may be missing
 * (cataloger.ts says which is which).
 */
export interface ParseResult {
  packages: Package[];
  warnings: string[];
  incomplete?: string[];
}

/** A parser over one file's bytes; `path` is the image-relative path, used in packages and warnings. */
export type Parser = (bytes: Uint8Array, path: string) => ParseResult;

export function emptyResult(): ParseResult {
  return { packages: [], warnings: [] };
}

/**
 * Builds a purl string with packageurl-js (which applies each type's
 * normalisation, e.g. lower-casing npm and pypi names). Returns undefined when
 * the library rejects the components (an invalid Go version, an empty name…).
 */
export function buildPurl(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers?: Record<string, string>,
): string | undefined {
  try {
    return new PackageURL(type, namespace || undefined, name, version || undefined, qualifiers, undefined).toString();
  } catch {
    return undefined;
  }
}

/** UTF-8 text without a leading byte-order mark. Invalid sequences become U+FFFD. */
export function utf8(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * JSON.parse that reports a problem naming the file instead of throwing: into
 * the warnings for a one-package manifest, into the incomplete list for a
 * lock file or database (which would have listed many).
 */
export function parseJsonText(bytes: Uint8Array, path: string, problems: string[]): unknown {
  try {
    return JSON.parse(utf8(bytes)) as unknown;
  } catch (error) {
    problems.push(`${path}: invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function withLayer(packages: readonly Package[], layer: LayerOrigin | undefined): Package[] {
  return layer === undefined ? [...packages] : packages.map((p) => ({ ...p, layer }));
}

/** Removes exact duplicates (same purl found at the same path), keeping the first. */
export function dedupe(packages: readonly Package[]): Package[] {
  const seen = new Set<string>();
  const out: Package[] = [];
  for (const p of packages) {
    const key = `${p.path}\u0000${p.purl}\u0000${p.name}\u0000${p.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

/**
 * Runs `parse` over every file of the view that `select` picks, collecting
 * packages, warnings and incompleteness (see `runParser`).
 */
export function catalogEach(
  view: FileView,
  select: (file: ImageFile) => boolean,
  parse: (bytes: Uint8Array, file: ImageFile) => ParseResult,
): CatalogResult & { packages: Package[]; warnings: string[]; incomplete: string[] } {
  const packages: Package[] = [];
  const warnings: string[] = [];
  const incomplete: string[] = [];
  for (const file of view.files()) {
    if (!select(file)) continue;
    const result = runParser(file, parse);
    appendAll(packages, withLayer(result.packages, file.layer));
    appendAll(warnings, result.warnings);
    appendAll(incomplete, result.incomplete ?? []);
  }
  return { packages: dedupe(packages), warnings, incomplete };
}

/**
 * One file through its parser. A file over the size cap was not read, and an
 * archive over its caps (`ZIP_LIMIT`) only partly: incomplete. A parser's
 * `LangCatalogError` is its verdict on damaged input: a warning. Anything else
 * it throws is a crash (a stack overflow, a bug), not a verdict: incomplete.
 */
export function runParser(file: ImageFile, parse: (bytes: Uint8Array, file: ImageFile) => ParseResult): ParseResult {
  if (file.truncated) return { packages: [], warnings: [], incomplete: [`${file.path}: larger than the size cap (${file.size} bytes); not read`] };
  if (file.content === undefined) return emptyResult();
  try {
    return parse(file.content, file);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const named = message.startsWith(file.path) ? message : `${file.path}: ${message}`;
    if (error instanceof LangCatalogError && error.code !== 'ZIP_LIMIT') return { packages: [], warnings: [named] };
    return { packages: [], warnings: [], incomplete: [named] };
  }
}

/** Optional package fields, writable while a parser assembles them. */
export type PackageExtra = { -readonly [K in keyof Package]?: Package[K] };
