import { describeKeys, notaryDetail } from '../../trust/index.js';
import { readKeyFiles, verifyImage, type CountedSignatureCheck, type VerifyReport } from '../../engine/trust/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { colorEnabled, painter, renderTable, writeJson, type OutputStreams } from '../output.js';
import { parseFormat } from './shared.js';
import { loadPolicy, notarySettings, openKeyStoreFromEnv } from './trust-shared.js';

export interface VerifyCommandOptions extends RegistryFlags {
  key?: string[];
  policy?: string;
  format?: string;
  notaryServer?: string;
}

export async function verify(image: string, options: VerifyCommandOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, ['table', 'json'] as const, 'table');
  const keyFiles = await readKeyFiles(options.key ?? []);
  const loaded = options.key && options.key.length > 0 && !options.policy ? { keys: [] } : await loadPolicy(options.policy, io.env);
  const report = await verifyImage(image, {
    context: systemContext(options, io),
    store: openKeyStoreFromEnv(io.env),
    keyFiles,
    ...(loaded.policy ? { policy: loaded.policy } : {}),
    policyKeys: loaded.keys,
    contentTrust: true,
    notary: notarySettings(options.notaryServer, io.env),
  });
  // knownKeyIds is for later evaluations over the report (the registry's project policies), not for readers.
  const { knownKeyIds: _known, ...shown } = report;
  if (format === 'json') writeJson(io.stdout, shown);
  else io.stdout.write(renderVerify(report, colorEnabled(io.stdout, io.env)));
  if (!report.verified) {
    io.stderr.write(`portcullis: not verified: ${report.policy.unmet} requirement not met: ${report.policy.reason}\n`);
    return ExitCode.Findings;
  }
  if (report.policy.decision === 'warn') io.stderr.write(`portcullis: warning: ${report.policy.unmet}: ${report.policy.reason}\n`);
  return ExitCode.Ok;
}

/**
 * One row per signature. When the policy said which signatures count, a
 * valid signature is "verified, counted" (green) or "valid, not counted"
 * (yellow, with why): a signature by the signer's own store key must not
 * look like a pass when `--key` asked for another key.
 */
export function renderChecks(checks: readonly CountedSignatureCheck[], color: boolean, withType = false, entry?: string): string {
  const paint = painter(color);
  const rows = checks.map((c) => {
    let status = c.status === 'verified' ? paint('green', c.status) : paint('red', c.status);
    let detail = c.message;
    if (c.counted === true) status = paint('green', `${c.status}, counted`);
    else if (c.counted === false && c.status === 'verified') {
      status = paint('yellow', 'valid, not counted');
      detail = `valid signature by a key not accepted here (${entry === '--key' ? 'not a --key key' : `policy ${entry ?? ''}`.trim()}): ${c.message.replace(/^verified: /, '')}`;
    }
    return [
      status,
      c.layout,
      c.keyId ? c.keyId.slice(0, 12) : '-',
      ...(withType ? [c.predicateType ?? '-'] : []),
      c.signedIdentity ? `${c.signedIdentity} (${c.identity})` : '-',
      detail,
    ];
  });
  return renderTable(['STATUS', 'LAYOUT', 'KEY', ...(withType ? ['PREDICATE'] : []), 'IDENTITY', 'DETAIL'], rows, paint);
}

export function renderVerify(report: VerifyReport, color: boolean): string {
  const paint = painter(color);
  const lines = [`${paint('bold', 'Image:'.padEnd(10))}${report.repository}@${report.digest}`, `${paint('bold', 'Policy:'.padEnd(10))}${report.policy.entry} → ${report.policy.decision}`];
  for (const r of report.policy.requirements) lines.push(`  ${r.met ? paint('green', 'met  ') : paint('red', 'UNMET')} ${r.name}: ${r.detail}`);
  if (report.notary) {
    const f = report.notary.finding;
    lines.push(`${paint('bold', 'Notary:'.padEnd(10))}${report.notary.server}: ${notaryDetail(f)}`);
    if (f.kind === 'signed') lines.push(`${paint('bold', 'Signers:'.padEnd(10))}${f.role} (${f.keyIds.length > 0 ? `key ${f.keyIds.join(', ')}` : 'no key id'})`);
    if (f.kind === 'signed' || f.kind === 'untrusted') lines.push(`${paint('bold', 'Root key:'.padEnd(10))}${describeKeys(f.rootKeys)}`);
  }
  for (const note of report.policy.notes ?? []) lines.push(`  ${paint('yellow', 'note ')} ${note}`);
  lines.push('');
  const body = report.signatures.length ? renderChecks(report.signatures, color, false, report.policy.entry) : 'No signatures.\n';
  const att = report.attestations.length ? `\n${renderChecks(report.attestations, color, true)}` : '';
  return `${lines.join('\n')}\n${body}${att}`;
}
