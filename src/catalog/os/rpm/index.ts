/**
 * The rpm cataloguer: the rpm database in any of its three formats, told
 * apart by content (magic), not by name:
 * - SQLite `rpmdb.sqlite` (rpm ≥ 4.16: Fedora, RHEL 9, CBL-Mariner/Azure Linux) — sqlite.ts
 * - Berkeley DB hash `Packages` (RHEL ≤ 8, CentOS, Amazon Linux 2) — bdb.ts
 * - NDB `Packages.db` (SUSE) — ndb.ts
 * in `var/lib/rpm/` or `usr/lib/sysimage/rpm/`. Each record is an rpm header
 * blob (header.ts). `gpg-pubkey` pseudo-packages (imported signing keys) are
 * not packages and are left out.
 */
import { type FileView, type FileWant, type ImageFile, type OsRelease, type Package, appendAll } from '../../../core/index.js';
import { attributeIntroducingLayers } from '../introduced.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../../cataloger.js';
import { buildPurl, emptyResult, imagePath, readContent, type DatabaseFile, type DatabaseResult } from '../common.js';
import { distroQualifier } from '../release.js';
import { isBdbHash, readBdbHash } from './bdb.js';
import { RpmHeader, packageInfo, parseSourceRpm } from './header.js';
import { isNdb, readNdb } from './ndb.js';
import { isSqlite, readSqliteRpmdb } from './sqlite.js';

export { RpmHeader, packageInfo, parseSourceRpm, RPMTAG } from './header.js';
export { readBdbHash } from './bdb.js';
export { readNdb } from './ndb.js';
export { readSqliteRpmdb } from './sqlite.js';

const DIRS = ['var/lib/rpm/', 'usr/lib/sysimage/rpm/'] as const;
const NAMES = ['rpmdb.sqlite', 'Packages.db', 'Packages'] as const;
/** In the order rpm's backends would be preferred. */
export const RPM_DB_PATHS: readonly string[] = NAMES.flatMap((n) => DIRS.map((d) => d + n));
const MAX_DB_BYTES = 1024 * 1024 * 1024;

/** purl namespace (vendor) for an os-release ID. */
export function rpmVendor(os: OsRelease | undefined): string | undefined {
  if (!os) return undefined;
  const map: Record<string, string> = { rhel: 'redhat', ol: 'oracle', amzn: 'amazonlinux', 'opensuse-leap': 'opensuse', 'opensuse-tumbleweed': 'opensuse', sles: 'suse' };
  return map[os.id] ?? os.id;
}

export type RpmDbFormat = 'sqlite' | 'bdb' | 'ndb';

export function rpmDbFormat(content: Buffer): RpmDbFormat | undefined {
  if (isSqlite(content)) return 'sqlite';
  if (isNdb(content)) return 'ndb';
  if (isBdbHash(content)) return 'bdb';
  return undefined;
}

/**
 * The header blobs of an rpm database in any format; problems are returned,
 * never thrown. `error` says the database as a whole could not be read (no
 * blobs then); `warnings` are records or pages skipped.
 */
export function rpmHeaderBlobs(content: Buffer): { format?: RpmDbFormat; blobs: Buffer[]; warnings: string[]; error?: string } {
  const format = rpmDbFormat(content);
  if (!format) return { blobs: [], warnings: [], error: 'not an rpm database (neither SQLite, Berkeley DB hash nor NDB)' };
  if (format === 'sqlite') {
    const r = readSqliteRpmdb(content);
    return { format, blobs: r.blobs, warnings: [], ...(r.error ? { error: r.error } : {}) };
  }
  if (format === 'ndb') {
    const r = readNdb(content);
    return { format, blobs: r.blobs, warnings: r.warnings, ...(r.error ? { error: r.error } : {}) };
  }
  const r = readBdbHash(content);
  const blobs: Buffer[] = [];
  for (const rec of r.records) {
    // Instance 0 is rpm's counter record, not a header.
    if (rec.key.length === 4 && rec.key.readUInt32LE(0) === 0) continue;
    blobs.push(rec.value);
  }
  return { format, blobs, warnings: r.warnings, ...(r.error ? { error: r.error } : {}) };
}

