/**
 * Alpine's apk database, `lib/apk/db/installed` (also `usr/lib/apk/db/installed`
 * on usr-merged systems): one stanza per installed package, `X:value` lines,
 * blank-line separated. We read P (name), V (version), A (arch), o (origin =
 * source package), L (license), and F/R (directory / file in it → owned files).
 * A stanza without P or V is a warning naming the file and line, and is skipped.
 */
import { type FileView, type FileWant, type ImageFile, type OsRelease, type Package, appendAll } from '../../core/index.js';
import { attributeIntroducingLayers } from './introduced.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../cataloger.js';
import { buildPurl, emptyResult, readContent, unparsed, type DatabaseFile, type DatabaseResult } from './common.js';
import { distroQualifier } from './release.js';

export const APK_DB_PATHS = ['lib/apk/db/installed', 'usr/lib/apk/db/installed'] as const;
const MAX_DB_BYTES = 256 * 1024 * 1024;

interface Stanza {
  line: number;
  fields: Map<string, string>;
  files: string[];
}

/** Parses one apk `installed` file; never throws. */
export function parseApkInstalled(file: DatabaseFile, os?: OsRelease): DatabaseResult {
  const result = emptyResult();
  const lines = file.content.toString('utf8').split('\n');
  let current: Stanza | undefined;
  let dir = '';
  const finish = (): void => {
    if (current) addPackage(current, file, os, result);
    current = undefined;
    dir = '';
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') {
      finish();
      continue;
    }
    if (line.length < 2 || line[1] !== ':') {
      result.warnings.push(`${file.path}: line ${i + 1}: not a "X:value" line, ignored`);
      continue;
    }
    current ??= { line: i + 1, fields: new Map(), files: [] };
    const key = line[0]!;
    const value = line.slice(2);
    if (key === 'F') dir = value.replace(/^\/+|\/+$/g, '');
    else if (key === 'R') {
      if (value.includes('/') || value === '' || value === '.' || value === '..') {
        result.warnings.push(`${file.path}: line ${i + 1}: unsafe file name "${value.slice(0, 80)}", ignored`);
      } else current.files.push(dir ? `${dir}/${value}` : value);
    } else if (!current.fields.has(key)) current.fields.set(key, value);
  }
  finish();
  if (unparsed(file, result)) result.incomplete.push(`${file.path}: not one package could be read (${result.warnings.length} problems); the database could not be parsed`);
  return result;
}

function addPackage(stanza: Stanza, file: DatabaseFile, os: OsRelease | undefined, result: DatabaseResult): void {
  const name = stanza.fields.get('P');
  const version = stanza.fields.get('V');
  if (!name || !version) {
    result.warnings.push(
      `${file.path}: line ${stanza.line}: package ${name ? `"${name}" ` : ''}without ${name ? 'V (version)' : 'P (name)'}, skipped`,
    );
    return;
  }
  const arch = stanza.fields.get('A') || undefined;
  const origin = stanza.fields.get('o') || undefined;
  const license = stanza.fields.get('L')?.trim() || undefined;
  const namespace = os && os.id !== 'unknown' && !os.idLike?.includes('debian') ? os.id : 'alpine';
  const pkg: Package = {
    name,
    version,
    ecosystem: 'alpine',
    purl: buildPurl('apk', namespace, name.toLowerCase(), version, { arch, distro: distroQualifier(os) }),
    foundBy: 'apk',
    path: file.path,
    ...(file.layer ? { layer: file.layer } : {}),
    source: { name: origin ?? name },
    ...(arch ? { arch } : {}),
    ...(license ? { licenses: [license] } : {}),
  };
  result.packages.push(pkg);
  if (stanza.files.length) {
    const prior = result.ownedFiles.get(name);
    if (prior) appendAll(prior, stanza.files);
    else result.ownedFiles.set(name, stanza.files);
  }
}

export const apkCataloger: Cataloger = {
  name: 'apk',
  version: 2,
  wants(path: string): boolean | FileWant {
    return (APK_DB_PATHS as readonly string[]).includes(path) ? { content: true, maxBytes: MAX_DB_BYTES, history: true } : false;
  },
  async catalog(view: FileView, context: CatalogContext): Promise<CatalogResult> {
    const warnings: string[] = [];
    const incomplete: string[] = [];
    const packages: Package[] = [];
    const owned = new Set<string>();
    for (const path of APK_DB_PATHS) {
      const content = readContent(view, path, incomplete);
      if (!content) continue;
      const layer = view.get(path)?.layer;
      const r = parseApkInstalled({ path, content, ...(layer ? { layer } : {}) }, context.os);
      appendAll(incomplete, r.incomplete);
      const parseVersion = (file: ImageFile & { content: Buffer }): readonly Package[] =>
        parseApkInstalled({ path, content: file.content, layer: file.layer }, context.os).packages;
      appendAll(packages, attributeIntroducingLayers(r.packages, path, view, parseVersion));
      appendAll(warnings, r.warnings);
      for (const paths of r.ownedFiles.values()) for (const p of paths) owned.add(p);
      break; // the first database found is the one apk uses
    }
    return { packages, ownedFiles: owned.size ? [{ manager: 'apk', paths: owned }] : [], warnings, incomplete };
  },
};
