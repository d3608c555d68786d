/**
 * Root-signed trust statements, and the authorization rule built on them.
 * Pure: key objects and plain data in, verdicts out.
 *
 * A statement is plain JSON with a `type` URI (domain separation: a root
 * signature over a certification can never be replayed as a revocation list
 * or anything else). The root signs the UTF-8 canonical JSON of the statement
 * (see canonical.ts) with signBytes; the stored form is
 * `{ "statement": {...}, "signature": "<base64>" }`.
 *
 * Authorization of key K for repository R at time T holds when:
 * 1. K is not the root (the root certifies; it does not sign images);
 * 2. the revocation list, if any, verifies against the root and does not
 *    list K (a list that does not verify fails closed: nothing is authorized);
 * 3. a certification for K verifies against the root, names the root's key
 *    id, carries a public key whose id is K, is not expired at T;
 * 4. one of its repository globs matches R.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { KeyError } from './errors.js';
import { canonicalBytes } from './canonical.js';
import { matchRepository, validateGlob } from './globs.js';
import { algorithmOf, keyIdOfKey, publicKeyPem, type KeyAlgorithm } from './keys.js';
import { signBytes, verifyBytes } from './sign.js';

export const CERTIFICATION_TYPE = 'https://portcullis.dev/trust/repository-key-certification/v1';
export const REVOCATION_LIST_TYPE = 'https://portcullis.dev/trust/revocation-list/v1';

export interface CertificationStatement {
  readonly type: typeof CERTIFICATION_TYPE;
  readonly rootKeyId: string;
  readonly keyId: string;
  readonly algorithm: KeyAlgorithm;
  /** PEM SubjectPublicKeyInfo of the certified key. */
  readonly publicKey: string;
  readonly repositories: readonly string[];
  readonly issued: string;
  readonly expires?: string;
}

export interface RevocationEntry {
  readonly keyId: string;
  readonly revoked: string;
  readonly reason?: string;
}

export interface RevocationList {
  readonly type: typeof REVOCATION_LIST_TYPE;
  readonly rootKeyId: string;
  /** Increases by one with each new list. */
  readonly serial: number;
  readonly issued: string;
  readonly revoked: readonly RevocationEntry[];
}

export interface Signed<T> {
  readonly statement: T;
  /** base64 signature by the root over canonicalJson(statement). */
  readonly signature: string;
}

export function signStatement<T>(rootPrivateKey: KeyObject, statement: T): Signed<T> {
  return { statement, signature: signBytes(rootPrivateKey, canonicalBytes(statement)).toString('base64') };
}

export function verifyStatement(rootPublicKey: KeyObject, signed: Signed<unknown>): boolean {
  if (typeof signed !== 'object' || signed === null || typeof signed.signature !== 'string') return false;
  let bytes: Buffer;
  try {
    bytes = canonicalBytes(signed.statement);
  } catch {
    return false;
  }
  return verifyBytes(rootPublicKey, bytes, Buffer.from(signed.signature, 'base64'));
}

function isoOrThrow(value: string | Date | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new KeyError('ARGUMENT_INVALID', `${what} is not a valid time`);
  return d.toISOString();
}

/** The root certifies `publicKey` for the repository globs. */
export function createCertification(
  rootPrivateKey: KeyObject,
  input: { publicKey: KeyObject; repositories: readonly string[]; issued: Date; expires?: Date | string },
): Signed<CertificationStatement> {
  if (input.repositories.length === 0) throw new KeyError('GLOB_INVALID', 'a certification needs at least one repository glob');
  for (const g of input.repositories) validateGlob(g);
  const pub = input.publicKey.type === 'private' ? createPublicKey(input.publicKey) : input.publicKey;
  const expires = isoOrThrow(input.expires, 'expires');
  const statement: CertificationStatement = {
    type: CERTIFICATION_TYPE,
    rootKeyId: keyIdOfKey(rootPrivateKey),
    keyId: keyIdOfKey(pub),
    algorithm: algorithmOf(pub),
    publicKey: publicKeyPem(pub),
    repositories: [...new Set(input.repositories)].sort(),
    issued: input.issued.toISOString(),
    ...(expires ? { expires } : {}),
  };
  if (statement.keyId === statement.rootKeyId) throw new KeyError('ROLE_INVALID', 'the root key cannot certify itself for repositories');
  return signStatement(rootPrivateKey, statement);
}

/**
 * The statement of a certification that verifies against the root and is
 * internally consistent; CERTIFICATION_INVALID otherwise.
 */
