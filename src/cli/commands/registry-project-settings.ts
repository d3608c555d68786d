/**
 * `portcullis registry project settings PROJECT [--quota SIZE]
 * [--untagged-retention DURATION] [--retention-file FILE]
 * [--deny-severity LEVEL] [--trust-policy FILE]`: shows a project's own settings (lifecycle and
 * vulnerability threshold), or changes them, through
 * `/api/v1/projects/PROJECT/settings`. The API replaces the whole object;
 * this command reads it first and changes only the keys given, so
 * `--quota 20GiB` keeps the retention rules (`none` clears a key: the
 * operator's default applies again). The rules file holds the list of rules
 * in YAML or JSON, as under `retention:` in the `--project-settings` file;
 * the trust policy file one mapping (keys, threshold, attestations,
 * cveAllowlist), as under `trustPolicy:` there;
 * validation is the server's (one line naming the key, exit 2).
 */
import { parse as parseYaml } from 'yaml';
import { readRegularFile } from '../../core/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../flags.js';
import type { OutputStreams } from '../output.js';
import { connect, print, type AdminOptions } from './registry-admin.js';

export interface SettingsOptions extends AdminOptions {
  quota?: string;
  untaggedRetention?: string;
  retentionFile?: string;
  /** CRITICAL … UNKNOWN (any case), or none. */
  denySeverity?: string;
  /** A YAML or JSON file with the project's trust policy, or none. */
  trustPolicy?: string;
}

const MAX_RULES_FILE = 256 * 1024;

export async function projectSettingsCommand(project: string, options: SettingsOptions, io: OutputStreams): Promise<number> {
  const rules = options.retentionFile === undefined ? undefined : await readRules(options.retentionFile);
  const trustPolicy = options.trustPolicy === undefined ? undefined : options.trustPolicy.trim() === 'none' ? null : await readYamlFile(options.trustPolicy, '--trust-policy');
  const client = await connect(options, io);
  const path = `/projects/${encodeURIComponent(project)}/settings`;
  let settings = asObject(await client.call('GET', path));
  const changing = options.quota !== undefined || options.untaggedRetention !== undefined || rules !== undefined || options.denySeverity !== undefined || trustPolicy !== undefined;
  if (changing) {
    const next: Record<string, unknown> = { ...settings };
    if (options.quota !== undefined) next.quota = noneOr(options.quota);
    if (options.untaggedRetention !== undefined) next.untaggedRetention = noneOr(options.untaggedRetention);
    if (rules !== undefined) next.retention = rules;
    if (options.denySeverity !== undefined) next.denySeverity = noneOr(options.denySeverity)?.trim().toUpperCase() ?? null;
    if (trustPolicy !== undefined) next.trustPolicy = trustPolicy;
    settings = asObject(await client.call('PUT', path, next));
    io.stderr.write(`changed the settings of project ${project}\n`);
  }
  if (options.format === 'json') {
    io.stdout.write(`${JSON.stringify(settings, null, 2)}\n`);
    return ExitCode.Ok;
  }
  const row = { quota: settings.quota, untaggedRetention: settings.untaggedRetention, retentionRules: Array.isArray(settings.retention) ? settings.retention.length : null, denySeverity: settings.denySeverity, trustPolicy: settings.trustPolicy ? 'set' : null };
  print(io, options, [row], ['quota', 'untaggedRetention', 'retentionRules', 'denySeverity', 'trustPolicy']);
  if (Array.isArray(settings.retention)) for (const rule of settings.retention) io.stdout.write(`  ${JSON.stringify(rule)}\n`);
  if (settings.trustPolicy) io.stdout.write(`  trustPolicy: ${JSON.stringify(settings.trustPolicy)}\n`);
  return ExitCode.Ok;
}

function noneOr(value: string): string | null {
  return value.trim() === 'none' ? null : value;
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The trust policy file: one YAML or JSON mapping (the server validates it). */
async function readYamlFile(path: string, flag: string): Promise<unknown> {
  let text: string;
  try {
    text = (await readRegularFile(path, { what: `${flag} ${path}`, maxBytes: MAX_RULES_FILE })).toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag}: cannot read ${path}: ${typeof code === 'string' ? code : (error as Error).message}`);
  }
  try {
    return parseYaml(text, { maxAliasCount: 100 }) ?? null;
  } catch (error) {
    throw new UsageError(`${flag} ${path}: not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** The rules file: a YAML or JSON list (empty: every tag kept), or nothing (`null`, an empty file: the operator's default). */
async function readRules(path: string): Promise<unknown> {
  let text: string;
  try {
    text = (await readRegularFile(path, { what: `--retention-file ${path}`, maxBytes: MAX_RULES_FILE })).toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--retention-file: cannot read ${path}: ${typeof code === 'string' ? code : (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new UsageError(`--retention-file ${path}: not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new UsageError(`--retention-file ${path}: must hold a list of rules (- tags: "v*"\\n  keepLast: 10)`);
  return value;
}
