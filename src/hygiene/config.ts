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