export function checkCertification(rootPublicKey: KeyObject, signed: Signed<CertificationStatement>): CertificationStatement {
  if (!verifyStatement(rootPublicKey, signed)) throw new KeyError('CERTIFICATION_INVALID', 'the certification signature does not verify against the root key');
  const s = signed.statement;
  if (s.type !== CERTIFICATION_TYPE) throw new KeyError('CERTIFICATION_INVALID', 'not a repository key certification');
  if (s.rootKeyId !== keyIdOfKey(rootPublicKey)) throw new KeyError('CERTIFICATION_INVALID', 'the certification names another root');
  let certified: KeyObject;
  try {
    certified = createPublicKey(s.publicKey);
  } catch (cause) {
    throw new KeyError('CERTIFICATION_INVALID', 'the certified public key does not parse', { cause });
  }
  if (keyIdOfKey(certified) !== s.keyId) throw new KeyError('CERTIFICATION_INVALID', 'the certified public key does not match its key id');
  if (!Array.isArray(s.repositories)) throw new KeyError('CERTIFICATION_INVALID', 'the certification has no repository list');
  return s;
}

/** A new revocation list, signed by the root. */
export function createRevocationList(
  rootPrivateKey: KeyObject,
  input: { serial: number; issued: Date; revoked: readonly RevocationEntry[] },
): Signed<RevocationList> {
  const rootKeyId = keyIdOfKey(rootPrivateKey);
  if (input.revoked.some((e) => e.keyId === rootKeyId)) throw new KeyError('ROLE_INVALID', 'the root key cannot revoke itself');
  const statement: RevocationList = {
    type: REVOCATION_LIST_TYPE,
    rootKeyId,
    serial: input.serial,
    issued: input.issued.toISOString(),
    revoked: [...input.revoked].sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0)),
  };
  return signStatement(rootPrivateKey, statement);
}

export function checkRevocationList(rootPublicKey: KeyObject, signed: Signed<RevocationList>): RevocationList {
  if (!verifyStatement(rootPublicKey, signed)) throw new KeyError('REVOCATION_INVALID', 'the revocation list signature does not verify against the root key');
  const s = signed.statement;
  if (s.type !== REVOCATION_LIST_TYPE || s.rootKeyId !== keyIdOfKey(rootPublicKey) || !Array.isArray(s.revoked)) {
    throw new KeyError('REVOCATION_INVALID', 'the revocation list is malformed or names another root');
  }
  return s;
}

export type AuthorizationReason =
  | 'authorized'
  | 'no-root'
  | 'is-root'
  | 'revocation-list-invalid'
  | 'revoked'
  | 'not-certified'
  | 'certification-invalid'
  | 'expired'
  | 'repository-not-covered';

export interface AuthorizationResult {
  readonly authorized: boolean;
  readonly reason: AuthorizationReason;
  /** The certified globs, when a valid certification was found. */
  readonly repositories?: readonly string[];
}

export interface AuthorizationInput {
  readonly rootPublicKey: KeyObject | undefined;
  readonly keyId: string;
  readonly repository: string;
  readonly certifications: readonly Signed<CertificationStatement>[];
  readonly revocations: Signed<RevocationList> | undefined;
  readonly now: Date;
}

/** The authorization rule (see the module comment). Never throws. */
export function evaluateAuthorization(input: AuthorizationInput): AuthorizationResult {
  const root = input.rootPublicKey;
  if (!root) return { authorized: false, reason: 'no-root' };
  if (keyIdOfKey(root) === input.keyId) return { authorized: false, reason: 'is-root' };
  if (input.revocations) {
    let list: RevocationList;
    try {
      list = checkRevocationList(root, input.revocations);
    } catch {
      return { authorized: false, reason: 'revocation-list-invalid' };
    }
    if (list.revoked.some((e) => e.keyId === input.keyId)) return { authorized: false, reason: 'revoked' };
  }
  const candidates = input.certifications.filter((c) => c?.statement?.keyId === input.keyId);
  if (candidates.length === 0) return { authorized: false, reason: 'not-certified' };
  let best: AuthorizationResult = { authorized: false, reason: 'certification-invalid' };
  for (const c of candidates) {
    let s: CertificationStatement;
    try {
      s = checkCertification(root, c);
    } catch {
      continue;
    }
    if (s.expires !== undefined && !(Date.parse(s.expires) > input.now.getTime())) {
      best = { authorized: false, reason: 'expired', repositories: s.repositories };
      continue;
    }
    if (s.repositories.some((g) => matchRepository(g, input.repository))) {
      return { authorized: true, reason: 'authorized', repositories: s.repositories };
    }
    best = { authorized: false, reason: 'repository-not-covered', repositories: s.repositories };
  }
  return best;
}
