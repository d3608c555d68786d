/**
 * One chain of trust: the decision over every configured source. `evaluate`
 * weighs cosign's two layouts (tag signatures, Sigstore bundles) against the
 * policy entry; this adds what Notary v1 (Docker Content Trust) said and
 * decides, so `pull`, `copy` and `verify` refuse and accept alike:
 *
 * - the signature requirement is met when ANY configured source meets it: a
 *   cosign/bundle signature the entry accepts, or a Notary target for the
 *   tag (in a role the entry accepts) whose digest is the image's;
 * - Notary trust data that fails verification (expired, under threshold,
 *   rolled back, a swapped root) or an explicitly configured Notary server
 *   that cannot be asked refuses — whatever the other sources say;
 * - with pinned keys (`notary.rootKeys`, `notary.signers`), Notary data
 *   under another root, or a target signed by another key, is `untrusted`:
 *   it does not meet the requirement (cosign still may), and the detail names
 *   the keys found and the ones pinned;
 * - with `notary.authoritative`, a tag Notary does not sign (revoked,
 *   removed, never signed, no data) is refused even when cosign signed it;
 * - attestation requirements stay as `evaluate` found them;
 * - `unsigned` (the "remote trust data does not exist" wording) is true only
 *   when no source had anything for the image.
 *
 * Each unmet requirement's detail names which source said what. Pure.
 */
import type { PolicyResult, RequirementOutcome } from './evaluate.js';
import type { NotaryKey } from './notary-pins.js';
import { DEFAULT_NOTARY_RULE, TRUST_SOURCES, type NotaryRule, type TrustSource } from './sources.js';

/** What Notary answered for the image, as the engine found it. */
export type NotaryFinding =
  /** Notary is not a configured source here, or nothing was required. */
  | { readonly kind: 'off' }
  /** No Notary service, or the service has no trust data for the GUN. */
  | { readonly kind: 'no-data'; readonly gun: string; readonly detail: string }
  /** The tag (or the digest, for a pull by digest) is a target of an accepted role. */
  | { readonly kind: 'signed'; readonly gun: string; readonly tag?: string; readonly digest: string; readonly size: number; readonly role: string; readonly keyIds: readonly string[]; readonly rootKeys: readonly NotaryKey[]; readonly signerKeys: readonly NotaryKey[] }
  /** Signed, but not under a pinned root or not by a pinned signer (notary.rootKeys, notary.signers): does not count. */
  | { readonly kind: 'untrusted'; readonly gun: string; readonly tag?: string; readonly detail: string; readonly rootKeys: readonly NotaryKey[] }
  /** The GUN has trust data, but no accepted role signs this tag (revoked, removed, never signed, or only another role does). */
  | { readonly kind: 'not-signed'; readonly gun: string; readonly tag?: string; readonly detail: string }
  /** The tag is signed for another digest (or size) than the image's. */
  | { readonly kind: 'mismatch'; readonly gun: string; readonly tag: string; readonly detail: string }
  /** Trust data that does not verify, or a configured server that cannot be asked: refuse. */
  | { readonly kind: 'failed'; readonly gun: string; readonly reason: 'expired' | 'threshold' | 'invalid' | 'unavailable'; readonly detail: string };

export interface SourceOutcome {
  readonly source: TrustSource | 'cosign+bundle';
  readonly met: boolean;
  readonly detail: string;
}

export interface TrustDecision extends PolicyResult {
  /** What each consulted source said (absent sources were not configured or not needed). */
  readonly sources: readonly SourceOutcome[];
}

export interface DecideInput {
  /** `evaluate` over the cosign/bundle signatures of the configured layouts. */
  readonly result: PolicyResult;
  /** The entry's sources (default all). */
  readonly sources?: readonly TrustSource[];
  readonly notaryRule?: NotaryRule;
  readonly notary: NotaryFinding;
  /** Whether any cosign/bundle signature (of any layout, valid or not) exists for the digest. */
  readonly anySignature: boolean;
}

const REASON_WORDS: Record<Extract<NotaryFinding, { kind: 'failed' }>['reason'], string> = {
  expired: 'expired metadata',
  threshold: 'threshold not met',
  invalid: 'trust data does not verify',
  unavailable: 'the Notary server cannot be asked',
};

