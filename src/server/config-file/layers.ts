/**
 * The effective settings of `portcullis serve`, from layers in precedence
 * order: flag > environment > file > default (docs/serve.md, "Configuration
 * reference"). Each layer holds checked values for some keys; for every key
 * the highest layer that has a value wins, and remembers where it came from,
 * so that messages about a combination of keys name what the operator wrote
 * (`--htpasswd`, `portcullis.yaml:9:3: auth.htpasswd`, `AWS_REGION`) and
 * --print-config can say which values did not come from the file.
 */
import { SETTINGS_SCHEMA, KEYS, keyEntry, type KeyEntry, type Settings } from './schema.js';
import { shown } from './read.js';

export type Source =
  | { readonly kind: 'default' }
  | { readonly kind: 'file'; readonly where: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'flag'; readonly name: string };

export interface Layer {
  /** Values by key (`scan.workers`), already checked. */
  readonly values: ReadonlyMap<string, unknown>;
  source(entry: KeyEntry): Source;
}

export interface ResolvedSettings {
  readonly settings: Settings;
  /** Where a key's value came from (`default` when no layer set it). */
  sourceOf(key: string): Source;
}

const DEFAULT: Source = { kind: 'default' };

/** A flag's or environment variable's text as the key's value (numbers for counts); checked by `problemWith`. */
export function fromText(entry: KeyEntry, text: string): unknown {
  if (entry.kind === 'count' && /^\d{1,16}$/.test(text.trim())) return Number(text.trim());
  if (entry.kind === 'switch') return /^(true|1|yes)$/i.test(text) ? true : /^(false|0|no)$/i.test(text) ? false : text;
  return text;
}

/** What is wrong with a value for a key, in words ("expected …, got …"), or undefined when it is fine. */
export function problemWith(entry: KeyEntry, value: unknown): string | undefined {
  return entry.schema.safeParse(value).success ? undefined : `expected ${entry.expected}, got ${shown(value)}`;
}

/** Values of a nested object (as a file holds them) by key. */
export function flatten(values: Readonly<Record<string, unknown>>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const entry of KEYS) {
    let value: unknown = values;
    for (const part of entry.path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
    if (value !== undefined) out.set(entry.key, value);
  }
  return out;
}

/** Layers from lowest to highest precedence. */
export function resolveSettings(layers: readonly Layer[]): ResolvedSettings {
  const raw: Record<string, unknown> = {};
  const sources = new Map<string, Source>();
  for (const entry of KEYS) {
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]!;
      if (!layer.values.has(entry.key)) continue;
      let parent = raw;
      for (const part of entry.path.slice(0, -1)) parent = (parent[part] ??= {}) as Record<string, unknown>;
      parent[entry.path.at(-1)!] = layer.values.get(entry.key);
      sources.set(entry.key, layer.source(entry));
      break;
    }
  }
  for (const name of new Set([...layers.flatMap((l) => [...l.values.keys()])])) {
    if (!keyEntry(name)) throw new Error(`no setting is called ${name}`);
  }
  const settings = SETTINGS_SCHEMA.parse(raw);
  return { settings, sourceOf: (key) => sources.get(key) ?? DEFAULT };
}
