/**
 * `portcullis lint Dockerfile`: parse, run every registered check, apply
 * inline ignores and the rule configuration, sort by line then rule.
 */
import type { DockerfileLocation, HygieneFinding } from '../check.js';
import { applyRuleConfig, type RuleConfig } from '../config.js';
import type { EolData } from '../eol.js';
import { getRule } from '../rules.js';
import { DOCKERFILE_CHECKS } from './all.js';
import { DockerfileContext } from './context.js';
import { decodeDockerfile, DockerfileDocument } from './document.js';
import { ignoredByLine, scanIgnores } from './ignore.js';

export interface DockerfileFinding extends HygieneFinding {
  readonly location: DockerfileLocation;
}

export interface LintDockerfileOptions {
  /** The path to show in locations and warnings. */
  readonly file: string;
  /** Rules to enable/disable for the run (see applyRuleConfig). */
  readonly config?: RuleConfig;
  /** Size cap in bytes (default 1 MiB). */
  readonly maxBytes?: number;
  /** End-of-life data for dockerfile/base-eol (default the bundled data). */
  readonly eol?: EolData;
  /** The clock support ends are judged at (default now). */
  readonly now?: Date;
}

export interface LintDockerfileResult {
  /** Sorted by line, then rule id, then column. */
  readonly findings: DockerfileFinding[];
  /** Non-fatal problems: malformed ignore comments, unparseable shell, unresolved ARGs… as `file:line: message`. */
  readonly warnings: string[];
}

/**
 * Lint a Dockerfile's text (a string, or its bytes). Throws HygieneError
 * TOO_LARGE / DOCKERFILE_INVALID for input that is not a Dockerfile at all,
 * RULE_UNKNOWN for a bad config; syntax errors in the Dockerfile are
 * `dockerfile/syntax` findings and the rest of the file is still checked.
 */
export function lintDockerfile(input: string | Uint8Array, options: LintDockerfileOptions): LintDockerfileResult {
  const { file } = options;
  const text = decodeDockerfile(input, file, { maxBytes: options.maxBytes });
  const doc = new DockerfileDocument(file, text);
  const context = new DockerfileContext(doc, { ...(options.eol ? { eol: options.eol } : {}), ...(options.now ? { now: options.now } : {}) });
  for (const check of DOCKERFILE_CHECKS) check.check(context);

  const { ignores, problems } = scanIgnores(doc);
  const warnings = [...problems, ...context.warnings]
    .sort((a, b) => a.offset - b.offset)
    .map((w) => `${file}:${doc.positionAt(w.offset).line}: ${w.message}`);

  const ignored = ignoredByLine(ignores);
  const seen = new Set<string>();
  let findings: DockerfileFinding[] = [];
  for (const d of context.drafts) {
    const start = doc.positionAt(d.start);
    if (ignored.get(start.line - 1)?.has(d.ruleId)) continue;
    const end = d.end !== undefined && d.end > d.start ? doc.positionAt(d.end) : undefined;
    const key = `${d.ruleId}\u0000${d.start}\u0000${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const location: DockerfileLocation = {
      kind: 'dockerfile',
      file,
      line: start.line,
      column: start.column,
      ...(end ? { endLine: end.line, endColumn: end.column } : {}),
    };
    findings.push({
      ruleId: d.ruleId,
      severity: getRule(d.ruleId).severity,
      message: d.message,
      location,
      ...(d.fix !== undefined ? { fix: d.fix } : {}),
    });
  }
  if (options.config) findings = applyRuleConfig(findings, options.config);
  findings.sort(
    (a, b) =>
      a.location.line - b.location.line ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
      a.location.column - b.location.column,
  );
  return { findings, warnings: [...new Set(warnings)] };
}
