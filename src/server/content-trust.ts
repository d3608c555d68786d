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
 *   only when `contentTrustCounts`: the caller says no when the operator
 *   gave a trust policy file, which names the keys it trusts and cannot yet
 *   name Notary as a source (until it can, a Notary signature by a key the
 *   policy never named must not pass it).
 *
 * What content trust proves here: the image is what the GUN's publishers
 * signed, the GUN's first root trusted on first use as a Notary client
 * trusts it. Publishing needs push rights on the repository, so it is not a
 * key the operator chose; the trust policy is where that is pinned.
 */
import type { Digest } from '../core/index.js';
import type { VerifiedRepository } from '../trust/tuf/index.js';
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
}

export type ContentTrustDecision =
  | { readonly outcome: 'signed'; readonly message: string; readonly signers: readonly NotarySigner[] }
  | { readonly outcome: 'mismatch'; readonly message: string }
  | { readonly outcome: 'unsigned'; readonly message: string }
  | { readonly outcome: 'invalid'; readonly message: string };

const hexOf = (digest: Digest): string => digest.slice(digest.indexOf(':') + 1);

/** The keys that signed each role, by role name (top-level targets first, then delegations in verification order). */
export function notarySigners(repository: VerifiedRepository): NotarySigner[] {
  const signers: NotarySigner[] = [];
  const targetsKeys = repository.root.signed.roles.get('targets')?.keyids ?? [];
  signers.push({ role: 'targets', keyIds: repository.topTargets.signatures.map((s) => s.keyid).filter((id) => targetsKeys.includes(id)) });
  const allowed = new Map<string, readonly string[]>();
  for (const md of [repository.topTargets, ...repository.delegations.values()]) for (const d of md.signed.delegations) allowed.set(d.name, d.keyids);
  for (const [role, md] of repository.delegations) {
    const keys = allowed.get(role) ?? [];
    signers.push({ role, keyIds: md.signatures.map((s) => s.keyid).filter((id) => keys.includes(id)) });
  }
  return signers;
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
    return { outcome: 'signed', message: `tag ${tag} signed by ${target.role} in ${gun}`, signers: signersOf(new Set([target.role])) };
  }
  const roles = new Set<string>();
  for (const [role, targets] of repo.byRole) for (const target of targets.values()) if (target.sha256 === hex && target.length === input.size) roles.add(role);
  if (roles.size > 0) return { outcome: 'signed', message: `${digest} signed by ${[...roles].join(', ')} in ${gun}`, signers: signersOf(roles) };
  const parents = new Set((input.listedBy ?? []).map(hexOf));
  for (const [role, targets] of repo.byRole) for (const target of targets.values()) if (target.sha256 && parents.has(target.sha256)) roles.add(role);
  if (roles.size > 0) return { outcome: 'signed', message: `${digest} is listed by an index signed by ${[...roles].join(', ')} in ${gun}`, signers: signersOf(roles) };
  return { outcome: 'unsigned', message: `no target signed in the Notary trust data for ${gun} has digest ${digest}` };
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
  if (cosign.unsigned && contentTrust?.outcome !== 'invalid' && contentTrust?.outcome !== 'signed') return { allowed: false, reason: `remote trust data does not exist for ${identity}${notary}`, summary: 'unsigned' };
  return { allowed: false, reason: `${identity}@${digest}: ${cosign.unsigned ? 'no signature' : (cosign.reason ?? 'no valid signature by a key trusted for this repository')}${notary}`, summary: 'no trusted signature' };
}
