/**
 * Reads `portcullis serve --config FILE`: YAML 1.2 (the yaml package), checked
 * against the schema (schema.ts), every mistake reported on one line with the
 * file, line and column of its key:
 *
 *   portcullis.yaml:12:3: scan.workers: expected a whole number from 1 to 64, got "many"
 *   portcullis.yaml:4:3: scan.wrkers: unknown key (did you mean scan.workers?)
 *
 * The file is the operator's, but read as hostile input all the same: at most
 * 256 KiB; its nesting is measured on the yaml package's concrete syntax tree
 * (an iterative walk) before the document is composed, because composing a
 * few thousand nested `? ` or indented keys exhausts the process (observed:
 * a fatal out-of-memory in the yaml package's composer, not an exception);
 * aliases are expanded at most 50 times (no "billion laughs"); duplicate
 * keys are errors. Relative paths in the file are relative to the file's
 * folder, so a configuration reads the same whatever the working directory.
 */
import { dirname, resolve } from 'node:path';
import leven from 'leven';
import { Parser, isMap, isScalar, parseDocument, type Document, type ParsedNode } from 'yaml';
import type { z } from 'zod';
import { readRegularFile } from '../../core/index.js';
import { ServeError } from '../errors.js';
import { KEYS, SETTINGS_SCHEMA, keyEntry, sectionKeys, type KeyEntry } from './schema.js';

export const MAX_CONFIG_BYTES = 256 * 1024;
/** Far deeper than the schema (4 levels) and far below what the yaml composer survives. */
const MAX_NESTING = 32;
const MAX_ALIASES = 50;

export interface ConfigFile {
  /** As the operator named it (messages quote it so). */
  readonly name: string;
  /** Checked values as written, sections nested; relative paths resolved against the file's folder. */
  readonly values: Readonly<Record<string, unknown>>;
  /** `FILE:LINE:COL` of a key, for messages about a value that came from the file. */
  where(path: readonly string[]): string;
}

export async function readConfigFile(path: string): Promise<ConfigFile> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(path, { what: `the configuration file ${path}`, maxBytes: MAX_CONFIG_BYTES });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = code === 'TOO_LARGE' ? `it is over ${MAX_CONFIG_BYTES / 1024} KiB` : typeof code === 'string' ? code : (error as Error).message;
    throw new ServeError('CONFIG_FILE_INVALID', `cannot read the configuration file ${path}: ${reason}`, { cause: error });
  }
  return parseConfigText(bytes.toString('utf8'), path, dirname(resolve(path)));
}

/** Parses and checks a configuration held in memory; `folder` resolves its relative paths. */
export function parseConfigText(text: string, name: string, folder: string): ConfigFile {
  const at = positions(text, name);
  const fail = (offset: number, message: string): never => {
    throw new ServeError('CONFIG_FILE_INVALID', `${at(offset)}: ${message}`);
  };
  if (text.length > MAX_CONFIG_BYTES) fail(0, `the file is over ${MAX_CONFIG_BYTES / 1024} KiB`);
  const deep = deepestPoint(text);
  if (deep !== undefined) fail(deep, `nested more than ${MAX_NESTING} levels deep; a configuration needs 4`);

  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const syntax = doc.errors[0];
  if (syntax) fail(syntax.pos[0], `not valid YAML: ${syntax.message.split('\n')[0]}`);
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    fail(0, `not usable YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (js === null || js === undefined) js = {};
  if (typeof js !== 'object' || Array.isArray(js)) fail(0, `expected a mapping of settings (root, listen, storage, …), got ${shown(js)}`);

  const keyOffset = (path: readonly (string | number)[]): number => offsetOf(doc, path);
  const checked = SETTINGS_SCHEMA.safeParse(js);
  if (!checked.success) {
    // One problem per key: a value can break two rules of one key (a pattern and a range).
    const byKey = new Map(checked.error.issues.map((issue) => describe(issue, js, keyOffset)).map((p) => [`${p.offset} ${p.message}`, p]));
    const problems = [...byKey.values()].sort((a, b) => a.offset - b.offset);
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more ${problems.length === 2 ? 'problem' : 'problems'})` : '';
    fail(first.offset, `${first.message}${more}`);
  }
  const values = resolvePaths(js as Record<string, unknown>, folder);
  return { name, values, where: (path) => at(keyOffset(path)) };
}

/** `FILE:LINE:COL` of an offset (lines and columns from 1). */
function positions(text: string, name: string): (offset: number) => string {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return `${name}:${low + 1}:${offset - starts[low]! + 1}`;
  };
}

interface Problem {
  readonly offset: number;
  readonly message: string;
}

