/**
 * `.portcullisignore`: a YAML file with a top-level `ignore:` list of
 * `{id, package?, purl?, path?, reason, owner?, expires?}`. An entry matches a
 * finding whose id or any alias is `id`, and, when given, whose package name
 * (or source package) is `package`, whose purl is `purl` (without a version
 * in the entry, any version; qualifiers ignored), and whose package path is
 * `path` (a trailing `*` matches a prefix). An entry past `expires` ignores
 * nothing and produces a warning.
 *
 * An entry of `engine` of its own (docs/architecture.md): `scan`, `lint` and
 * `ignore export` read the file; only they load this (and YAML).
 */
import { parse as parseYaml } from 'yaml';
import { PortcullisError, type Finding, readRegularFile, UserFileError, CoreError, expiryTime } from '../core/index.js';

export type IgnoreErrorCode = 'IGNOREFILE_INVALID';
export class IgnoreError extends PortcullisError<IgnoreErrorCode> {}

export interface IgnoreEntry {
  readonly id: string;
  readonly package?: string;
  readonly purl?: string;
  readonly path?: string;
  readonly reason: string;
  readonly owner?: string;
  /** ISO date or date-time; the entry stops ignoring after it. */
  readonly expires?: string;
}

export interface IgnoreFile {
  readonly path: string;
  readonly entries: readonly IgnoreEntry[];
}

const KEYS = new Set(['id', 'package', 'purl', 'path', 'reason', 'owner', 'expires']);
export const MAX_IGNOREFILE_BYTES = 4 * 1024 * 1024;

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number') return String(v);
  if (v instanceof Date) return v.toISOString();
  return undefined;
}

export function parseIgnoreFile(text: string, path = '.portcullisignore'): IgnoreFile {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new IgnoreError('IGNOREFILE_INVALID', `${path}: not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  if (doc === null || doc === undefined) return { path, entries: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new IgnoreError('IGNOREFILE_INVALID', `${path}: expected a mapping with a top-level "ignore:" list`);
  const list = (doc as Record<string, unknown>).ignore;
  if (list === undefined || list === null) return { path, entries: [] };
  if (!Array.isArray(list)) throw new IgnoreError('IGNOREFILE_INVALID', `${path}: "ignore" must be a list`);
  const entries: IgnoreEntry[] = list.map((raw, i) => {
    const where = `${path}: ignore[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new IgnoreError('IGNOREFILE_INVALID', `${where}: expected a mapping`);
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!KEYS.has(k)) throw new IgnoreError('IGNOREFILE_INVALID', `${where}: unknown key "${k}" (allowed: ${[...KEYS].join(', ')})`);
    const id = str(r.id);
    if (!id) throw new IgnoreError('IGNOREFILE_INVALID', `${where}: "id" is required`);
    const reason = str(r.reason);
    if (!reason) throw new IgnoreError('IGNOREFILE_INVALID', `${where} (${id}): "reason" is required`);
    const expires = str(r.expires);
    if (expires !== undefined && Number.isNaN(Date.parse(expires))) throw new IgnoreError('IGNOREFILE_INVALID', `${where} (${id}): "expires" is not a date: ${expires}`);
    const out: IgnoreEntry = { id, reason };
    const pkg = str(r.package);
    const purl = str(r.purl);
    const p = str(r.path);
    const owner = str(r.owner);
    return { ...out, ...(pkg ? { package: pkg } : {}), ...(purl ? { purl } : {}), ...(p ? { path: p } : {}), ...(owner ? { owner } : {}), ...(expires ? { expires } : {}) };
  });
  return { path, entries };
}

