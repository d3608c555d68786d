/**
 * Rust: `Cargo.lock` (TOML `[[package]]` tables: name, version, source,
 * dependencies) and binaries built with cargo-auditable, whose `.dep-v0` ELF
 * section holds zlib-compressed JSON
 * `{"packages":[{name, version, source, kind, dependencies: [index…], root?}]}`.
 *
 * Cargo.lock is read by a small parser for the subset Cargo writes (tables,
 * arrays of tables, `key = "string"` / integers / string arrays, comments);
 * no TOML package is a dependency. Local crates (no `source` in Cargo.lock,
 * `source: "local"` in audit data) are the project's own code and are not
 * reported; audit data's build-time-only dependencies (`kind: "build"`) are
 * not linked into the binary and are not reported either.
 */
import { inflateSync } from 'node:zlib';
import type { FileView, Package } from '../../core/index.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../cataloger.js';
import { basename, buildPurl, catalogEach, isRecord, type ParseResult, utf8 } from './common.js';
import { isElf, mayBeExecutable, parseElf, sectionData } from './elf.js';
import { LangCatalogError } from './errors.js';

const FOUND_BY = 'cargo';
const LOCK_MAX_BYTES = 64 << 20;
const BINARY_MAX_BYTES = 256 << 20;
/** Inflated audit JSON cap: real ones are a few KiB to a few hundred KiB. */
const AUDIT_MAX_JSON = 8 << 20;

type TomlValue = string | number | boolean | TomlValue[];
type TomlTable = Record<string, TomlValue>;

/** `[[package]]` tables (and the top-level keys) of a Cargo.lock; other tables are read and ignored. */
export function parseCargoToml(text: string): { top: TomlTable; packages: TomlTable[]; errors: string[] } {
  const top: TomlTable = {};
  const packages: TomlTable[] = [];
  const errors: string[] = [];
  let current: TomlTable | undefined = top;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = stripComment(lines[i] ?? '').trim();
    if (line === '') continue;
    if (line.startsWith('[[')) {
      const name = line.replace(/^\[\[\s*|\s*\]\]$/g, '');
      current = name === 'package' ? {} : undefined;
      if (current) packages.push(current);
      continue;
    }
    if (line.startsWith('[')) {
      current = undefined; // [metadata] and others
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      errors.push(`line ${i + 1}: expected key = value`);
      continue;
    }
    const key = line.slice(0, eq).trim().replace(/^"(.*)"$/, '$1');
    let rhs = line.slice(eq + 1).trim();
    // Arrays may span lines.
    let guard = 0;
    while (rhs.startsWith('[') && !balanced(rhs) && i + 1 < lines.length && guard++ < 100_000) {
      line = stripComment(lines[++i] ?? '').trim();
      rhs += ` ${line}`;
    }
    const value = tomlValue(rhs);
    if (value === undefined) errors.push(`line ${i + 1}: unsupported value for ${key}`);
    else if (current) current[key] = value;
  }
  return { top, packages, errors };
}

function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && inString) i++;
    else if (c === '"') inString = !inString;
    else if (c === '#' && !inString) return line.slice(0, i);
  }
  return line;
}

function balanced(s: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && inString) i++;
    else if (c === '"') inString = !inString;
    else if (!inString && c === '[') depth++;
    else if (!inString && c === ']') depth--;
  }
  return depth <= 0;
}

