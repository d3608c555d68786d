/**
 * What trust.json's statements mean, read against the root key: which key a
 * reference names, which keys are certified for which repositories, which
 * are revoked, and the next certification / revocation list to record.
 * Pure over the document; the caller brings the root key.
 */
import type { KeyObject } from 'node:crypto';
import { KeyError } from '../errors.js';
import {
  checkCertification,
  checkRevocationList,
  createRevocationList,
  type CertificationStatement,
  type RevocationEntry,
  type RevocationList,
  type Signed,
} from '../statements.js';
import type { TrustDocument } from './document.js';
import type { KeyInfo, UnlockedKey } from './types.js';

export function rootIdOf(doc: TrustDocument): string | undefined {
  return Object.entries(doc.keys).find(([, r]) => r.role === 'root')?.[0];
}

/** Resolve `root`, `repository` (the only live repository key), a full id or a unique id prefix (≥ 6 hex). */
export function resolveKey(doc: TrustDocument, ref: string): string {
  if (ref === 'root') {
    const id = rootIdOf(doc);
    if (!id) throw new KeyError('ROOT_MISSING', 'the store has no root key');
    return id;
  }
  if (ref === 'repository') {
    const revoked = revokedIds(doc);
    const ids = Object.entries(doc.keys)
      .filter(([id, r]) => r.role === 'repository' && !revoked.has(id))
      .map(([id]) => id);
    if (ids.length === 0) throw new KeyError('KEY_NOT_FOUND', 'the store has no repository key');
    if (ids.length > 1) throw new KeyError('KEY_AMBIGUOUS', 'the store has several repository keys; name one by id');
    return ids[0]!;
  }
  const lower = ref.toLowerCase();
  if (!/^[0-9a-f]{6,64}$/.test(lower)) throw new KeyError('KEY_NOT_FOUND', `no key ${JSON.stringify(ref)} (give root, repository, or a key id)`);
  const ids = Object.keys(doc.keys).filter((id) => id.startsWith(lower));
  if (ids.length === 0) throw new KeyError('KEY_NOT_FOUND', `no key with id ${lower}`);
  if (ids.length > 1) throw new KeyError('KEY_AMBIGUOUS', `several keys start with ${lower}`);
  return ids[0]!;
}

/** Ids revoked by a revocation list that verifies; all non-root ids when the list does not verify (fail closed). */
export function revokedIdsWith(doc: TrustDocument, root: KeyObject | undefined): Set<string> {
  if (!doc.revocations) return new Set();
  if (!root) return new Set(Object.keys(doc.keys).filter((id) => doc.keys[id]!.role !== 'root'));
  try {
    return new Set(checkRevocationList(root, doc.revocations).revoked.map((e) => e.keyId));
  } catch {
    return new Set(Object.keys(doc.keys).filter((id) => doc.keys[id]!.role !== 'root'));
  }
}

function revokedIds(doc: TrustDocument): Set<string> {
  // Synchronous view used for ref resolution: statement contents only, not the signature.
  return new Set((doc.revocations?.statement?.revoked ?? []).map((e) => e.keyId));
}

export function validCertification(doc: TrustDocument, root: KeyObject | undefined, id: string): CertificationStatement | undefined {
  if (!root) return undefined;
  for (const c of doc.certifications) {
    if (c?.statement?.keyId !== id) continue;
    try {
      return checkCertification(root, c);
    } catch {
      // an invalid certification confers nothing
    }
  }
  return undefined;
}

export function keyInfo(doc: TrustDocument, root: KeyObject | undefined, revoked: Set<string>, id: string): KeyInfo {
  const r = doc.keys[id]!;
  const cert = r.role === 'repository' ? validCertification(doc, root, id) : undefined;
  return {
    id,
    role: r.role,
    algorithm: r.algorithm,
    created: r.created,
    source: r.source,
    hasPrivateKey: r.private,
    repositories: cert ? [...cert.repositories] : [],
    certified: cert !== undefined,
    ...(cert?.expires ? { expires: cert.expires } : {}),
    revoked: revoked.has(id),
  };
}

export function nextRevocations(doc: TrustDocument, root: UnlockedKey, add: RevocationEntry, now: () => Date): Signed<RevocationList> {
  let current: RevocationList | undefined;
  if (doc.revocations) current = checkRevocationList(root.privateKey, doc.revocations);
  const entries = [...(current?.revoked ?? [])];
  if (!entries.some((e) => e.keyId === add.keyId)) entries.push(add);
  return createRevocationList(root.privateKey, { serial: (current?.serial ?? 0) + 1, issued: now(), revoked: entries });
}

export function withCertification(doc: TrustDocument, signed: Signed<CertificationStatement>): void {
  doc.certifications = [...doc.certifications.filter((c) => c?.statement?.keyId !== signed.statement.keyId), signed];
}
