/**
 * `portcullis policy check IMAGE [--policy FILE]`: the trust policy's decision
 * for one image, explained rule by rule: which entry matched (file:line and its
 * globs), each requirement met or unmet and why, the CVE allowlist in force and
 * the entries that expired. The same verification and evaluation as `verify`,
 * `pull` under content trust and `serve --require-signature` (verifyImage,
 * with attestations read), so the explanation is the decision those gates make,
 * not a second implementation of it.
 *
 * Exit 0 when the policy allows the image (or warns), 1 when it refuses
 * (docs/exit-codes.md); other failures keep their codes.
 */
import { verifyImage, type VerifyReport } from '../../engine/trust/index.js';
import { allowlistState, findEntry, type PolicyEntry } from '../../trust/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { colorEnabled, painter, writeJson, type OutputStreams } from '../output.js';
import { parseFormat } from './shared.js';
import { loadPolicy, openKeyStoreFromEnv } from './trust-shared.js';

export interface PolicyCheckOptions extends RegistryFlags {
  policy?: string;
  format?: string;
}

/** The explanation, as `--format json` prints it. */
export interface PolicyExplanation {
  readonly image: string;
  readonly repository: string;
  readonly digest: string;
  /** The policy file read, or null when there is none (the default rule applies). */
  readonly policyFile: string | null;
  /** `file:line` of the entry that applied, or `default`. */
  readonly entry: string;
  /** The globs of that entry (none for the default rule). */
  readonly match: readonly string[];
  readonly action: string;
  readonly decision: 'allow' | 'warn' | 'reject';
  readonly allowed: boolean;
  readonly requirements: readonly { readonly name: string; readonly met: boolean; readonly detail: string }[];
  readonly cveAllowlist: readonly { readonly id: string; readonly expires: string; readonly reason: string; readonly expired: boolean }[];
  readonly notes: readonly string[];
  readonly signatures: number;
  readonly attestations: number;
}

export async function policyCheck(image: string, options: PolicyCheckOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, ['text', 'json'] as const, 'text');
  const loaded = await loadPolicy(options.policy, io.env);
  const now = new Date();
  const report = await verifyImage(image, {
    context: systemContext(options, io),
    store: openKeyStoreFromEnv(io.env),
    ...(loaded.policy ? { policy: loaded.policy } : {}),
    policyKeys: loaded.keys,
    contentTrust: true,
    attestations: true,
    now: () => now,
  });
  const explanation = explain(report, loaded.policy?.source ?? null, findEntry(loaded.policy, report.repository), now);
  if (format === 'json') writeJson(io.stdout, explanation);
  else io.stdout.write(renderExplanation(explanation, colorEnabled(io.stdout, io.env)));
  if (!explanation.allowed) {
    io.stderr.write(`portcullis: refused by policy ${explanation.entry}: ${report.policy.unmet} requirement not met: ${report.policy.reason}\n`);
    return ExitCode.Findings;
  }
  return ExitCode.Ok;
}

export function explain(report: VerifyReport, policyFile: string | null, entry: PolicyEntry | undefined, now: Date): PolicyExplanation {
  const state = allowlistState(entry?.cveAllowlist, now);
  const expired = new Set(state.expired);
  return {
    image: report.reference,
    repository: report.repository,
    digest: report.digest,
    policyFile,
    entry: report.policy.entry,
    match: entry?.match ?? [],
    action: report.policy.action,
    decision: report.policy.decision,
    allowed: report.policy.decision !== 'reject',
    requirements: report.policy.requirements,
    cveAllowlist: (entry?.cveAllowlist ?? []).map((e) => ({ ...e, expired: expired.has(e) })),
    notes: report.policy.notes ?? [],
    signatures: report.signatures.length,
    attestations: report.attestations.length,
  };
}

export function renderExplanation(x: PolicyExplanation, color: boolean): string {
  const paint = painter(color);
  const label = (text: string): string => paint('bold', text.padEnd(10));
  const lines = [
    `${label('Image:')}${x.repository}@${x.digest}`,
    `${label('Policy:')}${x.policyFile ?? 'none (no policy file: the default rule applies)'}`,
    `${label('Entry:')}${x.entry === 'default' ? 'default (no entry matches: a signature by a root-certified key of the trust store is required)' : `${x.entry}${x.match.length ? ` (match ${x.match.join(', ')})` : ''}`}`,
    `${label('Action:')}${x.action}`,
  ];
  if (x.requirements.length === 0) lines.push('  (nothing required)');
  for (const r of x.requirements) lines.push(`  ${r.met ? paint('green', 'met  ') : paint('red', 'UNMET')} ${r.name}: ${r.detail}`);
  for (const e of x.cveAllowlist) lines.push(`  ${e.expired ? paint('yellow', 'expired') : 'allow  '} ${e.id} until ${e.expires}: ${e.reason}`);
  for (const n of x.notes) lines.push(`  ${paint('yellow', 'note ')} ${n}`);
  const verdict = x.decision === 'allow' ? paint('green', 'allowed') : x.decision === 'warn' ? paint('yellow', 'allowed with a warning (action warn)') : paint('red', 'refused');
  lines.push(`${label('Decision:')}${verdict}`);
  return `${lines.join('\n')}\n`;
}