function tomlValue(s: string): TomlValue | undefined {
  if (s.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"$/.exec(s);
    return m ? (m[1] ?? '').replace(/\\(.)/g, '$1') : undefined;
  }
  if (s.startsWith("'")) {
    const m = /^'([^']*)'$/.exec(s);
    return m ? (m[1] ?? '') : undefined;
  }
  if (s === 'true' || s === 'false') return s === 'true';
  if (/^[+-]?\d+$/.test(s)) return Number(s);
  if (s.startsWith('[')) {
    const items: TomlValue[] = [];
    const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|([+-]?\d+)/g;
    for (let m = re.exec(s); m; m = re.exec(s)) items.push(m[3] !== undefined ? Number(m[3]) : (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1'));
    return items;
  }
  return undefined;
}

export function cargoPurl(name: string, version: string): string | undefined {
  return buildPurl('cargo', undefined, name, version);
}

export function parseCargoLock(bytes: Uint8Array, path: string): ParseResult {
  const { packages: tables, errors } = parseCargoToml(utf8(bytes));
  const warnings = errors.slice(0, 20).map((e) => `${path}: ${e}`);
  const entries = tables
    .map((t) => ({
      name: typeof t.name === 'string' ? t.name : '',
      version: typeof t.version === 'string' ? t.version : '',
      source: typeof t.source === 'string' ? t.source : undefined,
      deps: Array.isArray(t.dependencies) ? t.dependencies.filter((d): d is string => typeof d === 'string') : [],
    }))
    .filter((e, i) => {
      if (e.name && e.version) return true;
      warnings.push(`${path}: [[package]] #${i + 1} without name or version; skipped`);
      return false;
    });
  const byName = new Map<string, typeof entries>();
  for (const e of entries) {
    const list = byName.get(e.name);
    if (list) list.push(e);
    else byName.set(e.name, [e]);
  }
  // A dependency is `name`, `name version` or `name version (source)` (v1 lock files).
  const resolve = (dep: string): string | undefined => {
    const [name = '', version] = dep.split(' ');
    const candidates = byName.get(name) ?? [];
    const hit = version ? candidates.find((c) => c.version === version) : candidates.length === 1 ? candidates[0] : undefined;
    return hit && hit.source !== undefined ? cargoPurl(hit.name, hit.version) : undefined;
  };
  const packages: Package[] = [];
  for (const e of entries) {
    if (e.source === undefined) continue; // a local (workspace) crate
    const purl = cargoPurl(e.name, e.version);
    if (!purl) continue;
    const dependsOn = [...new Set(e.deps.map(resolve).filter((p): p is string => p !== undefined))];
    packages.push({
      name: e.name,
      version: e.version,
      ecosystem: 'cargo',
      purl,
      foundBy: FOUND_BY,
      path,
      metadata: { source: e.source },
      ...(dependsOn.length ? { dependsOn } : {}),
    });
  }
  return { packages, warnings };
}

/** Decodes cargo-auditable data (the `.dep-v0` section's bytes). Throws CARGO_AUDIT_INVALID. */
export function parseCargoAuditData(section: Uint8Array, path: string): ParseResult {
  let json: string;
  try {
    json = inflateSync(section, { maxOutputLength: AUDIT_MAX_JSON }).toString('utf8');
  } catch (error) {
    throw new LangCatalogError('CARGO_AUDIT_INVALID', `${path}: .dep-v0 is not zlib data within ${AUDIT_MAX_JSON} bytes`, { cause: error });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (error) {
    throw new LangCatalogError('CARGO_AUDIT_INVALID', `${path}: .dep-v0 JSON is invalid`, { cause: error });
  }
  if (!isRecord(doc) || !Array.isArray(doc.packages)) throw new LangCatalogError('CARGO_AUDIT_INVALID', `${path}: .dep-v0 JSON has no packages array`);
  const list = doc.packages;
  const purls = list.map((p) => (isRecord(p) && typeof p.name === 'string' && typeof p.version === 'string' ? cargoPurl(p.name, p.version) : undefined));
  const packages: Package[] = [];
  const warnings: string[] = [];
  list.forEach((p, i) => {
    const purl = purls[i];
    if (!isRecord(p) || !purl) {
      warnings.push(`${path}: .dep-v0 packages[${i}] without name or version; skipped`);
      return;
    }
    const source = typeof p.source === 'string' ? p.source : 'crates.io';
    if (source === 'local' || p.kind === 'build') return;
    const deps = Array.isArray(p.dependencies) ? p.dependencies : [];
    const dependsOn = [
      ...new Set(
        deps
          .filter((d): d is number => Number.isInteger(d) && d >= 0 && d < list.length)
          .filter((d) => {
            const t = list[d];
            return isRecord(t) && t.kind !== 'build' && t.source !== 'local';
          })
          .map((d) => purls[d])
          .filter((x): x is string => x !== undefined),
      ),
    ];
    packages.push({
      name: String(p.name),
      version: String(p.version),
      ecosystem: 'cargo',
      purl,
      foundBy: FOUND_BY,
      path,
      metadata: { source, kind: typeof p.kind === 'string' ? p.kind : 'runtime' },
      ...(dependsOn.length ? { dependsOn } : {}),
    });
  });
  return { packages, warnings };
}

/** An ELF binary: packages from its `.dep-v0` section, none if it has no such section. */
export function parseCargoBinary(bytes: Uint8Array, path: string): ParseResult {
  if (!isElf(bytes)) return { packages: [], warnings: [] };
  try {
    const section = sectionData(parseElf(bytes), '.dep-v0');
    if (!section) return { packages: [], warnings: [] };
    return parseCargoAuditData(section, path);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { packages: [], warnings: [message.startsWith(path) ? message : `${path}: ${message}`] };
  }
}

const AUDIT_SECTION = Buffer.from('.dep-v0', 'latin1');

/** Keeps a candidate only when it is an ELF that names a cargo-auditable section. */
function hasAuditData(content: Buffer): boolean {
  return isElf(content) && content.indexOf(AUDIT_SECTION) >= 0;
}

function isLock(path: string): boolean {
  return basename(path) === 'Cargo.lock';
}

export const cargoCataloger: Cataloger = {
  name: FOUND_BY,
  version: 2,
  wants(path: string, info?: { mode: number; size: number }) {
    if (isLock(path)) return { maxBytes: LOCK_MAX_BYTES };
    return mayBeExecutable(path, info) ? { maxBytes: BINARY_MAX_BYTES, accept: hasAuditData } : false;
  },
  async catalog(view: FileView, _context: CatalogContext): Promise<CatalogResult> {
    return catalogEach(
      view,
      (f) => isLock(f.path) || ((f.kind === 'file' || f.kind === 'hardlink') && f.content !== undefined && isElf(f.content)),
      (bytes, f) => (isLock(f.path) ? parseCargoLock(bytes, f.path) : parseCargoBinary(bytes, f.path)),
    );
  },
};
