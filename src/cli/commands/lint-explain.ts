/**
 * `portcullis lint --explain [RULE]`: what a rule looks for, why it matters
 * and how to fix it, from the rule catalogue itself (src/hygiene/rules.ts,
 * the source of docs/lint-rules.md), so the explanation is at hand after a
 * global install, where the docs folder is not. Without RULE: the list.
 */
import type { Rule } from '../../hygiene/index.js';
import { HygieneError, RULES, findRule } from '../../hygiene/rules.js';
import { ExitCode } from '../exit-codes.js';
import { colorEnabled, painter, renderTable, type OutputStreams } from '../output.js';

export function lintExplain(ruleId: string | undefined, io: OutputStreams): number {
  const paint = painter(colorEnabled(io.stdout, io.env));
  if (ruleId === undefined) {
    io.stdout.write(renderTable(['RULE', 'SEVERITY', 'CIS', 'TITLE'], RULES.map((r) => [r.id, r.severity, r.cis ?? '', r.title]), paint));
    io.stdout.write('\nportcullis lint --explain RULE shows what a rule checks and how to fix it.\n');
    return ExitCode.Ok;
  }
  const rule = resolveRule(ruleId);
  const lines = [
    paint('bold', `${rule.id}: ${rule.title}`),
    `Severity: ${rule.severity}${rule.cis ? `; CIS Docker Benchmark ${rule.cis}` : ''}`,
    '',
    rule.description,
    '',
    paint('bold', 'Fix'),
    rule.fix,
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return ExitCode.Ok;
}

/** The rule by id; `no-healthcheck` alone finds `dockerfile/no-healthcheck` or `image/no-healthcheck` when only one has that name. */
function resolveRule(text: string): Rule {
  const exact = findRule(text);
  if (exact) return exact;
  const byName = RULES.filter((r) => r.id.endsWith(`/${text}`));
  if (byName.length === 1) return byName[0]!;
  const near = byName.length > 1 ? byName : RULES.filter((r) => r.id.includes(text));
  const hint = near.length > 0 ? `; did you mean ${near.slice(0, 5).map((r) => r.id).join(', ')}?` : '; "portcullis lint --explain" lists them';
  throw new HygieneError('RULE_UNKNOWN', `unknown rule id '${text}'${hint}`);
}
