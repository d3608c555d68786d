/**
 * dpkg's database: `var/lib/dpkg/status` and, on distroless images, one file
 * per package under `var/lib/dpkg/status.d/` (with `<pkg>.md5sums` beside it).
 *
 * Reported: installed packages only (`Status: <want> <flag> installed`, what
 * dpkg-query shows as `ii`/`hi`; `rc` = config files only is not installed);
 * name, version as dpkg writes it (with epoch), `Source: name (version)` as the
 * source package (default: the binary's own name and version), architecture,
 * licenses from `usr/share/doc/<pkg>/copyright` (DEP-5 `License:` fields and
 * `/usr/share/common-licenses/X` references), owned files from
 * `var/lib/dpkg/info/<pkg>[:arch].list` (or the status.d md5sums).
 *
 * Versions are validated as dpkg does (parseversion in lib/dpkg/parsehelp.c
 * semantics): an invalid one is a warning naming the file and line, and the
 * package is skipped, as dpkg-query skips it. A vcpkg status file (same syntax)
 * is recognised and rejected as a whole.
 */
import { type FileView, type FileWant, type ImageFile, type Ecosystem, type OsRelease, type Package, appendAll } from '../../core/index.js';
import { attributeIntroducingLayers } from './introduced.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../cataloger.js';
import { buildPurl, emptyResult, imagePath, readContent, unparsed, type DatabaseFile, type DatabaseResult } from './common.js';
import { parseParagraphs, type Paragraph } from './deb822.js';
import { distroQualifier } from './release.js';

export const DPKG_STATUS = 'var/lib/dpkg/status';
export const DPKG_STATUS_D = 'var/lib/dpkg/status.d/';
const DPKG_INFO = 'var/lib/dpkg/info/';
const DOC = 'usr/share/doc/';
const MAX_DB_BYTES = 256 * 1024 * 1024;
const MAX_AUX_BYTES = 16 * 1024 * 1024;

export interface DebianVersion {
  readonly epoch?: number;
  readonly upstream: string;
  readonly revision?: string;
}

/** dpkg's version syntax check: `{ok}` with the parts, or an error (fatal for the package) / a warning (kept). */
export function parseDebianVersion(
  raw: string,
): { ok: true; version: DebianVersion; warning?: string } | { ok: false; error: string } {
  const value = raw.trim();
  if (value === '') return { ok: false, error: 'version string is empty' };
  if (/\s/.test(value)) return { ok: false, error: 'version string has embedded spaces' };
  let rest = value;
  let epoch: number | undefined;
  const colon = value.indexOf(':');
  if (colon >= 0) {
    const e = value.slice(0, colon);
    if (!/^\d+$/.test(e)) return { ok: false, error: 'epoch in version is not number' };
    epoch = Number(e);
    if (epoch > 0x7fffffff) return { ok: false, error: 'epoch in version is too big' };
    rest = value.slice(colon + 1);
    if (rest === '') return { ok: false, error: 'nothing after colon in version number' };
  }
  let upstream = rest;
  let revision: string | undefined;
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') return { ok: false, error: 'revision number is empty' };
  }
  if (upstream === '') return { ok: false, error: 'version number is empty' };
  if (!/^[A-Za-z0-9.+~:-]*$/.test(upstream)) return { ok: false, error: 'invalid character in version number' };
  if (revision !== undefined && !/^[A-Za-z0-9.+~]*$/.test(revision)) {
    return { ok: false, error: 'invalid character in revision number' };
  }
  const version: DebianVersion = {
    ...(epoch !== undefined ? { epoch } : {}),
    upstream,
    ...(revision !== undefined ? { revision } : {}),
  };
  if (!/^\d/.test(upstream)) return { ok: true, version, warning: 'version number does not start with digit' };
  return { ok: true, version };
}

/** `Source: name (version)` → name and version; undefined when absent or malformed. */
export function parseSourceField(value: string | undefined): { name: string; version?: string } | undefined {
  if (!value) return undefined;
  const m = /^(\S+)(?:\s+\(([^)\s]+)\))?\s*$/.exec(value.trim());
  if (!m) return undefined;
  return m[2] ? { name: m[1]!, version: m[2] } : { name: m[1]! };
}

