/**
 * Java archives (jar, war, ear, par, and Jenkins' hpi/jpi): Maven coordinates
 * from `META-INF/**\/pom.properties` (groupId, artifactId, version), with
 * `META-INF/MANIFEST.MF` as the fallback when an archive has none; archives
 * nested inside archives are opened too (WEB-INF/lib, BOOT-INF/lib, lib/…).
 *
 * Zip bombs: only the entries we read are inflated (pom.properties, the
 * manifest, nested archives), and the sizes the central directory declares
 * are checked before inflating (fflate inflates into a buffer of exactly the
 * declared size, so a lying header cannot grow it). Caps, per top-level file:
 * nesting depth 4, 256 MiB of uncompressed bytes in total, 200,000 entries
 * per archive. Anything over a cap is a warning naming the archive.
 *
 * The zip library is fflate's synchronous `unzipSync` with a filter, not
 * yauzl: archives are in memory (nested ones always are), only two or three
 * entries are read, and yauzl walks every directory record through an
 * asynchronous read: a 20,000-entry jar takes 78 ms with yauzl against 4 ms
 * here (bench/zip.ts). The end record is checked by hand first
 * (`checkCentralDirectory`) because fflate trusts the entry count it claims.
 */
import { unzipSync } from 'fflate';
import { type FileView, type Package, appendAll } from '../../core/index.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../cataloger.js';
import { basename, buildPurl, catalogEach, type ParseResult, utf8 } from './common.js';
import { LangCatalogError } from './errors.js';

const FOUND_BY = 'java';
const ARCHIVE = /\.(?:jar|war|ear|par|hpi|jpi)$/i;
/** A top-level archive larger than this is not read (the walker's cap for our files). */
export const JAVA_MAX_BYTES = 256 << 20;

export interface JavaArchiveOptions {
  /** Nesting levels opened below the top-level archive (default 4). */
  maxDepth?: number;
  /** Uncompressed bytes inflated in total for one top-level archive (default 256 MiB). */
  maxTotalBytes?: number;
  /** Central-directory entries per archive (default 200,000). */
  maxEntries?: number;
}

/** `a.b.c:artifact` as the package name; Maven purl `pkg:maven/a.b.c/artifact@ver`. */
export function mavenPackage(
  groupId: string,
  artifactId: string,
  version: string,
  path: string,
  metadata: Record<string, string>,
  licenses?: string[],
): Package | undefined {
  const purl = buildPurl('maven', groupId, artifactId, version);
  if (!purl) return undefined;
  return {
    name: `${groupId}:${artifactId}`,
    version,
    ecosystem: 'maven',
    purl,
    foundBy: FOUND_BY,
    path,
    metadata: { groupId, artifactId, ...metadata },
    ...(licenses && licenses.length ? { licenses } : {}),
  };
}

/** Java `.properties`: `key=value` or `key: value` or `key value`; `#`/`!` comments; no escapes beyond trimming. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m?.[1]) out.set(m[1], (m[2] ?? '').trim());
  }
  return out;
}

/** The main section of a manifest: `Key: value`, continuation lines start with one space. */
export function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break; // end of the main section
    if (line.startsWith(' ')) {
      if (last !== undefined) out.set(last, (out.get(last) ?? '') + line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    out.set(last, line.slice(colon + 1).trim());
  }
  return out;
}

/** Licenses a manifest declares: `Bundle-License` (OSGi) and Jenkins' `Plugin-License-Name[-n]`. */
function manifestLicenses(manifest: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of manifest) {
    if (!v) continue;
    if (k === 'Bundle-License') appendAll(out, v.split(',').map((s) => s.trim()).filter((s) => s && !/^https?:/.test(s)));
    else if (/^Plugin-License-Name(?:-\d+)?$/.test(k)) out.push(v);
  }
  return [...new Set(out)];
}

