/**
 * Docker Content Trust judged on the registry's OWN Notary data: the
 * decision `serve --require-signature` takes from what publishers signed
 * with the notary CLI or `docker trust sign`, read from the Notary store
 * (never over HTTP) and verified with trust/tuf exactly as a client would
 * (root from the first one the registry accepted through every rotation →
 * timestamp → snapshot → targets → delegations, thresholds, expiry,
 * delegation paths).
 *
 * Two pure functions with explicit inputs, so the trust policy can choose
 * its sources later without touching how evidence is read:
 *
 * - `contentTrustDecision`: by tag, the tag's signed target (resolved as
 *   `docker pull` does: `targets/releases` first, then `targets`) must be
 *   the manifest served, digest and length; a tag signed for another
 *   digest is a `mismatch`. By digest, some verified role must sign a
 *   target with that digest, or an index signed so must list it (the
 *   images of a signed multi-platform index are fetched by digest;
 *   `listedBy` gives the indexes of the repository that list the manifest).
 * - `signatureDecision`: the pull is served when the cosign/Sigstore
 *   verification or content trust says signed; a content-trust mismatch
 *   refuses even then (the publisher's signed word about that tag
 *   contradicts what the registry would serve: a moved tag), and so does
 *   anything undecided (fail closed). Content trust satisfies the check
 *   only when `contentTrustCounts` (the policy entry's `sources` name
 *   Notary, or there is no policy file).
 * - `pinContentTrust`: a signed decision held against the entry's pins
 *   (`notary.rootKeys`, `notary.signers`, trust/policy/notary-pins.ts) and
 *   roles: signed under another root, or only by keys or roles the entry
 *   does not accept, becomes `untrusted`, which never counts.
 *
 * What content trust proves here without pins: the image is what the GUN's
 * publishers signed, the GUN's first root trusted on first use as a Notary
 * client trusts it. Publishing needs push rights on the repository, so it is
 * not a key the operator chose; pins are how the policy chooses.
 */
import type { Digest } from '../core/index.js';
import { rootSigners, roleSigners, type VerifiedRepository } from '../trust/tuf/index.js';
import { rootPinProblem, signerPinProblem, type NotaryKey, type NotaryRule } from '../trust/index.js';
import type { PolicyDecision } from './services.js';

/** What the registry's Notary data says about a GUN, already verified (or why not). */
export type NotaryEvidence =
  | { readonly state: 'none' }
  | { readonly state: 'invalid'; readonly error: string }
  | { readonly state: 'verified'; readonly repository: VerifiedRepository };

export interface ContentTrustInputs {
  readonly gun: string;
  /** The manifest that would be served, and its size in bytes. */
  readonly digest: Digest;
  readonly size: number;
  /** The tag the client asked for; undefined for a pull by digest. */
  readonly tag?: string | undefined;
  readonly evidence: NotaryEvidence;
  /** For a pull by digest: the indexes in this repository that list the manifest (its parents). */
  readonly listedBy?: readonly Digest[] | undefined;
}

/** A role and the keys whose signatures on it verified. */
export interface NotarySigner {
  readonly role: string;
  readonly keyIds: readonly string[];
  /** The same keys with notary's canonical ids (absent: none known, so no pin holds). */
  readonly keys?: readonly NotaryKey[];
}

export type ContentTrustDecision =
  /** `rootKeys`: the root keys whose signatures verify (absent: none known, so no root pin holds). */
  | { readonly outcome: 'signed'; readonly message: string; readonly signers: readonly NotarySigner[]; readonly rootKeys?: readonly NotaryKey[] }
  /** Signed, but under a root, or by keys or roles, the policy does not accept (pinContentTrust). */
  | { readonly outcome: 'untrusted'; readonly message: string; readonly rootKeys: readonly NotaryKey[] }
  | { readonly outcome: 'mismatch'; readonly message: string }
  | { readonly outcome: 'unsigned'; readonly message: string }
  | { readonly outcome: 'invalid'; readonly message: string };

const hexOf = (digest: Digest): string => digest.slice(digest.indexOf(':') + 1);

/** The keys whose signatures verify on each role (top-level targets first, then delegations in verification order). */
export function notarySigners(repository: VerifiedRepository): NotarySigner[] {
  return ['targets', ...repository.delegations.keys()].map((role) => {
    const keys = roleSigners(repository, role);
    return { role, keyIds: keys.map((k) => k.keyId), keys };
  });
}

export function contentTrustDecision(input: ContentTrustInputs): ContentTrustDecision {
  const { gun, digest, tag, evidence } = input;
  if (evidence.state === 'none') return { outcome: 'unsigned', message: `no Notary trust data for ${gun}` };
  if (evidence.state === 'invalid') return { outcome: 'invalid', message: `the Notary trust data for ${gun} does not verify: ${evidence.error}` };
  const repo = evidence.repository;
  const hex = hexOf(digest);
  const signersOf = (roles: ReadonlySet<string>) => notarySigners(repo).filter((s) => roles.has(s.role));
  if (tag !== undefined) {
    const target = repo.targets.get(tag);
    if (!target) return { outcome: 'unsigned', message: `tag ${tag} is not signed in the Notary trust data for ${gun}` };
    const signedFor = target.sha256 ? `sha256:${target.sha256}` : 'a target without a sha256';
    if (target.sha256 !== hex || target.length !== input.size) {
      return {
        outcome: 'mismatch',
        message: `tag ${tag} is signed (${target.role}) for ${signedFor} (${target.length} bytes), but the registry has ${digest} (${input.size} bytes) under it`,
      };
    }
    return { outcome: 'signed', message: `tag ${tag} signed by ${target.role} in ${gun}`, signers: signersOf(new Set([target.role])), rootKeys: rootSigners(repo) };
  }
  const roles = new Set<string>();
  for (const [role, targets] of repo.byRole) for (const target of targets.values()) if (target.sha256 === hex && target.length === input.size) roles.add(role);
  if (roles.size > 0) return { outcome: 'signed', message: `${digest} signed by ${[...roles].join(', ')} in ${gun}`, signers: signersOf(roles), rootKeys: rootSigners(repo) };
  const parents = new Set((input.listedBy ?? []).map(hexOf));
  for (const [role, targets] of repo.byRole) for (const target of targets.values()) if (target.sha256 && parents.has(target.sha256)) roles.add(role);
  if (roles.size > 0) return { outcome: 'signed', message: `${digest} is listed by an index signed by ${[...roles].join(', ')} in ${gun}`, signers: signersOf(roles), rootKeys: rootSigners(repo) };
  return { outcome: 'unsigned', message: `no target signed in the Notary trust data for ${gun} has digest ${digest}` };
}