/** Licenses named in a Debian copyright file: DEP-5 `License:` fields, then `/usr/share/common-licenses/X` references. */
export function licensesFromCopyright(text: string): string[] {
  const out: string[] = [];
  const add = (l: string): void => {
    const clean = l.trim().replace(/[.,;:'"`]+$/, '').trim();
    if (clean && !out.includes(clean)) out.push(clean);
  };
  for (const m of text.matchAll(/^License:[ \t]*([^\r\n]+)/gm)) add(m[1]!);
  for (const m of text.matchAll(/\/usr\/share\/common-licenses\/([A-Za-z0-9][A-Za-z0-9.+_-]*)/g)) add(m[1]!);
  return out;
}

export interface DpkgParseOptions {
  readonly os?: OsRelease;
  /** Reads auxiliary files (info/*.list, copyright) by image-relative path; absent → none are read. */
  readonly readFile?: (path: string) => Buffer | undefined;
  /** True for distroless `status.d/*` files: a paragraph without `Status` counts as installed. */
  readonly statusOptional?: boolean;
}

function ecosystemFor(os: OsRelease | undefined): Ecosystem {
  if (!os) return 'debian';
  if (os.id === 'ubuntu' || (os.id !== 'debian' && os.idLike?.includes('ubuntu'))) return 'ubuntu';
  return 'debian';
}

function looksLikeVcpkg(paragraphs: readonly Paragraph[]): boolean {
  return paragraphs.some(
    (p) =>
      (p.fields.has('abi') && p.fields.get('type') === 'Port') ||
      /^(x86|x64|arm|arm64|wasm32)-(windows|linux|osx|uwp|mingw|emscripten)/.test(p.fields.get('architecture') ?? ''),
  );
}

/** Parses one dpkg status (or status.d) file; never throws. */
export function parseDpkgStatus(file: DatabaseFile, options: DpkgParseOptions = {}): DatabaseResult {
  const result = emptyResult();
  const { paragraphs, problems } = parseParagraphs(file.content.toString('utf8'));
  for (const p of problems) result.warnings.push(`${file.path}: line ${p.line}: ${p.message}`);
  if (looksLikeVcpkg(paragraphs)) {
    result.warnings.push(`${file.path}: a vcpkg status file (Abi/Type: Port fields), not a dpkg database; ignored`);
    return result;
  }
  const ecosystem = ecosystemFor(options.os);
  const namespace = ecosystem;
  const distro = distroQualifier(options.os);
  for (const para of paragraphs) {
    const f = para.fields;
    const where = `${file.path}: line ${para.line}`;
    const name = f.get('package');
    if (!name) {
      result.warnings.push(`${where}: paragraph without Package field, skipped`);
      continue;
    }
    const status = f.get('status');
    if (status === undefined) {
      if (!options.statusOptional) continue; // not installed as far as dpkg knows
    } else {
      const words = status.split(/\s+/);
      if (words.length !== 3) {
        result.warnings.push(`${where}: package "${name}": malformed Status "${status.slice(0, 60)}", skipped`);
        continue;
      }
      if (words[2] !== 'installed') continue;
    }
    const rawVersion = f.get('version');
    if (rawVersion === undefined) {
      result.warnings.push(`${where}: package "${name}": missing Version field, skipped`);
      continue;
    }
    const parsed = parseDebianVersion(rawVersion);
    if (!parsed.ok) {
      result.warnings.push(`${where}: package "${name}": Version "${rawVersion.slice(0, 60)}": ${parsed.error}, skipped`);
      continue;
    }
    if (parsed.warning) result.warnings.push(`${where}: package "${name}": ${parsed.warning}`);
    const version = rawVersion.trim();
    const arch = f.get('architecture') || undefined;
    let source = parseSourceField(f.get('source'));
    if (f.get('source') !== undefined && !source) {
      result.warnings.push(`${where}: package "${name}": malformed Source "${(f.get('source') ?? '').slice(0, 60)}", ignored`);
    }
    if (source?.version !== undefined && !parseDebianVersion(source.version).ok) {
      result.warnings.push(`${where}: package "${name}": invalid source version "${source.version.slice(0, 60)}", ignored`);
      source = { name: source.name };
    }
    const purlVersion = parsed.version.revision !== undefined
      ? `${parsed.version.upstream}-${parsed.version.revision}`
      : parsed.version.upstream;
    const licenses = licensesFor(name, options.readFile);
    const sourceVersion = source?.version !== undefined && source.version !== version ? source.version : undefined;
    const pkg: Package = {
      name,
      version,
      ecosystem,
      purl: buildPurl('deb', namespace, name.toLowerCase(), purlVersion, {
        arch,
        distro,
        epoch: parsed.version.epoch !== undefined ? String(parsed.version.epoch) : undefined,
      }),
      foundBy: 'dpkg',
      path: file.path,
      ...(file.layer ? { layer: file.layer } : {}),
      source: { name: source?.name ?? name, ...(sourceVersion !== undefined ? { version: sourceVersion } : {}) },
      ...(arch ? { arch } : {}),
      ...(licenses.length ? { licenses } : {}),
      ...(parsed.version.epoch !== undefined ? { epoch: parsed.version.epoch } : {}),
    };
    result.packages.push(pkg);
    const owned = ownedFilesFor(name, arch, file, options.readFile, result.warnings);
    if (owned.length) result.ownedFiles.set(arch ? `${name}:${arch}` : name, owned);
  }
  if (unparsed(file, result)) result.incomplete.push(`${file.path}: not one package could be read (${result.warnings.length} problems); the database could not be parsed`);
  return result;
}

function licensesFor(name: string, readFile: DpkgParseOptions['readFile']): string[] {
  const bytes = readFile?.(`${DOC}${name}/copyright`);
  return bytes ? licensesFromCopyright(bytes.toString('utf8')) : [];
}

function ownedFilesFor(
  name: string,
  arch: string | undefined,
  file: DatabaseFile,
  readFile: DpkgParseOptions['readFile'],
  warnings: string[],
): string[] {
  if (!readFile) return [];
  const out: string[] = [];
  if (file.path.startsWith(DPKG_STATUS_D)) {
    // distroless: status.d/<pkg>.md5sums holds "<md5>  <path>" lines
    const md5 = readFile(`${file.path}.md5sums`);
    if (md5) {
      for (const line of md5.toString('utf8').split('\n')) {
        const m = /^[0-9a-fA-F]{32}\s+(.+)$/.exec(line.trim());
        const p = m ? imagePath(m[1]!) : undefined;
        if (p) out.push(p);
      }
    }
    return out;
  }
  const list = (arch ? readFile(`${DPKG_INFO}${name}:${arch}.list`) : undefined) ?? readFile(`${DPKG_INFO}${name}.list`);
  if (!list) return out;
  for (const line of list.toString('utf8').split('\n')) {
    if (line === '') continue;
    if (line.includes('\0')) {
      warnings.push(`${DPKG_INFO}${name}.list: binary content, ignored`);
      return [];
    }
    const p = imagePath(line);
    if (p) out.push(p);
  }
  return out;
}

function isStatusDFile(path: string): boolean {
  if (!path.startsWith(DPKG_STATUS_D)) return false;
  const rest = path.slice(DPKG_STATUS_D.length);
  return rest !== '' && !rest.includes('/') && !rest.endsWith('.md5sums');
}

export const dpkgCataloger: Cataloger = {
  name: 'dpkg',
  version: 2,
  wants(path: string): boolean | FileWant {
    if (path === DPKG_STATUS) return { content: true, maxBytes: MAX_DB_BYTES, history: true };
    if (path.startsWith(DPKG_STATUS_D)) return { content: true, maxBytes: MAX_AUX_BYTES };
    if (path.startsWith(DPKG_INFO) && path.endsWith('.list')) return { content: true, maxBytes: MAX_AUX_BYTES };
    if (path.startsWith(DOC) && path.endsWith('/copyright') && path.split('/').length === 5) {
      return { content: true, maxBytes: MAX_AUX_BYTES };
    }
    return false;
  },
  async catalog(view: FileView, context: CatalogContext): Promise<CatalogResult> {
    const warnings: string[] = [];
    const incomplete: string[] = [];
    const packages: Package[] = [];
    const owned = new Set<string>();
    // Side files (file lists, copyright) over the cap cost owned files or licences, never a package: warnings.
    const readFile = (path: string): Buffer | undefined => readContent(view, path, warnings);
    const dbs: string[] = [];
    if (view.get(DPKG_STATUS)) dbs.push(DPKG_STATUS);
    for (const f of view.files()) if (isStatusDFile(f.path)) dbs.push(f.path);
    for (const path of dbs) {
      const content = readContent(view, path, incomplete);
      if (!content) continue;
      const layer = view.get(path)?.layer;
      const options = { ...(context.os ? { os: context.os } : {}), readFile, statusOptional: path !== DPKG_STATUS };
      const r = parseDpkgStatus({ path, content, ...(layer ? { layer } : {}) }, options);
      appendAll(incomplete, r.incomplete);
      const parseVersion = (file: ImageFile & { content: Buffer }): readonly Package[] =>
        parseDpkgStatus({ path, content: file.content, layer: file.layer }, { ...options, readFile: () => undefined }).packages;
      appendAll(packages, attributeIntroducingLayers(r.packages, path, view, parseVersion));
      appendAll(warnings, r.warnings);
      for (const paths of r.ownedFiles.values()) for (const p of paths) owned.add(p);
    }
    return { packages, ownedFiles: owned.size ? [{ manager: 'dpkg', paths: owned }] : [], warnings, incomplete };
  },
};
