/**
 * Python: installed distributions' core metadata — `*.dist-info/METADATA`
 * (wheels, pip), `*.egg-info/PKG-INFO` (setuptools, Debian's packages) and
 * `*.egg-info` single files (distutils). The format is RFC 822-style headers
 * (`Name:`, `Version:`, `License:`, `License-Expression:`, `Classifier:`),
 * with continuation lines indented; the body after the first empty line is
 * the long description and is not read.
 */
import type { FileView, Package } from '../../core/index.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../cataloger.js';
import { buildPurl, catalogEach, type ParseResult, utf8 } from './common.js';

const FOUND_BY = 'python';
/** Core metadata is small; a huge METADATA is a long description we do not read anyway. */
const MAX_BYTES = 16 << 20;
const WANTED = /(?:^|\/)[^/]+(?:\.dist-info\/METADATA|\.egg-info\/PKG-INFO|\.egg-info)$/;

/** PEP 503: runs of `-`, `_`, `.` become one `-`, lower case. */
export function normalizePythonName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** Headers as a multimap (keys lower-cased), up to the first empty line. */
export function parseRfc822Headers(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let lastKey: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') break;
    if (/^[ \t]/.test(line)) {
      if (lastKey !== undefined) {
        const values = headers.get(lastKey);
        if (values && values.length) values[values.length - 1] += `\n${line.trim()}`;
      }
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      lastKey = undefined;
      continue;
    }
    lastKey = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const values = headers.get(lastKey);
    if (values) values.push(value);
    else headers.set(lastKey, [value]);
  }
  return headers;
}

function first(headers: Map<string, string[]>, key: string): string | undefined {
  const v = headers.get(key)?.[0]?.trim();
  return v ? v : undefined;
}

/**
 * License-Expression (PEP 639) first; else `License` when it is a short
 * one-line declaration (not `UNKNOWN`, not a pasted license text); else the
 * last segment of each `License ::` classifier (`MIT License`).
 */
export function pythonLicenses(headers: Map<string, string[]>): string[] {
  const expression = first(headers, 'license-expression');
  if (expression) return [expression];
  const license = first(headers, 'license');
  if (license && !/^unknown$/i.test(license) && !license.includes('\n') && license.length <= 120) return [license];
  const out: string[] = [];
  for (const c of headers.get('classifier') ?? []) {
    const parts = c.split('::').map((s) => s.trim());
    if (parts[0] !== 'License' || parts.length < 2) continue;
    const last = parts[parts.length - 1];
    if (last && last !== 'OSI Approved' && !out.includes(last)) out.push(last);
  }
  return out;
}

/** One METADATA / PKG-INFO / .egg-info file. */
export function parsePythonMetadata(bytes: Uint8Array, path: string): ParseResult {
  const headers = parseRfc822Headers(utf8(bytes));
  const name = first(headers, 'name');
  const version = first(headers, 'version');
  if (!name) return { packages: [], warnings: [`${path}: no Name header; skipped`] };
  if (!version) return { packages: [], warnings: [`${path}: ${name}: no Version header; skipped`] };
  const purl = buildPurl('pypi', undefined, normalizePythonName(name), version);
  if (!purl) return { packages: [], warnings: [`${path}: cannot build a purl for ${name} ${version}; skipped`] };
  const licenses = pythonLicenses(headers);
  const pkg: Package = {
    name,
    version,
    ecosystem: 'pypi',
    purl,
    foundBy: FOUND_BY,
    path,
    ...(licenses.length ? { licenses } : {}),
  };
  return { packages: [pkg], warnings: [] };
}

export const pythonCataloger: Cataloger = {
  name: FOUND_BY,
  version: 2,
  wants(path: string) {
    return WANTED.test(path) ? { maxBytes: MAX_BYTES } : false;
  },
  async catalog(view: FileView, _context: CatalogContext): Promise<CatalogResult> {
    return catalogEach(
      view,
      (f) => WANTED.test(f.path),
      (bytes, f) => parsePythonMetadata(bytes, f.path),
    );
  },
};
