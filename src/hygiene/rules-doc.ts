/**
 * docs/lint-rules.md, generated from the rule catalogue. Regenerate with
 * `npx tsx scripts/lint-rules-doc.ts`; test/hygiene/rules.test.ts fails when
 * the committed file differs from what this returns.
 */
import type { Rule } from './check.js';
import { RULES } from './rules.js';

export const RULES_DOC_PATH = 'docs/lint-rules.md';

const CIS_NOTE = 'CIS Docker Benchmark v1.6.0';

function entry(rule: Rule): string {
  const facts = [`**Severity:** ${rule.severity}`];
  if (rule.cis) facts.push(`**CIS:** ${CIS_NOTE} ${rule.cis}`);
  return [
    `<a id="${rule.docsAnchor}"></a>`,
    `### \`${rule.id}\` — ${rule.title}`,
    '',
    facts.join(' · '),
    '',
    rule.description,
    '',
    '**Fix.** ' + (rule.fix.startsWith('```') ? '\n\n' + rule.fix : rule.fix),
    '',
  ].join('\n');
}

function table(rules: readonly Rule[]): string {
  const rows = rules.map((r) => `| [\`${r.id}\`](#${r.docsAnchor}) | ${r.severity} | ${r.cis ?? ''} | ${r.title} |`);
  return ['| Rule | Severity | CIS | Title |', '|---|---|---|---|', ...rows].join('\n');
}

/** The full Markdown of docs/lint-rules.md for the given rules (default: the catalogue). */
export function renderRulesDoc(rules: readonly Rule[] = RULES): string {
  const dockerfile = rules.filter((r) => r.id.startsWith('dockerfile/'));
  const image = rules.filter((r) => r.id.startsWith('image/'));
  const parts = [
    '<!-- Generated from src/hygiene/rules.ts by `npx tsx scripts/lint-rules-doc.ts`. Do not edit by hand. -->',
    '# Lint rules',
    '',
    'Every hygiene finding carries a stable rule id, a severity, a one-line message naming the evidence and a location.',
    `The CIS column names the matching recommendation of the ${CIS_NOTE}, where one exists.`,
    '',
    '## Dockerfile rules (`portcullis lint Dockerfile`)',
    '',
    'Locations are 1-based line and column (`endColumn` is the column just after the evidence, as in SARIF). Only the final stage (the default build target) is checked for `USER`, `HEALTHCHECK`, `EXPOSE` and the container command; an earlier stage it is built `FROM` counts as part of it.',
    '',
    table(dockerfile),
    '',
    '### Ignoring a finding',
    '',
    'A comment on the line (or block of comment lines) directly before an instruction suppresses the named rules for that instruction:',
    '',
    '```dockerfile',
    '# portcullis-ignore dockerfile/pipe-to-shell,dockerfile/apt-lists-kept vendor installer, checked by hand',
    'RUN curl -fsSL https://example.com/install.sh | sh',
    '```',
    '',
    'The rule ids are separated by commas (no spaces); anything after them is a free-form reason. Findings that point at a `FROM` line (`dockerfile/runs-as-root` when there is no `USER`, `dockerfile/no-healthcheck`) are suppressed by a comment before that `FROM`. An unknown rule id in the comment is reported as a warning.',
    '',
    'A configuration can switch rules off for a whole run: `disable` removes the listed rules; `enable`, when given, keeps only the listed rules (`dockerfile/syntax` is kept unless disabled). Unknown rule ids in a configuration are an error (`RULE_UNKNOWN`).',
    '',
    ...dockerfile.map(entry),
    '## Image rules',
    '',
    image.length === 0 ? '_None yet._\n' : table(image) + '\n',
    ...image.map(entry),
  ];
  return parts.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