/**
 * Coordinates from a manifest when there is no pom.properties: version from
 * Implementation-Version or Bundle-Version; group from
 * Implementation-Vendor-Id, else the Bundle-SymbolicName without its last
 * dotted part; artifact from the file name `artifact-version.jar`, else the
 * last part of Bundle-SymbolicName, else Implementation-Title without spaces.
 */
export function manifestCoordinates(
  manifest: Map<string, string>,
  archiveName: string,
): { groupId: string; artifactId: string; version: string } | undefined {
  const version = manifest.get('Implementation-Version') || manifest.get('Bundle-Version');
  if (!version) return undefined;
  const bsn = (manifest.get('Bundle-SymbolicName') ?? '').split(';')[0]?.trim() ?? '';
  const dot = bsn.lastIndexOf('.');
  const stem = archiveName.replace(ARCHIVE, '');
  const fromFile = stem.endsWith(`-${version}`) ? stem.slice(0, -version.length - 1) : undefined;
  const title = manifest.get('Implementation-Title');
  const artifactId = fromFile || (dot > 0 ? bsn.slice(dot + 1) : bsn) || (title && !/\s/.test(title) ? title : '');
  const groupId = manifest.get('Implementation-Vendor-Id') || (dot > 0 ? bsn.slice(0, dot) : '');
  if (!artifactId || !groupId) return undefined;
  return { groupId, artifactId, version };
}

interface Budget {
  total: number;
  readonly maxTotal: number;
  readonly maxDepth: number;
  readonly maxEntries: number;
}

/** Rejects a zip whose end record claims more entries than could fit, before fflate walks them. */
function checkCentralDirectory(bytes: Uint8Array, where: string, maxEntries: number): void {
  if (bytes.length < 22) throw new LangCatalogError('ZIP_INVALID', `${where}: not a zip archive (too short)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let e = bytes.length - 22;
  const stop = Math.max(0, bytes.length - 22 - 0xffff);
  while (e >= stop && dv.getUint32(e, true) !== 0x06054b50) e--;
  if (e < stop) throw new LangCatalogError('ZIP_INVALID', `${where}: not a zip archive (no end of central directory)`);
  let count = dv.getUint16(e + 10, true);
  // zip64: the real count is in the zip64 end record.
  if (e >= 20 && dv.getUint32(e - 20, true) === 0x07064b50) {
    const z = Number(dv.getBigUint64(e - 12, true));
    if (z + 56 > bytes.length || dv.getUint32(z, true) !== 0x06064b50) throw new LangCatalogError('ZIP_INVALID', `${where}: bad zip64 end record`);
    count = Number(dv.getBigUint64(z + 32, true));
  }
  if (count * 46 > bytes.length) throw new LangCatalogError('ZIP_INVALID', `${where}: central directory claims ${count} entries, more than fit`);
  if (count > maxEntries) throw new LangCatalogError('ZIP_LIMIT', `${where}: ${count} entries, over the ${maxEntries}-entry cap`);
}

function isPomProperties(name: string): boolean {
  return /^META-INF\/(?:.*\/)?pom\.properties$/.test(name);
}

function readArchive(bytes: Uint8Array, where: string, depth: number, budget: Budget, out: JavaParseResult): void {
  checkCentralDirectory(bytes, where, budget.maxEntries);
  const nested: string[] = [];
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (info) => {
        const name = info.name;
        const wanted = isPomProperties(name) || name === 'META-INF/MANIFEST.MF' || (ARCHIVE.test(name) && !name.endsWith('/'));
        if (!wanted) return false;
        if (ARCHIVE.test(name) && depth + 1 > budget.maxDepth) {
          out.incomplete.push(`${where}!/${name}: nested deeper than ${budget.maxDepth} archives; not read`);
          return false;
        }
        if (info.compression !== 0 && info.compression !== 8) {
          out.incomplete.push(`${where}!/${name}: unsupported compression method ${info.compression}; not read`);
          return false;
        }
        const size = info.compression === 0 ? info.size : info.originalSize;
        if (budget.total + size > budget.maxTotal) {
          out.incomplete.push(`${where}!/${name}: would pass the ${budget.maxTotal}-byte uncompressed cap; not read`);
          return false;
        }
        budget.total += size;
        if (ARCHIVE.test(name)) nested.push(name);
        return true;
      },
    });
  } catch (error) {
    if (error instanceof LangCatalogError) throw error;
    throw new LangCatalogError('ZIP_INVALID', `${where}: cannot read the zip archive: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }

  let found = 0;
  for (const [name, data] of Object.entries(entries)) {
    if (!isPomProperties(name)) continue;
    const props = parseProperties(utf8(data));
    const groupId = props.get('groupId');
    const artifactId = props.get('artifactId');
    const version = props.get('version');
    if (!groupId || !artifactId || !version) {
      out.warnings.push(`${where}!/${name}: pom.properties without groupId, artifactId or version; skipped`);
      continue;
    }
    const pkg = mavenPackage(groupId, artifactId, version, where, { source: 'pom.properties' });
    if (pkg) {
      out.packages.push(pkg);
      found++;
    }
  }
  const manifestBytes = entries['META-INF/MANIFEST.MF'];
  const manifest = manifestBytes ? parseManifest(utf8(manifestBytes)) : undefined;
  if (manifest) {
    const licenses = manifestLicenses(manifest);
    if (found === 0) {
      const c = manifestCoordinates(manifest, basename(where));
      const pkg = c ? mavenPackage(c.groupId, c.artifactId, c.version, where, { source: 'MANIFEST.MF' }, licenses) : undefined;
      if (pkg) out.packages.push(pkg);
    } else if (licenses.length && found === 1) {
      // One pom.properties: the manifest describes the same artifact.
      const last = out.packages.length - 1;
      const p = out.packages[last];
      if (p) out.packages[last] = { ...p, licenses };
    }
  }
  for (const name of nested) {
    const data = entries[name];
    if (!data) continue;
    const inner = `${where}!/${name}`;
    try {
      readArchive(data, inner, depth + 1, budget, out);
    } catch (error) {
      report(error, out);
    }
  }
}

