/**
 * Runs every image check over the gathered facts, builds each finding's
 * location (path, layer, history entry with its command redacted), applies
 * the rule configuration, sorts most severe first.
 */
import { severityRank, type ImageLocation } from '../check.js';
import { applyRuleConfig, type RuleConfig } from '../config.js';
import { eolDataAgeWarning } from '../eol.js';
import { getRule } from '../rules.js';
import { redactText } from '../secrets/patterns.js';
import { IMAGE_CHECKS } from './all.js';
import { ImageLintContext, type ImageFacts, type ImageFinding } from './check.js';

export interface LintImageFactsOptions {
  readonly config?: RuleConfig;
  /** Where the EOL data came from (`bundled` or a path), for the age warning. */
  readonly eolFrom?: string;
}

export interface LintImageFactsResult {
  readonly findings: ImageFinding[];
  readonly warnings: string[];
}

export function compareImageFindings(a: ImageFinding, b: ImageFinding): number {
  const pa = a.location.path ?? '';
  const pb = b.location.path ?? '';
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
    (pa < pb ? -1 : pa > pb ? 1 : 0) ||
    (a.location.layer?.index ?? -1) - (b.location.layer?.index ?? -1)
  );
}

export function lintImageFacts(facts: ImageFacts, options: LintImageFactsOptions = {}): LintImageFactsResult {
  const ctx = new ImageLintContext(facts);
  for (const check of IMAGE_CHECKS) check.check(ctx);
  const age = eolDataAgeWarning(facts.eol, facts.now, options.eolFrom);
  if (age) ctx.warn(age);
  let findings: ImageFinding[] = ctx.drafts.map((d) => {
    const history = d.historyIndex !== undefined ? { historyIndex: d.historyIndex, createdBy: facts.config?.history?.[d.historyIndex]?.created_by } : d.layer ? ctx.historyOf(d.layer.index) : undefined;
    const location: ImageLocation = {
      kind: 'image',
      ...(d.path !== undefined ? { path: d.path } : {}),
      ...(d.layer ? { layer: d.layer } : {}),
      ...(history ? { historyIndex: history.historyIndex } : {}),
      ...(history?.createdBy ? { createdBy: redactText(history.createdBy) } : {}),
    };
    return {
      ruleId: d.ruleId,
      severity: getRule(d.ruleId).severity,
      message: d.message,
      location,
      ...(d.fix !== undefined ? { fix: d.fix } : {}),
    };
  });
  if (options.config) findings = applyRuleConfig(findings, options.config);
  findings.sort(compareImageFindings);
  return { findings, warnings: [...new Set(ctx.warnings)] };
}