/**
 * `decision` as the policy entry's Notary rule accepts it: a signed decision
 * stays signed only under a pinned root (when roots are pinned) and with one
 * signing role the rule accepts (`roles`) signed by a pinned key (when
 * signers are pinned); otherwise it is `untrusted`, naming the keys found
 * and the ones pinned. Other outcomes are unchanged.
 */
export function pinContentTrust(decision: ContentTrustDecision | undefined, rule: NotaryRule | undefined, gun: string): ContentTrustDecision | undefined {
  if (decision?.outcome !== 'signed' || rule === undefined) return decision;
  const rootKeys = decision.rootKeys ?? [];
  const rootProblem = rootPinProblem(rule, gun, rootKeys);
  if (rootProblem) return { outcome: 'untrusted', message: rootProblem, rootKeys };
  const accepted = decision.signers.filter((s) => rule.roles.length === 0 || rule.roles.includes(s.role));
  if (accepted.length === 0) {
    const roles = decision.signers.map((s) => s.role).join(', ');
    return { outcome: 'untrusted', message: `${decision.message}, a role the policy does not accept (notary.roles: ${rule.roles.join(', ')}; signed by ${roles})`, rootKeys };
  }
  const problems = accepted.map((s) => signerPinProblem(rule, gun, s.role, s.keys ?? []));
  if (problems.every((p) => p !== undefined)) return { outcome: 'untrusted', message: problems.join('; '), rootKeys };
  return { ...decision, signers: accepted.filter((_, i) => problems[i] === undefined) };
}

/** The distinct sha256 digests the verified roles sign, at most `limit`: the candidates `listedBy` is looked for among. */
export function signedDigests(evidence: NotaryEvidence, limit: number): Digest[] {
  if (evidence.state !== 'verified') return [];
  const found = new Set<Digest>();
  for (const targets of evidence.repository.byRole.values()) {
    for (const target of targets.values()) {
      if (found.size >= limit) return [...found];
      if (target.sha256) found.add(`sha256:${target.sha256}`);
    }
  }
  return [...found];
}

/** What the cosign/Sigstore verification concluded, as signatureDecision needs it. */
export interface CosignVerdict {
  readonly verified: boolean;
  readonly unsigned: boolean;
  /** Why it did not verify (a signature exists but is not trusted). */
  readonly reason?: string | undefined;
}

export interface SignatureDecisionInputs {
  /** `registry/repository`, as refusals name the image. */
  readonly identity: string;
  readonly digest: Digest;
  readonly cosign: CosignVerdict;
  /** Absent when the registry has no Notary service. */
  readonly contentTrust?: ContentTrustDecision | undefined;
  /** Whether a content-trust signature satisfies the check (a mismatch refuses either way). */
  readonly contentTrustCounts: boolean;
  /** The policy makes Notary authoritative for this repository: what it does not sign is refused, whatever cosign says. */
  readonly contentTrustAuthoritative?: boolean;
}

export function signatureDecision(input: SignatureDecisionInputs): PolicyDecision {
  const { identity, digest, cosign, contentTrust } = input;
  if (contentTrust?.outcome === 'mismatch') return { allowed: false, reason: `${identity}: content trust: ${contentTrust.message}`, summary: 'signed tag points elsewhere' };
  if (input.contentTrustAuthoritative && contentTrust?.outcome !== 'signed') {
    const said = contentTrust ? contentTrust.message : 'the registry has no Notary service';
    return { allowed: false, reason: `${identity}@${digest}: the trust policy makes Notary authoritative for this repository and it does not sign this image (${said})`, summary: 'not signed in Notary' };
  }
  if (cosign.verified || (input.contentTrustCounts && contentTrust?.outcome === 'signed')) return { allowed: true };
  const ignored = contentTrust?.outcome === 'signed' && !input.contentTrustCounts ? ' (not accepted: the trust policy does not name Notary as a source)' : '';
  const notary = contentTrust ? `; content trust: ${contentTrust.message}${ignored}` : '';
  if (cosign.unsigned && contentTrust?.outcome !== 'invalid' && contentTrust?.outcome !== 'signed' && contentTrust?.outcome !== 'untrusted') return { allowed: false, reason: `remote trust data does not exist for ${identity}${notary}`, summary: 'unsigned' };
  return { allowed: false, reason: `${identity}@${digest}: ${cosign.unsigned ? 'no signature' : (cosign.reason ?? 'no valid signature by a key trusted for this repository')}${notary}`, summary: 'no trusted signature' };
}
