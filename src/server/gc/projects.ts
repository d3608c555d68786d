/**
 * Per-project settings: how long untagged manifests are kept, which tags
 * retention keeps, the storage quota, and the project's own vulnerability
 * threshold (`denySeverity`, read by the pull policy, policy.ts: it can only
 * tighten the registry's). A project is the first path
 * component of a repository name (`team` for `team/app/api`, `app` for
 * `app`), as Harbor and Quay name namespaces.
 *
 * Settings reach the registry through `ProjectSettingsProvider`, a one-method
 * interface, so that where they live can change without touching garbage
 * collection or the API: today `StaticProjectSettings` built from a YAML or
 * JSON section (`portcullis serve --project-settings FILE`), later the
 * projects of the accounts work or a section of the configuration file.
 *
 * The section:
 *
 *   defaults:                    # every project without its own value
 *     untaggedRetention: 7d
 *   projects:
 *     team:
 *       quota: 10GiB             # unique blob bytes, manifests included
 *       denySeverity: HIGH       # refuse this project's images with HIGH or worse (or no complete scan)
 *       trustPolicy:             # trust requirements added to the registry's (project-trust-policy.ts)
 *         keys: [3f2a9c81d0e4]
 *         attestations: [{type: vuln, maxAge: 7d, condition: no CRITICAL finding}]
 *       untaggedRetention: 3d
 *       retention:               # tags kept; every other tag is removed by GC
 *         - tags: "v*"           # `*` and `?` patterns, or a list of them
 *           keepLast: 10         # the 10 most recently pushed matching tags…
 *         - tags: "*"
 *           keepYoungerThan: 30d # …and every tag pushed within 30 days
 *
 * Without `retention` (or with an empty list) every tag is kept. A rule keeps
 * a tag when the tag matches and it is among the `keepLast` newest matching
 * tags of its repository, or younger than `keepYoungerThan` (a rule with both
 * keeps either); a tag no rule keeps is removed, and its manifest becomes
 * untagged (and goes after `untaggedRetention`). Accessory tags
 * (`sha256-<hex>.sig`…) are never subject to rules: they follow their subject.
 */
import { parse as parseYaml } from 'yaml';
import { SEVERITY_ORDER, type SeverityLevel } from '../../core/index.js';
import type { PolicyEntry } from '../../trust/index.js';
import { ServeError } from '../errors.js';
import { projectTrustPolicy } from '../project-trust-policy.js';
import { isTagPattern } from './tag-pattern.js';

export interface RetentionRule {
  /** Tag patterns (`*`, `?`); a tag matching any of them is considered by this rule. */
  readonly tags: readonly string[];
  /** Keep the newest N matching tags of each repository (by when the tag was last pushed). */
  readonly keepLast?: number;
  /** Keep matching tags pushed within this many milliseconds. */
  readonly keepYoungerThanMs?: number;
}

export interface ProjectSettings {
  /** Bytes of distinct blobs (manifests included) the project may hold; absent: no quota. */
  readonly quotaBytes?: number;
  /** How long an untagged manifest is kept before GC collects it; absent: the collector's default (7 days). */
  readonly untaggedRetentionMs?: number;
  /** Tags kept by retention; absent or empty: all of them. */
  readonly retention?: readonly RetentionRule[];
  /** Refuse this project's images with a finding at or above this level, or without a complete scan; the stricter of this and the registry's applies. */
  readonly denySeverity?: SeverityLevel;
  /** Trust requirements added to the registry's policy for this project's images (project-trust-policy.ts). */
  readonly trustPolicy?: PolicyEntry;
}

export interface ProjectSettingsProvider {
  settingsFor(project: string): Promise<ProjectSettings>;
}

/** The project of a repository: its first path component. */
export function projectOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(0, slash);
}

/** No quotas, no rules: every project gets the collector's defaults. */
export const NO_PROJECT_SETTINGS: ProjectSettingsProvider = { settingsFor: async () => ({}) };

/** Settings from a parsed section: a project's own values over the defaults, key by key. */
export class StaticProjectSettings implements ProjectSettingsProvider {
  readonly #defaults: ProjectSettings;
  readonly #projects: ReadonlyMap<string, ProjectSettings>;

  constructor(defaults: ProjectSettings, projects: ReadonlyMap<string, ProjectSettings>) {
    this.#defaults = defaults;
    this.#projects = projects;
  }

  async settingsFor(project: string): Promise<ProjectSettings> {
    const own = this.#projects.get(project);
    return own === undefined ? this.#defaults : { ...this.#defaults, ...own };
  }

  /** What every project without a value of its own gets (the file's `defaults`). */
  defaults(): ProjectSettings {
    return this.#defaults;
  }

