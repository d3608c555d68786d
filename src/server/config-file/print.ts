/**
 * `portcullis serve --print-config`: the effective settings as YAML, in the
 * file's own shape (so the output is a valid configuration file), secrets
 * shown as `***` (and a password inside the metadata URL too), each value
 * that a flag or an environment variable set marked with a comment naming it.
 */
import { Document, isScalar, type Scalar } from 'yaml';
import { KEYS } from './schema.js';
import type { ResolvedSettings } from './layers.js';

export const REDACTED = '***';

export function printSettings(resolved: ResolvedSettings, header: readonly string[] = []): string {
  const plain = structuredClone(resolved.settings) as Record<string, unknown>;
  for (const entry of KEYS) {
    const parent = parentOf(plain, entry.path);
    const name = entry.path.at(-1)!;
    if (!parent || parent[name] === undefined) continue;
    if (entry.key === 'metadata.url' || entry.key === 'scan.db') parent[name] = redactUrlPassword(String(parent[name]));
    else if (entry.secret) parent[name] = REDACTED;
  }
  // The bucket settings mean nothing with a folder, and a file that sets them without `kind: s3` is refused.
  const storage = plain.storage as { kind?: string; s3?: unknown } | undefined;
  if (storage && storage.kind !== 's3') delete storage.s3;
  dropEmptySections(plain);
  const doc = new Document(plain);
  for (const entry of KEYS) {
    const source = resolved.sourceOf(entry.key);
    if (source.kind !== 'flag' && source.kind !== 'env') continue;
    const node = doc.getIn(entry.path, true);
    if (isScalar(node)) (node as Scalar).comment = ` ${source.kind === 'flag' ? source.name : `$${source.name}`}`;
  }
  if (header.length > 0) doc.commentBefore = header.map((line) => ` ${line}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`. */
export function redactUrlPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, `$1:${REDACTED}@`);
}

function parentOf(root: Record<string, unknown>, path: readonly string[]): Record<string, unknown> | undefined {
  let node: unknown = root;
  for (const part of path.slice(0, -1)) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined;
}

/** Sections with nothing set (`tls: {}`) say nothing: leave them out. The schema is 4 levels deep; so is this recursion. */
function dropEmptySections(node: Record<string, unknown>): boolean {
  for (const [name, value] of Object.entries(node)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && dropEmptySections(value as Record<string, unknown>)) delete node[name];
  }
  return Object.keys(node).length === 0;
}