export async function loadIgnoreFile(path: string): Promise<IgnoreFile> {
  let text: string;
  try {
    const buf = await readRegularFile(path, { maxBytes: MAX_IGNOREFILE_BYTES });
    text = buf.toString('utf8');
  } catch (error) {
    if (error instanceof IgnoreError || error instanceof UserFileError) throw error;
    if (error instanceof CoreError && error.code === 'TOO_LARGE') throw new IgnoreError('IGNOREFILE_INVALID', `${path} is larger than ${MAX_IGNOREFILE_BYTES} bytes`, { cause: error });
    throw new IgnoreError('IGNOREFILE_INVALID', `cannot read ignore file ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseIgnoreFile(text, path);
}

/** End of the expiry day for a bare date (`2025-01-31` ignores through that day, UTC): core's reading, shared with the trust policy's CVE allowlist. */
export { expiryTime } from '../core/index.js';

/** Percent-decoded, or as written when the escapes are malformed (`%E0%A4%A`): a hostile purl is compared, never thrown on. */
function decodeOrRaw(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `pkg:type/ns/name@version?q#s` → `{base: 'pkg:type/ns/name', version}` (qualifiers and subpath dropped, lower-cased type). */
export function purlParts(purl: string): { base: string; version?: string } {
  const noQual = purl.split('#')[0]!.split('?')[0]!;
  const at = noQual.lastIndexOf('@');
  const slash = noQual.lastIndexOf('/');
  const base = at > slash ? noQual.slice(0, at) : noQual;
  const version = at > slash ? decodeOrRaw(noQual.slice(at + 1)) : undefined;
  const m = /^pkg:([^/]+)\/(.*)$/i.exec(base);
  return { base: m ? `pkg:${m[1]!.toLowerCase()}/${m[2]}` : base, ...(version !== undefined ? { version } : {}) };
}

/** True when the entry's purl names the package (any version when the entry has none). */
export function purlMatches(pattern: string, purl: string): boolean {
  const a = purlParts(pattern);
  const b = purlParts(purl);
  if (a.base !== b.base) return false;
  return a.version === undefined || a.version === b.version;
}

export function idMatches(id: string, finding: Finding): boolean {
  return finding.id === id || finding.aliases.includes(id);
}

export function entryMatches(entry: IgnoreEntry, finding: Finding): boolean {
  if (!idMatches(entry.id, finding)) return false;
  if (entry.package && entry.package !== finding.package.name && entry.package !== finding.package.source?.name) return false;
  if (entry.purl && !purlMatches(entry.purl, finding.package.purl)) return false;
  if (entry.path) {
    const p = finding.package.path.replace(/^\/+/, '');
    const want = entry.path.replace(/^\/+/, '');
    if (want.endsWith('*') ? !p.startsWith(want.slice(0, -1)) : p !== want) return false;
  }
  return true;
}

export interface OpenVexOptions {
  readonly author?: string;
  /** Product for entries with neither purl nor package (an image purl, e.g. `pkg:oci/app@sha256:…`). */
  readonly product?: string;
  readonly now?: Date;
  /** Leave out expired entries (default true). */
  readonly skipExpired?: boolean;
}

/**
 * The ignore file as an OpenVEX v0.2.0 document: one `not_affected`
 * statement per (unexpired) entry, the reason as `impact_statement`.
 */
export function ignoreToOpenVex(file: IgnoreFile, options: OpenVexOptions = {}): Record<string, unknown> {
  const now = options.now ?? new Date();
  const timestamp = now.toISOString();
  const statements = file.entries
    .filter((e) => options.skipExpired === false || !e.expires || expiryTime(e.expires) >= now.getTime())
    .map((e) => {
      const productId = e.purl ?? (e.package ? `pkg:generic/${encodeURIComponent(e.package)}` : options.product);
      return {
        vulnerability: { name: e.id },
        ...(productId ? { products: [{ '@id': productId }] } : {}),
        status: 'not_affected',
        impact_statement: e.owner ? `${e.reason} (owner: ${e.owner})` : e.reason,
        timestamp,
      };
    });
  const digestInput = JSON.stringify(statements.map((s) => [s.vulnerability.name, s.products ?? null, s.impact_statement]));
  let h = 0x811c9dc5;
  for (let i = 0; i < digestInput.length; i++) h = Math.imul(h ^ digestInput.charCodeAt(i), 0x01000193) >>> 0;
  return {
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': `https://openvex.dev/docs/public/portcullis-ignore-${h.toString(16).padStart(8, '0')}`,
    author: options.author ?? 'portcullis ignore export',
    timestamp,
    version: 1,
    tooling: 'portcullis',
    statements,
  };
}