  /** The projects that have settings of their own. */
  projects(): string[] {
    return [...this.#projects.keys()].sort();
  }
}

/** Reads the section from YAML or JSON text (JSON is YAML); `source` names it in errors. */
export function parseProjectSettings(text: string, source: string): StaticProjectSettings {
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw invalid(source, `is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  return projectSettingsFromValue(value ?? {}, source);
}

/** Validates an already parsed section (for a configuration file that holds it under a key of its own). */
export function projectSettingsFromValue(value: unknown, source: string): StaticProjectSettings {
  const root = record(value, source, '(top level)');
  for (const key of Object.keys(root)) if (key !== 'defaults' && key !== 'projects') throw invalid(source, `${key}: unknown key (expected defaults, projects)`);
  const defaults = root.defaults === undefined ? {} : settingsOf(root.defaults, source, 'defaults');
  const projects = new Map<string, ProjectSettings>();
  if (root.projects !== undefined) {
    for (const [name, settings] of Object.entries(record(root.projects, source, 'projects'))) {
      if (!/^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/.test(name)) throw invalid(source, `projects.${name}: not a project name (the first component of a repository name)`);
      projects.set(name, settingsOf(settings, source, `projects.${name}`));
    }
  }
  return new StaticProjectSettings(defaults, projects);
}

/**
 * One project's settings (`quota`, `untaggedRetention`, `retention`, `denySeverity`), as the
 * file holds them under `projects.NAME` and the admin API stores them; errors
 * say "`source`: key: what is wrong" (CONFIG_INVALID).
 */
export function oneProjectSettings(value: unknown, source: string): ProjectSettings {
  return settingsOf(value, source, '');
}

function settingsOf(value: unknown, source: string, path: string): ProjectSettings {
  const at = (key: string): string => (path === '' ? key : `${path}.${key}`);
  const fields = record(value, source, path === '' ? '(top level)' : path);
  const known = ['quota', 'untaggedRetention', 'retention', 'denySeverity', 'trustPolicy'];
  for (const key of Object.keys(fields)) if (!known.includes(key)) throw invalid(source, `${at(key)}: unknown key (expected ${known.join(', ')})`);
  const out: { quotaBytes?: number; untaggedRetentionMs?: number; retention?: RetentionRule[]; denySeverity?: SeverityLevel; trustPolicy?: PolicyEntry } = {};
  if (fields.quota !== undefined) out.quotaBytes = parseSize(fields.quota, source, at('quota'));
  if (fields.untaggedRetention !== undefined) out.untaggedRetentionMs = parseDuration(fields.untaggedRetention, source, at('untaggedRetention'));
  if (fields.denySeverity !== undefined) out.denySeverity = parseSeverity(fields.denySeverity, source, at('denySeverity'));
  if (fields.trustPolicy !== undefined) out.trustPolicy = projectTrustPolicy(fields.trustPolicy, source, at('trustPolicy'), path.startsWith('projects.') ? path.slice('projects.'.length) : undefined);
  if (fields.retention !== undefined) {
    if (!Array.isArray(fields.retention)) throw invalid(source, `${at('retention')}: must be a list of rules`);
    if (fields.retention.length > 100) throw invalid(source, `${at('retention')}: at most 100 rules`);
    out.retention = fields.retention.map((rule: unknown, i: number) => ruleOf(rule, source, `${at('retention')}[${i}]`));
  }
  return out;
}

function ruleOf(value: unknown, source: string, path: string): RetentionRule {
  const fields = record(value, source, path);
  for (const key of Object.keys(fields)) {
    if (!['tags', 'keepLast', 'keepYoungerThan'].includes(key)) throw invalid(source, `${path}.${key}: unknown key (expected tags, keepLast, keepYoungerThan)`);
  }
  const tags = typeof fields.tags === 'string' ? [fields.tags] : fields.tags;
  if (!Array.isArray(tags) || tags.length === 0 || tags.length > 100 || !tags.every((t): t is string => typeof t === 'string' && isTagPattern(t))) {
    throw invalid(source, `${path}.tags: a tag pattern (letters, digits, . _ -, * and ?) or a list of 1 to 100 of them`);
  }
  if (fields.keepLast === undefined && fields.keepYoungerThan === undefined) throw invalid(source, `${path}: say keepLast, keepYoungerThan or both`);
  const keepLast = fields.keepLast;
  if (keepLast !== undefined && !(typeof keepLast === 'number' && Number.isSafeInteger(keepLast) && keepLast >= 0)) {
    throw invalid(source, `${path}.keepLast: a whole number of at least 0`);
  }
  return {
    tags,
    ...(keepLast !== undefined ? { keepLast } : {}),
    ...(fields.keepYoungerThan !== undefined ? { keepYoungerThanMs: parseDuration(fields.keepYoungerThan, source, `${path}.keepYoungerThan`) } : {}),
  };
}

function parseSeverity(value: unknown, source: string, path: string): SeverityLevel {
  const level = SEVERITY_ORDER.find((s) => s === value);
  if (!level) throw invalid(source, `${path}: one of ${SEVERITY_ORDER.join(', ')}`);
  return level;
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** `90s`, `30m`, `12h`, `7d`, `2w` → milliseconds (`0` too). */
export function parseDuration(value: unknown, source: string, path: string): number {
  const m = typeof value === 'string' || typeof value === 'number' ? /^(\d{1,9})\s*([smhdw])?$/.exec(String(value).trim()) : null;
  if (!m || (m[2] === undefined && m[1] !== '0')) throw invalid(source, `${path}: a duration such as 30m, 12h, 7d or 2w`);
  return Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] ?? 1000);
}

/** `500MB`, `10GiB`, `1TiB`, or a number of bytes. */
export function parseSize(value: unknown, source: string, path: string): number {
  const m = typeof value === 'string' || typeof value === 'number' ? /^(\d{1,15}(?:\.\d{1,6})?)\s*([kmgt]i?b|b)?$/i.exec(String(value).trim()) : null;
  const bytes = m ? Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1)) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw invalid(source, `${path}: a size such as 500MB, 10GiB or a number of bytes`);
  return bytes;
}

function record(value: unknown, source: string, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(source, `${path}: must be a mapping`);
  return value as Record<string, unknown>;
}

function invalid(source: string, message: string): ServeError {
  return new ServeError('CONFIG_INVALID', `${source}: ${message}`);
}
