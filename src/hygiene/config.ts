/**
 * Rule selection from configuration: `enable` is an allow-list (when given,
 * only those rules are reported; `dockerfile/syntax` is kept unless disabled),
 * `disable` removes rules. Both take ids from the catalogue; an unknown id is a
 * RULE_UNKNOWN error, so a typo in a config file cannot silently do nothing.
 */
import type { HygieneFinding } from './check.js';
import { HygieneError } from './errors.js';
import { findRule } from './rules.js';

export interface RuleConfig {
  readonly enable?: readonly string[];
  readonly disable?: readonly string[];
}

/** Rules that stay on when an `enable` list is given, unless disabled by name. */
const ALWAYS_ON = new Set(['dockerfile/syntax']);

function validate(ids: readonly string[] | undefined, key: string): Set<string> | undefined {
  if (ids === undefined) return undefined;
  for (const id of ids) {
    if (!findRule(id)) throw new HygieneError('RULE_UNKNOWN', `${key}: unknown rule id '${id}'`);
  }
  return new Set(ids);
}

/** The findings the configuration lets through, in their order. Throws RULE_UNKNOWN on an unknown id. */
export function applyRuleConfig<F extends Pick<HygieneFinding, 'ruleId'>>(findings: readonly F[], config: RuleConfig = {}): F[] {
  const enable = validate(config.enable, 'enable');
  const disable = validate(config.disable, 'disable');
  return findings.filter((f) => {
    if (disable?.has(f.ruleId)) return false;
    if (enable && !enable.has(f.ruleId) && !ALWAYS_ON.has(f.ruleId)) return false;
    return true;
  });
}

/** The `lint:` section of `.portcullis.yaml` (or a `--config` file). */
export interface LintConfig extends RuleConfig {
  /** Warn this many days before an end of life (default 90). */
  readonly eolWarnDays?: number;
  /** An image older than this many days is stale (default 90). */
  readonly staleDays?: number;
}

const LINT_KEYS = new Set(['enable', 'disable', 'eolWarnDays', 'staleDays']);

/**
 * Reads the `lint:` section of a parsed configuration document (the whole
 * document when it has no `lint:` key but only lint keys). Throws
 * CONFIG_INVALID for unknown keys or wrong types, RULE_UNKNOWN for unknown ids.
 */
export function lintConfigFrom(doc: unknown, what: string): LintConfig {
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new HygieneError('CONFIG_INVALID', `${what}: expected a mapping`);
  const record = doc as Record<string, unknown>;
  const section = 'lint' in record ? record.lint : Object.keys(record).every((k) => LINT_KEYS.has(k)) ? record : undefined;
  if (section === undefined || section === null) return {};
  if (typeof section !== 'object' || Array.isArray(section)) throw new HygieneError('CONFIG_INVALID', `${what}: "lint" must be a mapping`);
  const s = section as Record<string, unknown>;
  for (const k of Object.keys(s)) {
    if (!LINT_KEYS.has(k)) throw new HygieneError('CONFIG_INVALID', `${what}: lint.${k} is not a setting (known: ${[...LINT_KEYS].join(', ')})`);
  }
  const list = (key: 'enable' | 'disable'): string[] | undefined => {
    const v = s[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new HygieneError('CONFIG_INVALID', `${what}: lint.${key} must be a list of rule ids`);
    validate(v as string[], `${what}: lint.${key}`);
    return v as string[];
  };
  const days = (key: 'eolWarnDays' | 'staleDays'): number | undefined => {
    const v = s[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new HygieneError('CONFIG_INVALID', `${what}: lint.${key} must be a whole number of days`);
    return v;
  };
  const enable = list('enable');
  const disable = list('disable');
  const eolWarnDays = days('eolWarnDays');
  const staleDays = days('staleDays');
  return {
    ...(enable ? { enable } : {}),
    ...(disable ? { disable } : {}),
    ...(eolWarnDays !== undefined ? { eolWarnDays } : {}),
    ...(staleDays !== undefined ? { staleDays } : {}),
  };
}
