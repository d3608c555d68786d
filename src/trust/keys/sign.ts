/**
 * Signing primitives with the conventions cosign uses for each key type
 * (sigstore/sigstore `signature.LoadSignerVerifier`, called by cosign with
 * SHA-256, and its per-curve defaults):
 *
 * | key          | signature                                                     |
 * |--------------|---------------------------------------------------------------|
 * | ECDSA P-256  | ECDSA over SHA-256, ASN.1 DER `SEQUENCE { r, s }`             |
 * | ECDSA P-384  | ECDSA over SHA-384, DER                                       |
 * | ECDSA P-521  | ECDSA over SHA-512, DER                                       |
 * | Ed25519      | pure Ed25519 (RFC 8032) over the message itself               |
 * | RSA          | RSASSA-PKCS1-v1_5 with SHA-256 (not PSS)                      |
 *
 * Ed25519 caveat: recent cosign releases sign with *Ed25519ph* (pre-hashed, SHA-512)
 * by default for its own key files, because that is what Rekor's
 * hashedrekord accepts; pure Ed25519 is its legacy option. node:crypto on
 * OpenSSL 3.0 offers no Ed25519ph, so we sign and verify pure Ed25519 only.
 *
 * Pure: bytes in, bytes out.
 */
import { createPublicKey, sign as nodeSign, verify as nodeVerify, constants, type KeyObject } from 'node:crypto';
import { KeyError } from './errors.js';
import { algorithmOf, type KeyAlgorithm } from './keys.js';

export interface SignatureScheme {
  /** Digest given to node:crypto, or null for pure Ed25519. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  readonly description: string;
}

export function signatureScheme(algorithm: KeyAlgorithm): SignatureScheme {
  switch (algorithm) {
    case 'ecdsa-p256':
      return { hash: 'sha256', description: 'ECDSA P-256 with SHA-256, ASN.1 DER signature' };
    case 'ecdsa-p384':
      return { hash: 'sha384', description: 'ECDSA P-384 with SHA-384, ASN.1 DER signature' };
    case 'ecdsa-p521':
      return { hash: 'sha512', description: 'ECDSA P-521 with SHA-512, ASN.1 DER signature' };
    case 'ed25519':
      return { hash: null, description: 'pure Ed25519' };
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096':
      return { hash: 'sha256', description: 'RSASSA-PKCS1-v1_5 with SHA-256' };
  }
}

function options(key: KeyObject, algorithm: KeyAlgorithm) {
  if (algorithm.startsWith('ecdsa-')) return { key, dsaEncoding: 'der' as const };
  if (algorithm.startsWith('rsa-')) return { key, padding: constants.RSA_PKCS1_PADDING };
  return key;
}

/** Sign `data` with a private key, as cosign would with the same key. */
export function signBytes(privateKey: KeyObject, data: Uint8Array): Buffer {
  if (privateKey.type !== 'private') throw new KeyError('ARGUMENT_INVALID', 'signBytes needs a private key');
  const algorithm = algorithmOf(privateKey);
  return nodeSign(signatureScheme(algorithm).hash, data, options(privateKey, algorithm));
}

/**
 * Verify a signature made by signBytes (or by cosign with the same key type).
 * False for any mismatch or malformed signature; throws only for a key we do
 * not accept.
 */
export function verifyBytes(publicKey: KeyObject | string, data: Uint8Array, signature: Uint8Array): boolean {
  let key: KeyObject;
  try {
    key = typeof publicKey === 'string' || publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  } catch (cause) {
    throw new KeyError('KEY_FORMAT_UNKNOWN', 'verifyBytes needs a public key (KeyObject or PEM)', { cause });
  }
  const algorithm = algorithmOf(key);
  try {
    return nodeVerify(signatureScheme(algorithm).hash, data, options(key, algorithm), signature);
  } catch {
    return false;
  }
}
