import { readKeyFiles, verifyImage } from '../../engine/trust/index.js';
import { ATTESTATION_TYPES, evaluate, findEntry, parseDuration, parseCondition, type Policy, type PolicyEntry } from '../../trust/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import { colorEnabled, writeJson, type OutputStreams } from '../output.js';
import { parseFormat } from './shared.js';
import { loadPolicy, openKeyStoreFromEnv } from './trust-shared.js';
import { renderChecks } from './verify.js';

export interface VerifyAttestationOptions extends RegistryFlags {
  type?: string;
  key?: string[];
  policy?: string;
  maxAge?: string;
  condition?: string;
  format?: string;
}

/** Verifies that a valid attestation of `--type` exists (with --max-age / --condition), or what the policy requires. */
export async function verifyAttestation(image: string, options: VerifyAttestationOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, ['table', 'json'] as const, 'table');
  const type = options.type ?? 'vuln';
  const predicateTypes = ATTESTATION_TYPES[type] ?? (/^https?:\/\/\S+$/.test(type) ? [type] : undefined);
  if (!predicateTypes) throw new UsageError(`--type takes sbom, vuln, custom or a predicate type URI, not "${type}"`);
  const maxAgeMs = options.maxAge !== undefined ? parseDuration(options.maxAge) : undefined;
  if (options.maxAge !== undefined && !maxAgeMs) throw new UsageError(`--max-age takes a duration like 12h or 7d, not "${options.maxAge}"`);
  const condition = options.condition !== undefined ? parseCondition(options.condition) : undefined;
  if (options.condition !== undefined && !condition) throw new UsageError(`--condition takes "no finding" or "no CRITICAL finding", not "${options.condition}"`);
  const keyFiles = await readKeyFiles(options.key ?? []);
  const loaded = await loadPolicy(options.policy, io.env);
  const report = await verifyImage(image, {
    context: systemContext(options, io),
    store: openKeyStoreFromEnv(io.env),
    keyFiles,
    policyKeys: loaded.keys,
    attestations: true,
    contentTrust: true,
  });
  // The requirement asked on the command line: the attestation, by the given keys or root-certified store keys;
  // the CVE allowlist of the policy entry for the repository applies to --condition as it does to the policy's own.
  const allowlist = findEntry(loaded.policy, report.repository)?.cveAllowlist;
  const entry: PolicyEntry = {
    match: ['**'],
    keys: keyFiles.length > 0 ? keyFiles.map((f) => ({ kind: 'id' as const, id: f.id })) : [{ kind: 'root-certified' }],
    threshold: 0,
    signedIdentity: 'any',
    attestations: [{ type, predicateTypes, ...(maxAgeMs ? { maxAgeMs, maxAge: options.maxAge! } : {}), ...(condition ? { condition } : {}) }],
    action: 'reject',
    ...(allowlist ? { cveAllowlist: allowlist } : {}),
    where: 'command line',
  };
  const policy: Policy = { source: 'command line', entries: [entry] };
  const result = evaluate(policy, { repository: report.repository, digest: report.digest, contentTrust: true, signatures: report.signatures, attestations: report.attestations, now: new Date() });
  const ok = result.decision !== 'reject';
  if (format === 'json') writeJson(io.stdout, { ...report, policy: result, verified: ok });
  else {
    io.stdout.write(`Image:    ${report.repository}@${report.digest}\n`);
    for (const r of result.requirements.filter((x) => x.name !== 'signature')) io.stdout.write(`  ${r.met ? 'met  ' : 'UNMET'} ${r.name}: ${r.detail}\n`);
    for (const note of result.notes ?? []) io.stdout.write(`  note  ${note}\n`);
    io.stdout.write(report.attestations.length ? `\n${renderChecks(report.attestations, colorEnabled(io.stdout, io.env), true)}` : '\nNo attestations.\n');
  }
  if (!ok) {
    io.stderr.write(`portcullis: not verified: ${result.unmet} requirement not met: ${result.reason}\n`);
    return ExitCode.Findings;
  }
  return ExitCode.Ok;
}