/**
 * One archive's bytes. Packages found in nested archives have `path`
 * `outer.war!/WEB-INF/lib/x.jar` (the `!/` separator of Java's jar URLs).
 */
export function parseJavaArchive(bytes: Uint8Array, path: string, options: JavaArchiveOptions = {}): ParseResult {
  const out: JavaParseResult = { packages: [], warnings: [], incomplete: [] };
  const budget: Budget = {
    total: 0,
    maxTotal: options.maxTotalBytes ?? 256 << 20,
    maxDepth: options.maxDepth ?? 4,
    maxEntries: options.maxEntries ?? 200_000,
  };
  try {
    readArchive(bytes, path, 0, budget, out);
  } catch (error) {
    report(error, out);
  }
  return out;
}

type JavaParseResult = ParseResult & { incomplete: string[] };

/** A damaged archive is a warning; one over the entry cap, or a crash, leaves the inventory incomplete (cataloger.ts). */
function report(error: unknown, out: JavaParseResult): void {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof LangCatalogError && error.code !== 'ZIP_LIMIT') out.warnings.push(message);
  else out.incomplete.push(message);
}

export function createJavaCataloger(options: JavaArchiveOptions = {}): Cataloger {
  return {
    name: FOUND_BY,
    version: 2,
    wants(path: string) {
      return ARCHIVE.test(path) ? { maxBytes: JAVA_MAX_BYTES } : false;
    },
    async catalog(view: FileView, _context: CatalogContext): Promise<CatalogResult> {
      return catalogEach(
        view,
        (f) => ARCHIVE.test(f.path) && f.kind !== 'symlink',
        (bytes, f) => parseJavaArchive(bytes, f.path, options),
      );
    },
  };
}

export const javaCataloger: Cataloger = createJavaCataloger();
