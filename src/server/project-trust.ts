/**
 * A project's trust policy judged on the registry's own verification report:
 * the same pure evaluation (trust/policy `evaluate`) as every other gate,
 * applied to the signatures and attestations the registry's check already
 * verified, so the project can only add requirements, never verify anything
 * differently. Called by the signature check (signature-check.ts) once the
 * registry's policy allowed the image.
 *
 * Notary (the registry's own content-trust decision, before any pin) counts
 * for a project only when its policy's `sources` name `notary` — before
 * projects could say so, their policies never counted Notary, and a stored
 * `keys: [...]` must not start accepting a key nobody named. Then a Notary
 * signature under the project's pins (`notary.rootKeys`, `notary.signers`,
 * `notary.roles`) meets its signature requirement, and `notary.authoritative`
 * refuses what Notary does not sign, whatever cosign says. `sources` without
 * `cosign`/`bundle` leaves those layouts' signatures out.
 */
import type { VerifyReport } from '../engine/trust/index.js';
import { evaluate, sourceOfLayout, type PolicyEntry } from '../trust/index.js';
import { pinContentTrust, type ContentTrustDecision } from './content-trust.js';
import type { PolicyDecision } from './services.js';

export function projectTrustDecision(report: VerifyReport, project: PolicyEntry, identity: string, now: Date, contentTrust?: ContentTrustDecision): PolicyDecision {
  const sources = project.sources;
  const notaryCounts = sources?.includes('notary') === true;
  const signatures = sources ? report.signatures.filter((c) => sources.includes(sourceOfLayout(c.layout))) : report.signatures;
  const result = evaluate(
    { source: project.where, entries: [{ ...project, match: ['**'], action: 'reject' }] },
    { repository: identity, digest: report.digest, contentTrust: true, signatures, attestations: report.attestations, now, knownKeyIds: report.knownKeyIds },
  );
  const notary = notaryCounts ? pinContentTrust(contentTrust, project.notary, identity) : undefined;
  const notarySigned = notary?.outcome === 'signed';
  const notarySaid = notary ? notary.message : 'the registry has no Notary data for it';
  if (notaryCounts && project.notary?.authoritative && !notarySigned) {
    return {
      allowed: false,
      reason: `${identity}@${report.digest}: ${project.where}: notary requirement not met: Notary is authoritative for this project and does not sign this image (${notarySaid})`,
      summary: `${project.where}: notary not met`,
    };
  }
  // A Notary signature the project accepts meets its signature requirement (the signed identity is the GUN: the repository).
  const unmet = result.requirements.find((r) => !r.met && !(notarySigned && (r.name === 'signature' || r.name === 'signedIdentity')));
  if (result.decision !== 'reject' || unmet === undefined) return { allowed: true };
  const notes = (result.notes ?? []).map((n) => `; ${n}`).join('');
  const said = notaryCounts && (unmet.name === 'signature' || unmet.name === 'signedIdentity') ? `; notary: ${notarySaid}` : '';
  return {
    allowed: false,
    reason: `${identity}@${report.digest}: ${project.where}: ${unmet.name} requirement not met: ${unmet.detail}${said}${notes}`,
    summary: `${project.where}: ${unmet.name} not met`,
  };
}
