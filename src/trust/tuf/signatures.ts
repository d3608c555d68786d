/**
 * Signatures over canonical JSON as Notary makes and checks them
 * (notary `tuf/signed/verifiers.go`, `tuf/data/keys.go`):
 *
 * | method        | key types              | bytes                                               |
 * |---------------|------------------------|-----------------------------------------------------|
 * | `ecdsa`       | ecdsa, ecdsa-x509      | raw r‖s, each padded to the curve size, over SHA-256 (whatever the curve) |
 * | `eddsa`       | ed25519                | pure Ed25519, 64 bytes                              |
 * | `rsapss`      | rsa, rsa-x509 (≥ 2048) | RSASSA-PSS, SHA-256, salt length 32                 |
 * | `rsapkcs1v15` | rsa, rsa-x509 (≥ 2048) | RSASSA-PKCS1-v1_5, SHA-256                          |
 *
 * Notary lowercases `method` when reading. Signing covers ed25519, ecdsa
 * (the two key types our server holds for timestamp and snapshot) and RSA with
 * `rsapss`, what notary's RSA signer uses: a publisher's root (`*-x509`) and
 * targets keys can be each of the three.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, constants, type KeyObject } from 'node:crypto';
import { TufError } from './errors.js';
import { makeKey, type TufKey } from './keys.js';

export type SignatureMethod = 'ecdsa' | 'eddsa' | 'rsapss' | 'rsapkcs1v15';

export interface Signature {
  readonly keyid: string;
  readonly method: string;
  /** base64 */
  readonly sig: string;
}

function ecOctets(key: KeyObject): number {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  switch (curve) {
    case 'prime256v1':
      return 32;
    case 'secp384r1':
      return 48;
    case 'secp521r1':
      return 66;
    default:
      return 0;
  }
}

/** True when `sig` (decoded) is a valid signature of `message` by `key` with `method`. Never throws for a bad signature. */
export function verifySignature(key: TufKey, method: string, sig: Buffer, message: Uint8Array): boolean {
  try {
    switch (method.toLowerCase()) {
      case 'ecdsa': {
        if (key.keytype !== 'ecdsa' && key.keytype !== 'ecdsa-x509') return false;
        const octets = ecOctets(key.keyObject);
        if (octets === 0 || sig.length !== 2 * octets) return false;
        return verify('sha256', message, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, sig);
      }
      case 'eddsa':
        if (key.keytype !== 'ed25519' || sig.length !== 64) return false;
        return verify(null, message, key.keyObject, sig);
      case 'rsapss':
      case 'rsapkcs1v15': {
        if (key.keytype !== 'rsa' && key.keytype !== 'rsa-x509') return false;
        const bits = key.keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
        if (bits < 2048 || sig.length < 256) return false;
        const padding = method.toLowerCase() === 'rsapss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
        return verify('sha256', message, { key: key.keyObject, padding, saltLength: 32 }, sig);
      }
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** A key we can sign with: its public half as Notary lists it and the private key. */
export interface SigningKey {
  readonly public: TufKey;
  readonly privateKey: KeyObject;
}

export type SigningKeyType = 'ed25519' | 'ecdsa';

/** A fresh signing key: ed25519, or ECDSA on P-256 (the two types notary-server generates). */
export function generateSigningKey(type: SigningKeyType): SigningKey {
  if (type === 'ed25519') {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    return { public: ed25519Public(publicKey), privateKey };
  }
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { public: makeKey('ecdsa', publicKey.export({ format: 'der', type: 'spki' })), privateKey };
}

function ed25519Public(publicKey: KeyObject): TufKey {
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new TufError('SIGNING_FAILED', 'ed25519 key has no public part');
  return makeKey('ed25519', Buffer.from(jwk.x, 'base64url'));
}

/** PKCS#8 DER of a signing key's private half (to store it). */
export function exportSigningKey(key: SigningKey): Buffer {
  return key.privateKey.export({ format: 'der', type: 'pkcs8' });
}

/** Reads a PKCS#8 DER private key back into a signing key (ed25519 or ECDSA P-256). */
export function importSigningKey(pkcs8: Uint8Array): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch (error) {
    throw new TufError('SIGNING_FAILED', 'private key does not parse', { cause: error });
  }
  const publicKey = createPublicKey(privateKey);
  if (privateKey.asymmetricKeyType === 'ed25519') return { public: ed25519Public(publicKey), privateKey };
  if (privateKey.asymmetricKeyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return { public: makeKey('ecdsa', publicKey.export({ format: 'der', type: 'spki' })), privateKey };
  }
  throw new TufError('SIGNING_FAILED', `cannot sign with a ${privateKey.asymmetricKeyType ?? 'unknown'} key`);
}

/**
 * A publisher's key as Notary lists it without a certificate: `ed25519` (the
 * raw 32 bytes), `ecdsa` or `rsa` (DER SubjectPublicKeyInfo), paired with its
 * private half.
 */
export function bareSigningKey(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  switch (privateKey.asymmetricKeyType) {
    case 'ed25519':
      return { public: ed25519Public(publicKey), privateKey };
    case 'ec':
      return { public: makeKey('ecdsa', publicKey.export({ format: 'der', type: 'spki' })), privateKey };
    case 'rsa':
      return { public: makeKey('rsa', publicKey.export({ format: 'der', type: 'spki' })), privateKey };
    default:
      throw new TufError('SIGNING_FAILED', `Notary has no key type for a ${privateKey.asymmetricKeyType ?? 'unknown'} key`);
  }
}

/** Signs `message` (canonical JSON of `signed`) as Notary does for this key type (ed25519, ecdsa, rsa and their certificates). */
export function signMessage(key: SigningKey, message: Uint8Array): Signature {
  switch (key.public.keytype) {
    case 'ed25519':
      return { keyid: key.public.id, method: 'eddsa', sig: sign(null, message, key.privateKey).toString('base64') };
    case 'ecdsa':
    case 'ecdsa-x509':
      return {
        keyid: key.public.id,
        method: 'ecdsa',
        sig: sign('sha256', message, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64'),
      };
    case 'rsa':
    case 'rsa-x509':
      return {
        keyid: key.public.id,
        method: 'rsapss',
        sig: sign('sha256', message, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64'),
      };
  }
}
