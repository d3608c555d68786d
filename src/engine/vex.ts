/**
 * VEX documents as suppressions: OpenVEX (v0.0.x and v0.2.0) and CycloneDX
 * VEX (a BOM with `vulnerabilities[].analysis`). Only `not_affected`
 * suppresses; every other status leaves the finding alone. A statement names
 * the vulnerability (matched against a finding's id or any alias) and the
 * products it covers: package purls (any version when the purl has none), or
 * an image product with `subcomponents` naming packages; a product that is
 * not a package purl and has no subcomponents covers every package of the
 * scanned target.
 */
import { appendAll, PortcullisError, type Finding, readRegularFile, UserFileError, CoreError } from '../core/index.js';
import { idMatches, purlMatches } from './ignore.js';

export type VexErrorCode = 'VEX_INVALID';
export class VexError extends PortcullisError<VexErrorCode> {}

export const MAX_VEX_BYTES = 32 * 1024 * 1024;

export interface VexStatement {
  /** The vulnerability id and its aliases as the document names them. */
  readonly ids: readonly string[];
  /** Package purls covered; empty means every package of the target. */
  readonly purls: readonly string[];
  readonly status: string;
  readonly justification?: string;
  readonly detail?: string;
  /** `openvex` or `cyclonedx`, and the file. */
  readonly source: string;
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function s(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

const PACKAGE_PURL = /^pkg:(?!oci\/|docker\/)/i;

function openVexStatements(doc: Record<string, unknown>, file: string): VexStatement[] {
  return arr(doc.statements).map((raw, i) => {
    const st = rec(raw);
    if (!st) throw new VexError('VEX_INVALID', `${file}: statements[${i}] is not an object`);
    const vuln = st.vulnerability;
    const v = rec(vuln);
    const ids = [s(vuln), s(v?.name), s(v?.['@id']), ...arr(v?.aliases).map(s)].filter((x): x is string => !!x);
    if (ids.length === 0) throw new VexError('VEX_INVALID', `${file}: statements[${i}] names no vulnerability`);
    const status = s(st.status);
    if (!status) throw new VexError('VEX_INVALID', `${file}: statements[${i}] has no status`);
    const purls: string[] = [];
    let everything = false;
    for (const p of arr(st.products)) {
      const prod = rec(p);
      const id = s(p) ?? s(prod?.['@id']);
      const subs = arr(prod?.subcomponents).map((x) => s(x) ?? s(rec(x)?.['@id'])).filter((x): x is string => !!x);
      const hashesPurl = s(rec(prod?.identifiers)?.purl);
      if (subs.length > 0) appendAll(purls, subs);
      else if (id && PACKAGE_PURL.test(id)) purls.push(id);
      else if (hashesPurl && PACKAGE_PURL.test(hashesPurl)) purls.push(hashesPurl);
      else everything = true;
    }
    const justification = s(st.justification);
    const detail = s(st.impact_statement) ?? s(st.status_notes);
    return {
      ids,
      purls: everything || arr(st.products).length === 0 ? [] : purls,
      status,
      ...(justification ? { justification } : {}),
      ...(detail ? { detail } : {}),
      source: `openvex ${file}`,
    };
  });
}

function cycloneDxStatements(doc: Record<string, unknown>, file: string): VexStatement[] {
  const refs = new Map<string, string>();
  // Nested components, walked with a list rather than recursion: the nesting depth is the document's.
  const pending: unknown[][] = [arr(doc.components)];
  for (let components = pending.pop(); components; components = pending.pop()) {
    for (const c of components) {
      const comp = rec(c);
      if (!comp) continue;
      const ref = s(comp['bom-ref']);
      const purl = s(comp.purl);
      if (ref && purl) refs.set(ref, purl);
      if (Array.isArray(comp.components)) pending.push(comp.components);
    }
  }
  const meta = rec(rec(doc.metadata)?.component);
  if (meta && s(meta['bom-ref']) && s(meta.purl)) refs.set(s(meta['bom-ref'])!, s(meta.purl)!);
  return arr(doc.vulnerabilities).map((raw, i) => {
    const v = rec(raw);
    if (!v) throw new VexError('VEX_INVALID', `${file}: vulnerabilities[${i}] is not an object`);
    const ids = [s(v.id), ...arr(v.references).map((r) => s(rec(r)?.id))].filter((x): x is string => !!x);
    if (ids.length === 0) throw new VexError('VEX_INVALID', `${file}: vulnerabilities[${i}] has no id`);
    const analysis = rec(v.analysis);
    const status = s(analysis?.state) ?? 'in_triage';
    const purls: string[] = [];
    let everything = false;
    for (const a of arr(v.affects)) {
      const ref = s(rec(a)?.ref);
      if (!ref) continue;
      const purl = refs.get(ref) ?? ref;
      if (PACKAGE_PURL.test(purl)) purls.push(purl);
      else everything = true;
    }
    const justification = s(analysis?.justification);
    const detail = s(analysis?.detail);
    return {
      ids,
      purls: everything || arr(v.affects).length === 0 ? [] : purls,
      status,
      ...(justification ? { justification } : {}),
      ...(detail ? { detail } : {}),
      source: `cyclonedx ${file}`,
    };
  });
}

export function parseVex(text: string, file = 'VEX'): VexStatement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new VexError('VEX_INVALID', `${file}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const root = rec(doc);
  if (!root) throw new VexError('VEX_INVALID', `${file}: not a JSON object`);
  const context = s(root['@context']);
  if (context?.startsWith('https://openvex.dev/ns') || Array.isArray(root.statements)) return openVexStatements(root, file);
  if (root.bomFormat === 'CycloneDX') return cycloneDxStatements(root, file);
  throw new VexError('VEX_INVALID', `${file}: neither an OpenVEX document nor a CycloneDX BOM`);
}

export async function loadVex(path: string): Promise<VexStatement[]> {
  let buf: Buffer;
  try {
    buf = await readRegularFile(path, { maxBytes: MAX_VEX_BYTES });
  } catch (error) {
    if (error instanceof UserFileError) throw error;
    if (error instanceof CoreError && error.code === 'TOO_LARGE') throw new VexError('VEX_INVALID', `${path} is larger than ${MAX_VEX_BYTES} bytes`, { cause: error });
    throw new VexError('VEX_INVALID', `cannot read VEX file ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseVex(buf.toString('utf8'), path);
}

/** True when the statement is about this finding's vulnerability and package. */
export function statementCovers(st: VexStatement, finding: Finding): boolean {
  if (!st.ids.some((id) => idMatches(id, finding))) return false;
  return st.purls.length === 0 || st.purls.some((p) => purlMatches(p, finding.package.purl));
}

/** `not_affected` suppresses (OpenVEX and CycloneDX spell it the same). */
export function suppresses(st: VexStatement): boolean {
  return st.status === 'not_affected';
}