export function notaryDetail(finding: NotaryFinding): string {
  switch (finding.kind) {
    case 'off':
      return 'not consulted';
    case 'no-data':
      return `no trust data for ${finding.gun} (${finding.detail})`;
    case 'signed':
      return `${finding.tag !== undefined ? `tag ${finding.tag}` : 'the digest'} is signed for ${finding.digest} by ${finding.role}${finding.keyIds.length > 0 ? ` (key ${finding.keyIds.map((k) => k.slice(0, 12)).join(', ')})` : ''}`;
    case 'not-signed':
      return `${finding.tag !== undefined ? `tag ${finding.tag} is not in Notary for ${finding.gun} (revoked, removed or never signed)` : `no Notary target of ${finding.gun} has this digest`}${finding.detail ? `: ${finding.detail}` : ''}`;
    case 'mismatch':
      return `Notary target mismatch: ${finding.detail}`;
    case 'untrusted':
      return `Notary keys not pinned: ${finding.detail}`;
    case 'failed':
      return `${REASON_WORDS[finding.reason]} for ${finding.gun}: ${finding.detail}`;
  }
}

export function decide(input: DecideInput): TrustDecision {
  const { result, notary } = input;
  const sources = input.sources ?? TRUST_SOURCES;
  const rule = input.notaryRule ?? DEFAULT_NOTARY_RULE;
  const noData = notary.kind === 'off' || notary.kind === 'no-data';
  const unsigned = !input.anySignature && noData;
  // Nothing required (content trust off without an entry, or action allow): no source matters.
  if (result.requirements.length === 0) return { ...result, unsigned, sources: [] };

  const cosignLayouts = sources.filter((s) => s !== 'notary');
  const outcomes: SourceOutcome[] = [];
  const sigReq = result.requirements.find((r) => r.name === 'signature');
  const idReq = result.requirements.find((r) => r.name === 'signedIdentity');
  let cosignMet = false;
  if (cosignLayouts.length > 0 && sigReq) {
    cosignMet = sigReq.met && (idReq === undefined || idReq.met);
    const label = cosignLayouts.length === 2 ? 'cosign+bundle' : (cosignLayouts[0] as TrustSource);
    outcomes.push({ source: label, met: cosignMet, detail: !sigReq.met ? sigReq.detail : idReq && !idReq.met ? idReq.detail : sigReq.detail });
  }
  const notaryOn = sources.includes('notary') && notary.kind !== 'off';
  const notaryMet = notaryOn && notary.kind === 'signed';
  if (notaryOn) outcomes.push({ source: 'notary', met: notaryMet, detail: notaryDetail(notary) });

  const requirements: RequirementOutcome[] = [];
  if (notary.kind === 'failed') requirements.push({ name: 'notary', met: false, detail: notaryDetail(notary) });
  else if (rule.authoritative && !notaryMet) {
    requirements.push({ name: 'notary', met: false, detail: `${notaryDetail(notary)}; Notary is authoritative for this repository (policy ${result.entry})` });
  }
  // The signed identity is cosign's question: Notary signs for the GUN, which is the repository.
  const cosignSigned = cosignLayouts.length > 0 && sigReq !== undefined && sigReq.met;
  const signatureMet = cosignSigned || notaryMet;
  const signatureDetail = signatureMet
    ? outcomes.filter((o) => o.met || (o.source !== 'notary' && cosignSigned)).map((o) => `${o.source}: ${o.source === 'notary' ? o.detail : (sigReq?.detail ?? '')}`).join('; ')
    : outcomes.length > 0
      ? outcomes.map((o) => `${o.source}: ${o.detail}`).join('; ')
      : 'no trust source is configured for this repository';
  requirements.push({ name: 'signature', met: signatureMet, detail: signatureDetail });
  if (idReq && cosignSigned && !notaryMet) requirements.push(idReq);
  for (const r of result.requirements) if (r.name !== 'signature' && r.name !== 'signedIdentity') requirements.push(r);

  const failed = requirements.find((r) => !r.met);
  const decision = !failed ? 'allow' : result.action === 'warn' ? 'warn' : 'reject';
  const { unmet: _unmet, reason: _reason, ...rest } = result;
  return {
    ...rest,
    decision,
    requirements,
    ...(failed ? { unmet: failed.name, reason: failed.detail } : {}),
    unsigned,
    sources: outcomes,
  };
}
