/**
 * Verifying what was read from a registry against candidate public keys:
 * which key signed what, for which digest, naming which repository. Pure —
 * the engine reads the registry and the key store and hands the evidence and
 * the keys (with their trust decided) to these functions.
 *
 * Each signature gets exactly one status, checked in this order:
 * 1. `unreadable` — the engine could not read it (e.g. a blob whose bytes do
 *    not match the digest in the signature manifest);
 * 2. `keyless` — a certificate-based bundle (we verify keys only);
 * 3. `invalid-signature` — the key it names (hint) does not verify it: the
 *    payload or signature was modified;
 * 4. `unknown-key` — no candidate key verifies it;
 * 5. `malformed` — it verifies but the payload is not a signature we read;
 * 6. `wrong-digest` — it signs another manifest digest (the tag moved, or a
 *    signature was copied from another image);
 * 7. `untrusted-key` — a known key that may not sign here (revoked, not
 *    certified by the root for this repository, expired certification);
 * 8. `verified`.
 * The identity (`docker-reference`, or the in-toto subject name) is compared
 * with the image's repository and reported; whether a mismatch matters is the
 * policy's call (signedIdentity).
 */
import type { KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import { type Digest, parseImageRef, refName } from '../../core/index.js';
import { verifyBytes } from '../keys/sign.js';
import type { Bundle } from './bundle.js';
import { INTOTO_PAYLOAD_TYPE, pae, parseStatement, PredicateType, statementCovers, type DsseEnvelope, type Statement } from './dsse.js';
import { parseSimpleSigningPayload, type SimpleSigningPayload } from './simple-signing.js';

export type Layout = 'tag' | 'bundle';

export interface CandidateKey {
  /** Key id: hex SHA-256 of the DER SubjectPublicKeyInfo. */
  readonly id: string;
  readonly publicKey: KeyObject;
  /** `store` (the trust store), `file` (--key or a policy PEM file). */
  readonly source: 'store' | 'file';
  /** A file path or other label for reports. */
  readonly label?: string;
  /** Whether this key may sign for the image's repository. */
  readonly trusted: boolean;
  /** Why (store keys: the authorization reason; files: `explicit`). */
  readonly reason: string;
}

/** What the engine read for one signature or attestation. */
export type Evidence =
  | { readonly layout: 'tag'; readonly location: string; readonly kind: 'simple-signing'; readonly payload: Buffer; readonly signature: Buffer; readonly keyHint?: string }
  | { readonly layout: 'tag'; readonly location: string; readonly kind: 'dsse'; readonly envelope: DsseEnvelope; readonly keyHint?: string }
  | { readonly layout: 'bundle'; readonly location: string; readonly kind: 'bundle'; readonly bundle: Bundle }
  | { readonly layout: Layout; readonly location: string; readonly kind: 'unreadable'; readonly message: string };

export type SignatureStatus = 'verified' | 'untrusted-key' | 'wrong-digest' | 'malformed' | 'unknown-key' | 'invalid-signature' | 'keyless' | 'unreadable';

export type IdentityResult = 'match' | 'mismatch' | 'none';

export interface SignatureCheck {
  readonly layout: Layout;
  readonly location: string;
  readonly status: SignatureStatus;
  /** One line for people: what is wrong, or who signed. */
  readonly message: string;
  readonly keyId?: string;
  readonly keySource?: CandidateKey['source'];
  readonly keyLabel?: string;
  readonly keyReason?: string;
  readonly signedDigest?: string;
  /** The repository the signer named (docker-reference or in-toto subject name). */
  readonly signedIdentity?: string;
  readonly identity: IdentityResult;
  /** For attestations: the statement's predicate type and predicate. */
  readonly predicateType?: string;
  readonly predicate?: unknown;
  /** simple-signing `optional` (annotations). */
  readonly annotations?: Record<string, unknown> | null;
}

export interface Expected {
  readonly digest: Digest;
  /** `registry/repository` of the image. */
  readonly repository: string;
}

/** Canonical `registry/repository` of a signed identity (cosign writes index.docker.io). */
export function normaliseIdentity(value: string): string | undefined {
  if (value === '') return undefined;
  try {
    const stripped = value.replace(/^index\.docker\.io\//, 'docker.io/');
    return refName(parseImageRef(stripped));
  } catch {
    return undefined;
  }
}

/**
 * `signedIdentity: exact`: the signed reference names the identity's
 * repository and, when the identity names a tag or digest, that same tag or
 * digest (a signature naming `app:2.0`, or only `app`, is not one for
 * `app:1.0`). Comparing repositories alone made a tag in the identity
 * decorative.
 */
export function exactIdentityMatches(signed: string, identity: string): boolean {
  const parse = (value: string) => {
    try {
      return value === '' ? undefined : parseImageRef(value.replace(/^index\.docker\.io\//, 'docker.io/'));
    } catch {
      return undefined;
    }
  };
  const got = parse(signed);
  const want = parse(identity);
  if (!got || !want || refName(got) !== refName(want)) return false;
  const pinned = identity.includes('@') || identity.slice(identity.lastIndexOf('/') + 1).includes(':');
  return !pinned || (got.tag === want.tag && got.digest === want.digest);
}

export function identityResult(signed: string | undefined, repository: string): IdentityResult {
  if (signed === undefined || signed === '') return 'none';
  return normaliseIdentity(signed) === normaliseIdentity(repository) ? 'match' : 'mismatch';
}

interface KeyMatch {
  key?: CandidateKey;
  hinted?: CandidateKey;
  hintUnknown?: string;
}

/** The key that verifies `data`/`signature`, trying the hinted key first. */
function findKey(keys: readonly CandidateKey[], hint: string | undefined, data: Uint8Array, signature: Uint8Array): KeyMatch {
  const hinted = hint ? keys.find((k) => k.id === hint.toLowerCase()) : undefined;
  const order = hinted ? [hinted, ...keys.filter((k) => k !== hinted)] : keys;
  for (const key of order) {
    if (verifyBytes(key.publicKey, data, signature)) return { key, ...(hinted ? { hinted } : {}) };
  }
  return { ...(hinted ? { hinted } : {}), ...(hint && !hinted ? { hintUnknown: hint } : {}) };
}

function short(id: string): string {
  return id.slice(0, 12);
}

function keyFields(key: CandidateKey): Pick<SignatureCheck, 'keyId' | 'keySource' | 'keyLabel' | 'keyReason'> {
  return { keyId: key.id, keySource: key.source, ...(key.label ? { keyLabel: key.label } : {}), keyReason: key.reason };
}

function noKey(base: { layout: Layout; location: string }, match: KeyMatch): SignatureCheck {
  if (match.hinted) {
    return { ...base, ...keyFields(match.hinted), status: 'invalid-signature', identity: 'none', message: `the signature does not verify with key ${short(match.hinted.id)} it names: the payload or the signature was modified` };
  }
  const named = match.hintUnknown ? ` (it names key ${short(match.hintUnknown)})` : '';
  return { ...base, status: 'unknown-key', identity: 'none', message: `signed by an unknown key${named}: no key in the trust store or given verifies it` };
}

function afterKey(
  base: { layout: Layout; location: string },
  key: CandidateKey,
  signedDigest: string,
  expected: Expected,
  signedIdentity: string | undefined,
  extra: Partial<SignatureCheck>,
): SignatureCheck {
  const identity = identityResult(signedIdentity, expected.repository);
  const common = { ...base, ...keyFields(key), signedDigest, identity, ...(signedIdentity ? { signedIdentity } : {}), ...extra };
  if (signedDigest !== expected.digest) {
    return { ...common, status: 'wrong-digest', message: `the signature is for ${signedDigest}, not for the image's ${expected.digest}: the tag was moved after signing, or the signature was copied from another image` };
  }
  if (!key.trusted) {
    return { ...common, status: 'untrusted-key', message: untrustedMessage(key, expected.repository) };
  }
  return { ...common, status: 'verified', message: `verified: signed by ${key.source === 'store' ? 'trust-store' : 'given'} key ${short(key.id)}${key.label ? ` (${key.label})` : ''}` };
}

export function untrustedMessage(key: CandidateKey, repository: string): string {
  switch (key.reason) {
    case 'revoked':
      return `key ${short(key.id)} is revoked: its signatures no longer verify`;
    case 'not-certified':
    case 'repository-not-covered':
      return `key ${short(key.id)} is not certified by the root key for ${repository}`;
    case 'expired':
      return `the root's certification of key ${short(key.id)} has expired`;
    case 'no-root':
      return `key ${short(key.id)} cannot be trusted: the trust store has no root key to certify it`;
    case 'is-root':
      return `key ${short(key.id)} is the root key, which never signs images`;
    default:
      return `key ${short(key.id)} may not sign for ${repository} (${key.reason})`;
  }
}

/** Verify one image signature (tag layout simple signing, or a cosign v3 bundle). */
export function verifySignature(evidence: Evidence, expected: Expected, keys: readonly CandidateKey[]): SignatureCheck {
  const base = { layout: evidence.layout, location: evidence.location };
  switch (evidence.kind) {
    case 'unreadable':
      return { ...base, status: 'unreadable', identity: 'none', message: evidence.message };
    case 'simple-signing': {
      const match = findKey(keys, evidence.keyHint, evidence.payload, evidence.signature);
      if (!match.key) return noKey(base, match);
      let payload: SimpleSigningPayload;
      try {
        payload = parseSimpleSigningPayload(evidence.payload);
      } catch (error) {
        return { ...base, ...keyFields(match.key), status: 'malformed', identity: 'none', message: `the signed payload is not a cosign signature: ${(error as Error).message}` };
      }
      return afterKey(base, match.key, payload.manifestDigest, expected, payload.dockerReference || undefined, { annotations: payload.optional });
    }
    case 'dsse':
      return verifyDsse(base, evidence.envelope, evidence.keyHint, expected, keys, 'signature');
    case 'bundle': {
      const bundle = evidence.bundle;
      if (!bundle.dsseEnvelope) {
        if (bundle.hasCertificate) return { ...base, status: 'keyless', identity: 'none', message: 'a keyless (certificate) bundle: portcullis verifies key-based signatures only' };
        return { ...base, status: 'malformed', identity: 'none', message: 'a message-signature bundle does not carry the signed payload, so it cannot name the image' };
      }
      if (bundle.hasCertificate && !bundle.keyHint) return { ...base, status: 'keyless', identity: 'none', message: 'a keyless (certificate) bundle: portcullis verifies key-based signatures only' };
      return verifyDsse(base, bundle.dsseEnvelope, bundle.keyHint, expected, keys, 'signature');
    }
  }
}

/** Verify one attestation (a DSSE envelope, in a `.att` layer or a bundle). */
export function verifyAttestation(evidence: Evidence, expected: Expected, keys: readonly CandidateKey[]): SignatureCheck {
  const base = { layout: evidence.layout, location: evidence.location };
  if (evidence.kind === 'unreadable') return { ...base, status: 'unreadable', identity: 'none', message: evidence.message };
  if (evidence.kind === 'simple-signing') return { ...base, status: 'malformed', identity: 'none', message: 'a simple-signing signature is not an attestation' };
  if (evidence.kind === 'bundle') {
    if (!evidence.bundle.dsseEnvelope) return { ...base, status: evidence.bundle.hasCertificate ? 'keyless' : 'malformed', identity: 'none', message: 'not a DSSE attestation bundle' };
    return verifyDsse(base, evidence.bundle.dsseEnvelope, evidence.bundle.keyHint, expected, keys, 'attestation');
  }
  return verifyDsse(base, evidence.envelope, evidence.keyHint, expected, keys, 'attestation');
}

function verifyDsse(
  base: { layout: Layout; location: string },
  envelope: DsseEnvelope,
  hint: string | undefined,
  expected: Expected,
  keys: readonly CandidateKey[],
  want: 'signature' | 'attestation',
): SignatureCheck {
  const signed = pae(envelope.payloadType, envelope.payload);
  let match: KeyMatch = {};
  for (const sig of envelope.signatures) {
    match = findKey(keys, hint || sig.keyid || undefined, signed, sig.sig);
    if (match.key) break;
  }
  if (!match.key) return noKey(base, match);
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE) {
    return { ...base, ...keyFields(match.key), status: 'malformed', identity: 'none', message: `the envelope's payloadType is "${envelope.payloadType.slice(0, 80)}", not an in-toto statement` };
  }
  let statement: Statement;
  try {
    statement = parseStatement(envelope.payload);
  } catch (error) {
    return { ...base, ...keyFields(match.key), status: 'malformed', identity: 'none', message: `the signed statement is malformed: ${(error as Error).message}` };
  }
  const isSignature = statement.predicateType === PredicateType.CosignSign;
  if ((want === 'signature') !== isSignature) {
    return { ...base, ...keyFields(match.key), status: 'malformed', identity: 'none', predicateType: statement.predicateType, message: want === 'signature' ? `an attestation (${statement.predicateType}), not a signature` : 'a signature, not an attestation' };
  }
  const subject = statementCovers(statement, expected.digest);
  const signedDigest = subject ? expected.digest : firstDigest(statement);
  const extra: Partial<SignatureCheck> = want === 'attestation' ? { predicateType: statement.predicateType, predicate: statement.predicate } : {};
  return afterKey(base, match.key, signedDigest, expected, (subject ?? statement.subject[0])?.name || undefined, extra);
}

function firstDigest(statement: Statement): string {
  const s = statement.subject[0];
  if (!s) return '(none)';
  const [alg, hex] = Object.entries(s.digest)[0] ?? ['', ''];
  return `${alg}:${hex}`;
}

/**
 * A message-signature bundle over `artifact`: true when the bundle's digest is
 * the artifact's SHA-256 and `key` verifies the signature over the artifact.
 */
export function verifyMessageSignature(bundle: Bundle, artifact: Uint8Array, key: KeyObject): boolean {
  const m = bundle.messageSignature;
  if (!m || m.digestAlgorithm !== 'SHA2_256') return false;
  if (!createHash('sha256').update(artifact).digest().equals(m.digest)) return false;
  return verifyBytes(key, artifact, m.signature);
}

/** A DSSE envelope verified with `key` (any of its signatures). */
export function verifyEnvelope(envelope: DsseEnvelope, key: KeyObject): boolean {
  const signed = pae(envelope.payloadType, envelope.payload);
  return envelope.signatures.some((s) => verifyBytes(key, signed, s.sig));
}
