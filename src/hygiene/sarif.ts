/**
 * Lint findings as SARIF 2.1.0, through the generic builder
 * (src/report/sarif-builder.ts): one rule per catalogue entry used, with its
 * documentation as help; Dockerfile findings point at line and column, image
 * findings at the file inside the image (or the image itself) with the layer
 * in the message and properties. Suppressed findings (ignore file) are kept
 * with an external suppression, as GitHub expects.
 */
import { createHash } from 'node:crypto';
import { SarifBuilder, type SarifLevel, type SarifLocationInput, DEFAULT_TOOL } from '../report/index.js';
import type { HygieneFinding, Severity } from './check.js';
import { findRule } from './rules.js';

const DOCS_URI = `${DEFAULT_TOOL.informationUri ?? ''}/blob/main/docs/lint-rules.md`;

const LEVEL: Readonly<Record<Severity, SarifLevel>> = { CRITICAL: 'error', HIGH: 'error', MEDIUM: 'warning', LOW: 'note', INFO: 'note' };
/** GitHub's security-severity bands: critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low > 0. */
const SECURITY_SEVERITY: Readonly<Record<Severity, number>> = { CRITICAL: 9.5, HIGH: 8.0, MEDIUM: 5.5, LOW: 3.0, INFO: 0.0 };

export interface LintSarifOptions {
  /** The inventory's reasons for being incomplete: the run's invocation says `executionSuccessful: false`. */
  readonly incomplete?: readonly string[];
  /** What was linted, as the user named it; the artifact for image findings without a path. */
  readonly target: string;
  /** Default: the report writers' tool version. */
  readonly toolVersion?: string;
  readonly suppressed?: readonly { readonly finding: HygieneFinding; readonly reason: string }[];
}

function location(f: HygieneFinding, target: string): SarifLocationInput {
  const l = f.location;
  if (l.kind === 'dockerfile') {
    return {
      uri: l.file,
      startLine: l.line,
      startColumn: l.column,
      ...(l.endLine !== undefined ? { endLine: l.endLine } : {}),
      ...(l.endColumn !== undefined ? { endColumn: l.endColumn } : {}),
    };
  }
  const layer = l.layer ? ` (layer ${l.layer.index}, ${l.layer.digest})` : '';
  return { uri: l.path ?? target, message: `${l.path ? `/${l.path}` : target}${layer}` };
}

function fingerprint(f: HygieneFinding): string {
  const l = f.location;
  const where = l.kind === 'dockerfile' ? `${l.file}:${l.line}:${l.column}` : `${l.path ?? ''}@${l.layer?.diffId ?? l.layer?.digest ?? ''}#${l.historyIndex ?? ''}`;
  return createHash('sha256').update(`${f.ruleId}\u0000${where}\u0000${f.message}`).digest('hex').slice(0, 32);
}

/** The SARIF log (an object) for lint findings. */
export function lintToSarif(findings: readonly HygieneFinding[], options: LintSarifOptions): ReturnType<SarifBuilder['build']> {
  const builder = new SarifBuilder({ name: 'portcullis-lint', fullName: 'portcullis lint', version: options.toolVersion ?? DEFAULT_TOOL.version, ...(DEFAULT_TOOL.informationUri ? { informationUri: DEFAULT_TOOL.informationUri } : {}) });
  if (options.incomplete?.length) builder.setIncomplete(options.incomplete);
  const add = (f: HygieneFinding, suppression?: string): void => {
    const rule = findRule(f.ruleId);
    builder.addRule({
      id: f.ruleId,
      shortDescription: rule?.title ?? f.ruleId,
      fullDescription: rule?.description ?? f.ruleId,
      helpText: rule ? `${rule.description}\n\nFix: ${rule.fix}` : f.ruleId,
      ...(rule ? { helpMarkdown: `${rule.description}\n\n**Fix.** ${rule.fix}`, helpUri: `${DOCS_URI}#${rule.docsAnchor}` } : {}),
      securitySeverity: SECURITY_SEVERITY[f.severity],
      level: LEVEL[f.severity],
      tags: ['security', 'hygiene', f.ruleId.startsWith('image/') ? 'image' : 'dockerfile', ...(rule?.cis ? [`cis-docker-${rule.cis}`] : [])],
      precision: 'high',
    });
    const l = f.location;
    builder.addResult({
      ruleId: f.ruleId,
      level: LEVEL[f.severity],
      message: f.message,
      locations: [location(f, options.target)],
      partialFingerprints: { 'portcullisLint/v1': fingerprint(f) },
      properties: {
        severity: f.severity,
        ...(l.kind === 'image' && l.layer ? { layer: l.layer.index, layerDigest: l.layer.digest } : {}),
        ...(l.kind === 'image' && l.historyIndex !== undefined ? { historyIndex: l.historyIndex } : {}),
        ...(f.fix ? { fix: f.fix } : {}),
      },
      ...(suppression !== undefined ? { suppression: { kind: 'external' as const, justification: suppression } } : {}),
    });
  };
  for (const f of findings) add(f);
  for (const s of options.suppressed ?? []) add(s.finding, s.reason);
  builder.setRunProperty('target', options.target);
  return builder.build();
}
