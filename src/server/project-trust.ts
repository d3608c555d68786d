/**
 * A project's trust policy judged on the registry's own verification report:
 * the same pure evaluation (trust/policy `evaluate`) as every other gate,
 * applied to the signatures and attestations the registry's check already
 * verified, so the project can only add requirements, never verify anything
 * differently. Called by the signature check (signature-check.ts) once the
 * registry's policy allowed the image.
 */
import type { VerifyReport } from '../engine/trust/index.js';
import { evaluate, type PolicyEntry } from '../trust/index.js';
import type { PolicyDecision } from './services.js';

export function projectTrustDecision(report: VerifyReport, project: PolicyEntry, identity: string, now: Date): PolicyDecision {
  const result = evaluate(
    { source: project.where, entries: [{ ...project, match: ['**'], action: 'reject' }] },
    { repository: identity, digest: report.digest, contentTrust: true, signatures: report.signatures, attestations: report.attestations, now },
  );
  if (result.decision !== 'reject') return { allowed: true };
  const notes = (result.notes ?? []).map((n) => `; ${n}`).join('');
  return {
    allowed: false,
    reason: `${identity}@${report.digest}: ${project.where}: ${result.unmet} requirement not met: ${result.reason}${notes}`,
    summary: `${project.where}: ${result.unmet} not met`,
  };
}