/** Parses one rpm database file into packages; never throws. */
export function parseRpmDatabase(file: DatabaseFile, os?: OsRelease): DatabaseResult {
  const result = emptyResult();
  let read: ReturnType<typeof rpmHeaderBlobs>;
  try {
    read = rpmHeaderBlobs(file.content);
  } catch (error) {
    result.incomplete.push(`${file.path}: unreadable: ${error instanceof Error ? error.message : String(error)}`);
    return result;
  }
  const { blobs, warnings } = read;
  for (const w of warnings) result.warnings.push(`${file.path}: ${w}`);
  if (read.error) result.incomplete.push(`${file.path}: ${read.error}`);
  const namespace = rpmVendor(os);
  const distro = distroQualifier(os);
  blobs.forEach((blob, index) => {
    try {
      addRecord(blob, index);
    } catch (error) {
      // Defence in depth: the header parser checks bounds, but one record must never stop the rest.
      result.warnings.push(`${file.path}: record ${index + 1}: ${error instanceof Error ? error.message : String(error)}, skipped`);
    }
  });
  return result;

  function addRecord(blob: Buffer, index: number): void {
    const header = RpmHeader.parse(blob);
    if (typeof header === 'string') {
      result.warnings.push(`${file.path}: record ${index + 1}: ${header}, skipped`);
      return;
    }
    const info = packageInfo(header);
    if (typeof info === 'string') {
      result.warnings.push(`${file.path}: record ${index + 1}: ${info}, skipped`);
      return;
    }
    if (info.problem) result.warnings.push(`${file.path}: ${info.problem}`);
    if (info.name === 'gpg-pubkey' && !info.arch) return;
    const vr = `${info.version}-${info.release}`;
    const source = info.sourceRpm ? parseSourceRpm(info.sourceRpm) : undefined;
    const metadata: Record<string, string> = {};
    if (info.sourceRpm) metadata.sourceRpm = info.sourceRpm;
    if (info.modularityLabel) metadata.modularityLabel = info.modularityLabel;
    if (info.vendor) metadata.vendor = info.vendor;
    const pkg: Package = {
      name: info.name,
      version: info.epoch !== undefined ? `${info.epoch}:${vr}` : vr,
      ecosystem: 'rpm',
      purl: buildPurl('rpm', namespace, info.name, vr, {
        arch: info.arch,
        epoch: info.epoch !== undefined ? String(info.epoch) : undefined,
        distro,
      }),
      foundBy: 'rpm',
      path: file.path,
      ...(file.layer ? { layer: file.layer } : {}),
      ...(source ? { source: { name: source.name, ...(source.version !== vr ? { version: source.version } : {}) } } : {}),
      ...(info.arch ? { arch: info.arch } : {}),
      ...(info.license ? { licenses: [info.license] } : {}),
      ...(info.epoch !== undefined ? { epoch: info.epoch } : {}),
      ...(Object.keys(metadata).length ? { metadata } : {}),
    };
    result.packages.push(pkg);
    const owned: string[] = [];
    for (const f of info.files) {
      const p = imagePath(f);
      if (p) owned.push(p);
    }
    if (owned.length) result.ownedFiles.set(`${info.name}.${info.arch ?? ''}`, owned);
  }
}

export const rpmCataloger: Cataloger = {
  name: 'rpm',
  version: 2,
  wants(path: string): boolean | FileWant {
    return RPM_DB_PATHS.includes(path) ? { content: true, maxBytes: MAX_DB_BYTES, history: true } : false;
  },
  async catalog(view: FileView, context: CatalogContext): Promise<CatalogResult> {
    const warnings: string[] = [];
    const incomplete: string[] = [];
    for (const path of RPM_DB_PATHS) {
      const file = view.get(path);
      if (!file) continue;
      const content = readContent(view, path, incomplete);
      if (!content) continue;
      if (!rpmDbFormat(content)) {
        // A file where rpm keeps its database that is none of its formats: rpm's packages were not read.
        incomplete.push(`${path}: not an rpm database (neither SQLite, Berkeley DB hash nor NDB); not read`);
        continue;
      }
      const r = parseRpmDatabase({ path, content, layer: file.layer }, context.os);
      appendAll(warnings, r.warnings);
      appendAll(incomplete, r.incomplete);
      const owned = new Set<string>();
      for (const paths of r.ownedFiles.values()) for (const p of paths) owned.add(p);
      // The first database found is the one rpm would use.
      const parseVersion = (version: ImageFile & { content: Buffer }): readonly Package[] =>
        parseRpmDatabase({ path, content: version.content, layer: version.layer }, context.os).packages;
      const packages = attributeIntroducingLayers(r.packages, path, view, parseVersion);
      return { packages, ownedFiles: owned.size ? [{ manager: 'rpm', paths: owned }] : [], warnings, incomplete };
    }
    return { packages: [], warnings, incomplete };
  },
};