function describe(issue: z.core.$ZodIssue, js: unknown, keyOffset: (path: readonly (string | number)[]) => number): Problem {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    const unknown = issue.keys[0] ?? '';
    const full = [...path, unknown];
    return { offset: keyOffset(full), message: `${dotted(full)}: unknown key${suggestion(path, unknown)}` };
  }
  // The setting the issue is about: the longest prefix of its path that names one.
  for (let n = path.length; n > 0; n--) {
    const entry = keyEntry(dotted(path.slice(0, n)));
    if (entry) return { offset: keyOffset(path.slice(0, n)), message: `${entry.key}: expected ${entry.expected}, got ${shown(valueAt(js, path.slice(0, n)))}` };
  }
  const section = sectionKeys(path);
  if (section) return { offset: keyOffset(path), message: `${dotted(path) || 'the file'}: expected a mapping of settings (${section.slice(0, 4).join(', ')}${section.length > 4 ? ', …' : ''}), got ${shown(valueAt(js, path))}` };
  return { offset: keyOffset(path), message: `${dotted(path)}: ${issue.message}` };
}

/** "did you mean" from the keys beside it, else the same name in another section. */
function suggestion(section: readonly (string | number)[], unknown: string): string {
  const siblings = sectionKeys(section) ?? [];
  const near = siblings
    .map((name) => ({ name, distance: leven(name.toLowerCase(), unknown.toLowerCase()) }))
    .filter((c) => c.distance <= Math.max(2, Math.floor(c.name.length / 3)))
    .sort((a, b) => a.distance - b.distance)[0];
  if (near) return ` (did you mean ${dotted([...section, near.name])}?)`;
  const elsewhere = KEYS.filter((k: KeyEntry) => k.path.at(-1)!.toLowerCase() === unknown.toLowerCase() || k.path[0] === unknown).map((k) => k.path[0] === unknown ? k.path[0] : k.key);
  const unique = [...new Set(elsewhere)].slice(0, 3);
  if (unique.length > 0) return ` (did you mean ${unique.join(' or ')}?)`;
  return siblings.length > 0 ? ` (known here: ${siblings.join(', ')})` : '';
}

function dotted(path: readonly (string | number)[]): string {
  return path.map(String).join('.');
}

function valueAt(js: unknown, path: readonly (string | number)[]): unknown {
  let value = js;
  for (const part of path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[String(part)] : undefined;
  return value;
}

/** A value as an error message shows it: strings quoted, at most 60 characters. */
export function shown(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** Offset of the key at `path` (as deep as the document goes), else of the document. */
function offsetOf(doc: Document.Parsed, path: readonly (string | number)[]): number {
  let node: ParsedNode | null = doc.contents;
  let offset = node?.range[0] ?? 0;
  for (const part of path) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
    if (!pair) break;
    offset = isScalar(pair.key) && pair.key.range ? pair.key.range[0] : offset;
    node = pair.value as ParsedNode | null;
  }
  return offset;
}

/** Where the text first nests deeper than MAX_NESTING collections, from the concrete syntax tree; undefined when it never does. */
function deepestPoint(text: string): number | undefined {
  const stack: Array<{ node: unknown; depth: number }> = [];
  for (const token of new Parser().parse(text)) stack.push({ node: token, depth: 0 });
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    const token = node as { type?: string; offset?: number; items?: unknown[]; value?: unknown; key?: unknown; sep?: unknown };
    const collection = token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection';
    const level = collection ? depth + 1 : depth;
    if (level > MAX_NESTING) return token.offset ?? 0;
    if (token.value !== undefined) stack.push({ node: token.value, depth: level });
    if (Array.isArray(token.items)) {
      for (const item of token.items) {
        const entry = item as { key?: unknown; value?: unknown };
        if (entry.key) stack.push({ node: entry.key, depth: level });
        if (entry.value) stack.push({ node: entry.value, depth: level });
      }
    }
  }
  return undefined;
}

function resolvePaths(values: Record<string, unknown>, folder: string): Record<string, unknown> {
  const copy = structuredClone(values);
  for (const entry of KEYS) {
    if (entry.kind !== 'path') continue;
    const parent = valueAt(copy, entry.path.slice(0, -1)) as Record<string, unknown> | undefined;
    const name = entry.path.at(-1)!;
    // scan.db may name the PostgreSQL advisory store: a URL, not a path.
    if (parent && typeof parent[name] === 'string' && !/^postgres(ql)?:\/\//i.test(parent[name] as string)) parent[name] = resolve(folder, parent[name] as string);
  }
  return copy;
}
