/**
 * Key generation, algorithm detection and key ids. Pure: no files.
 *
 * Key id = lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (the bytes
 * inside a `-----BEGIN PUBLIC KEY-----` block). It is stable whatever the
 * private key encoding, can be recomputed by anyone holding the public key
 * (`openssl pkey -pubin -outform DER | sha256sum`), and differs from
 * TUF/Notary key ids (which hash other encodings).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { KeyError } from './errors.js';
import { toPem } from './pem.js';

/** Algorithms we accept. Generation offers the first three; import also takes the others cosign accepts. */
export type KeyAlgorithm =
  | 'ecdsa-p256'
  | 'ed25519'
  | 'rsa-3072'
  | 'ecdsa-p384'
  | 'ecdsa-p521'
  | 'rsa-2048'
  | 'rsa-4096';

export type GenerateAlgorithm = 'ecdsa-p256' | 'ed25519' | 'rsa-3072';

export const DEFAULT_ALGORITHM: GenerateAlgorithm = 'ecdsa-p256';
export const GENERATE_ALGORITHMS: readonly GenerateAlgorithm[] = ['ecdsa-p256', 'ed25519', 'rsa-3072'];
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = [
  'ecdsa-p256',
  'ed25519',
  'rsa-3072',
  'ecdsa-p384',
  'ecdsa-p521',
  'rsa-2048',
  'rsa-4096',
];

export type KeyRole = 'root' | 'repository';
export const KEY_ROLES: readonly KeyRole[] = ['root', 'repository'];

export interface GeneratedKeyPair {
  readonly algorithm: GenerateAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#8 DER of the private key. The caller should `fill(0)` it when done. */
  readonly pkcs8: Buffer;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Buffer;
  readonly keyId: string;
}

export function isGenerateAlgorithm(value: unknown): value is GenerateAlgorithm {
  return typeof value === 'string' && (GENERATE_ALGORITHMS as readonly string[]).includes(value);
}

export function isKeyAlgorithm(value: unknown): value is KeyAlgorithm {
  return typeof value === 'string' && (KEY_ALGORITHMS as readonly string[]).includes(value);
}

/** A fresh key pair with node:crypto's CSPRNG. */
export function generateKeyPair(algorithm: GenerateAlgorithm = DEFAULT_ALGORITHM): GeneratedKeyPair {
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  switch (algorithm) {
    case 'ecdsa-p256':
      pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      break;
    case 'ed25519':
      pair = generateKeyPairSync('ed25519');
      break;
    case 'rsa-3072':
      pair = generateKeyPairSync('rsa', { modulusLength: 3072, publicExponent: 0x10001 });
      break;
    default:
      throw new KeyError('KEY_UNSUPPORTED', `cannot generate keys of algorithm ${String(algorithm)}; choose one of ${GENERATE_ALGORITHMS.join(', ')}`);
  }
  const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
  const spki = pair.publicKey.export({ format: 'der', type: 'spki' });
  return { algorithm, privateKey: pair.privateKey, publicKey: pair.publicKey, pkcs8, spki, keyId: keyIdOf(spki) };
}

/** Lowercase hex SHA-256 of DER SubjectPublicKeyInfo bytes. */
export function keyIdOf(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex');
}

/** The key id of a public or private key object. */
export function keyIdOfKey(key: KeyObject): string {
  return keyIdOf(spkiOf(key));
}

/**
 * DER SubjectPublicKeyInfo in one canonical form: an EC point is written
 * uncompressed whatever form it was read in. OpenSSL keeps the form of the
 * input, so one P-256 key imported once compressed and once uncompressed had
 * two key ids — two "distinct" signers for a threshold, from one private key.
 */
export function spkiOf(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const canonical = pub.asymmetricKeyType === 'ec' ? createPublicKey({ key: pub.export({ format: 'jwk' }), format: 'jwk' }) : pub;
  return canonical.export({ format: 'der', type: 'spki' });
}

/** PEM `PUBLIC KEY` (PKIX SubjectPublicKeyInfo) — the same as cosign's `cosign.pub`. */
export function publicKeyPem(key: KeyObject): string {
  return toPem('PUBLIC KEY', spkiOf(key));
}

/**
 * The algorithm of a key, checked against what we accept: ECDSA on P-256,
 * P-384, P-521; Ed25519; RSA of 2048, 3072 or 4096 bits (as cosign).
 */
export function algorithmOf(key: KeyObject): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  switch (type) {
    case 'ec': {
      const curve = details.namedCurve;
      if (curve === 'prime256v1' || curve === 'P-256') return 'ecdsa-p256';
      if (curve === 'secp384r1' || curve === 'P-384') return 'ecdsa-p384';
      if (curve === 'secp521r1' || curve === 'P-521') return 'ecdsa-p521';
      throw new KeyError('KEY_UNSUPPORTED', `ECDSA curve ${String(curve)} is not accepted (P-256, P-384, P-521 are)`);
    }
    case 'ed25519':
      return 'ed25519';
    case 'rsa': {
      const bits = details.modulusLength;
      if (bits === 2048) return 'rsa-2048';
      if (bits === 3072) return 'rsa-3072';
      if (bits === 4096) return 'rsa-4096';
      throw new KeyError('KEY_UNSUPPORTED', `RSA keys of ${String(bits)} bits are not accepted (2048, 3072, 4096 are)`);
    }
    default:
      throw new KeyError('KEY_UNSUPPORTED', `keys of type ${String(type)} are not accepted`);
  }
}

/** A private key object from PKCS#8 DER; KEY_CORRUPT when the bytes do not parse. */
export function privateKeyFromPkcs8(pkcs8: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new KeyError('KEY_CORRUPT', 'the decrypted bytes are not a PKCS#8 private key', { cause });
  }
}

/** A public key object from DER SubjectPublicKeyInfo. */
export function publicKeyFromSpki(spki: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new KeyError('KEY_CORRUPT', 'the bytes are not a SubjectPublicKeyInfo public key', { cause });
  }
}

/** Parse a `PUBLIC KEY` PEM (exactly one block) into a key object. */
export function publicKeyFromPem(pem: string): KeyObject {
  try {
    const key = createPublicKey({ key: pem, format: 'pem' });
    return key;
  } catch (cause) {
    throw new KeyError('KEY_FORMAT_UNKNOWN', 'not a PEM public key', { cause });
  }
}
