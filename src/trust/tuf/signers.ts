/**
 * Which keys actually signed a verified repository's root and each targets
 * role: what a trust policy pins Notary to (`notary.rootKeys`,
 * `notary.signers`) and what `verify` and the registry report.
 *
 * A signature entry only names a key id; anyone can append an entry naming
 * a pinned key beside a valid signature by their own key, and the role still
 * meets its threshold. So a key counts here only when its signature over the
 * canonical `signed` verifies, and the role (root's `root` role, the parent's
 * delegation, or root's `targets` role) lists it. Each key is given by both
 * its id (what root.json and delegations list, a certificate's id for x509
 * keys) and notary's canonical id (`CanonicalKeyID`: the bare public key's,
 * what `notary key list` and the private key file names use).
 */
import { canonicalKeyId, type TufKey } from './keys.js';
import { signedBytes, type Metadata, type Root, type Targets } from './metadata.js';
import { verifySignature } from './signatures.js';
import type { VerifiedRepository } from './verify.js';

export interface SignerKey {
  /** The id the metadata lists (a certificate's id for an x509 key). */
  readonly keyId: string;
  /** Notary's canonical id (the public key's id inside a certificate; the same for bare keys). */
  readonly canonicalId: string;
}

/** Keys of `listed` whose signature over `metadata` verifies, each once, in signature order. */
export function verifiedSigners(metadata: Metadata<unknown>, listed: readonly string[], keys: ReadonlyMap<string, TufKey>): SignerKey[] {
  const allowed = new Set(listed);
  const message = signedBytes(metadata);
  const found = new Map<string, SignerKey>();
  for (const signature of metadata.signatures) {
    if (!allowed.has(signature.keyid) || found.has(signature.keyid)) continue;
    const key = keys.get(signature.keyid);
    if (!key || key.id !== signature.keyid) continue;
    if (verifySignature(key, signature.method, Buffer.from(signature.sig, 'base64'), message)) found.set(key.id, { keyId: key.id, canonicalId: canonicalKeyId(key) });
  }
  return [...found.values()];
}

/** The root keys whose signatures on the repository's (current) root verify. */
export function rootSigners(repository: VerifiedRepository): SignerKey[] {
  const root: Metadata<Root> = repository.root;
  return verifiedSigners(root, root.signed.roles.get('root')?.keyids ?? [], root.signed.keys);
}

/** The keys whose signatures on `role` (targets or a delegation) verify, as its signer (root or the parent role) lists them. */
export function roleSigners(repository: VerifiedRepository, role: string): SignerKey[] {
  if (role === 'targets') {
    return verifiedSigners(repository.topTargets, repository.root.signed.roles.get('targets')?.keyids ?? [], repository.root.signed.keys);
  }
  const md = repository.delegations.get(role);
  if (!md) return [];
  const parentName = role.slice(0, role.lastIndexOf('/'));
  const parent: Metadata<Targets> | undefined = parentName === 'targets' ? repository.topTargets : repository.delegations.get(parentName);
  const listed = parent?.signed.delegations.find((d) => d.name === role)?.keyids ?? [];
  return parent ? verifiedSigners(md, listed, parent.signed.delegationKeys) : [];
}
