/**
 * Public keys as Notary writes them in root.json and delegations:
 * `{"keytype": T, "keyval": {"private": null, "public": base64}}` with
 *
 * | keytype      | `public` decodes to                         |
 * |--------------|---------------------------------------------|
 * | `ed25519`    | the raw 32-byte key                         |
 * | `ecdsa`      | DER SubjectPublicKeyInfo                    |
 * | `rsa`        | DER SubjectPublicKeyInfo                    |
 * | `ecdsa-x509` | a PEM certificate (or bundle: leaf first)   |
 * | `rsa-x509`   | a PEM certificate (or bundle: leaf first)   |
 *
 * **Key ID** (notary `tuf/data/keys.go` `TUFKey.ID`): hex sha256 of the
 * canonical JSON of `{"keytype":T,"keyval":{"private":null,"public":…}}`.
 * For a certificate key that is the ID of the *certificate*, which is what
 * root.json and delegations list. Notary also has a **canonical key ID**
 * (`tuf/utils/x509.go` `CanonicalKeyID`): for `*-x509` keys, the ID of the
 * bare key `{"keytype":"ecdsa"|"rsa","keyval":{"public":base64(SPKI)}}` taken
 * from the certificate. The CLI names private key files and prints key IDs
 * (`notary key list`, `delegation list`) by the canonical ID, so the two
 * differ for the root key and delegation keys; a renewed certificate over the
 * same key keeps its canonical ID but gets a new key ID.
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { canonicalBytes, type JsonValue } from './canonical.js';
import { TufError } from './errors.js';

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa' | 'ecdsa-x509' | 'rsa-x509';
export const KEY_TYPES: readonly KeyType[] = ['ed25519', 'ecdsa', 'rsa', 'ecdsa-x509', 'rsa-x509'];

export interface CertificateInfo {
  readonly commonName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCA: boolean;
}

export interface TufKey {
  readonly keytype: KeyType;
  /** The decoded bytes of `keyval.public`. */
  readonly public: Buffer;
  /** Notary key ID (of the key object as listed). */
  readonly id: string;
  /** The key to verify with. */
  readonly keyObject: KeyObject;
  /** The leaf certificate of a `*-x509` key. */
  readonly certificate?: CertificateInfo;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (padding required), as Go's encoding/json reads []byte. */
export function decodeBase64(text: string, what: string): Buffer {
  if (!BASE64.test(text)) throw new TufError('METADATA_INVALID', `${what} is not standard base64`);
  return Buffer.from(text, 'base64');
}

/** The JSON object of a public key, exactly the shape its ID is computed over. */
export function keyJson(keytype: string, publicBytes: Uint8Array): { keytype: string; keyval: { public: string; private: null } } {
  // Insertion order is Go's struct order, so JSON.stringify writes what notary's json.Marshal writes.
  return { keytype, keyval: { public: Buffer.from(publicBytes).toString('base64'), private: null } };
}

export function keyIdOf(keytype: string, publicBytes: Uint8Array): string {
  return createHash('sha256').update(canonicalBytes(keyJson(keytype, publicBytes))).digest('hex');
}

function leafCertificate(pemBytes: Buffer, what: string): X509Certificate {
  const text = pemBytes.toString('latin1');
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
  if (!match) throw new TufError('KEY_INVALID', `${what}: no PEM certificate in the key`);
  try {
    return new X509Certificate(match[0]);
  } catch (error) {
    throw new TufError('KEY_INVALID', `${what}: certificate does not parse`, { cause: error });
  }
}

function commonNameOf(subject: string): string {
  for (const line of subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return '';
}

function keyObjectOf(keytype: KeyType, pub: Buffer, what: string): { keyObject: KeyObject; certificate?: CertificateInfo } {
  try {
    switch (keytype) {
      case 'ed25519':
        if (pub.length !== 32) throw new TufError('KEY_INVALID', `${what}: ed25519 public key must be 32 bytes`);
        return { keyObject: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') }, format: 'jwk' }) };
      case 'ecdsa':
      case 'rsa': {
        const keyObject = createPublicKey({ key: pub, format: 'der', type: 'spki' });
        checkAlgorithm(keytype, keyObject, what);
        return { keyObject };
      }
      case 'ecdsa-x509':
      case 'rsa-x509': {
        const cert = leafCertificate(pub, what);
        checkAlgorithm(keytype === 'ecdsa-x509' ? 'ecdsa' : 'rsa', cert.publicKey, what);
        return {
          keyObject: cert.publicKey,
          certificate: {
            commonName: commonNameOf(cert.subject),
            notBefore: new Date(cert.validFrom),
            notAfter: new Date(cert.validTo),
            isCA: cert.ca,
          },
        };
      }
    }
  } catch (error) {
    if (error instanceof TufError) throw error;
    throw new TufError('KEY_INVALID', `${what}: public key does not parse`, { cause: error });
  }
}

function checkAlgorithm(keytype: 'ecdsa' | 'rsa', key: KeyObject, what: string): void {
  const type = key.asymmetricKeyType;
  if (keytype === 'ecdsa' && type !== 'ec') throw new TufError('KEY_INVALID', `${what}: not an ECDSA key`);
  if (keytype === 'rsa' && type !== 'rsa' && type !== 'rsa-pss') throw new TufError('KEY_INVALID', `${what}: not an RSA key`);
}

export function makeKey(keytype: KeyType, publicBytes: Uint8Array, what = 'key'): TufKey {
  const pub = Buffer.from(publicBytes);
  const parsed = keyObjectOf(keytype, pub, what);
  return { keytype, public: pub, id: keyIdOf(keytype, pub), ...parsed };
}

/** Parses a key object as found in root.json `keys` or a delegation's `keys`. */
export function parseKey(value: JsonValue | undefined, what: string): TufKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TufError('METADATA_INVALID', `${what} is not an object`);
  const { keytype, keyval } = value;
  if (typeof keytype !== 'string' || !(KEY_TYPES as readonly string[]).includes(keytype)) {
    throw new TufError('KEY_INVALID', `${what}: unsupported keytype ${JSON.stringify(keytype)}`);
  }
  if (typeof keyval !== 'object' || keyval === null || Array.isArray(keyval) || typeof keyval.public !== 'string') {
    throw new TufError('METADATA_INVALID', `${what}: keyval.public missing`);
  }
  if (keyval.private !== undefined && keyval.private !== null) throw new TufError('KEY_INVALID', `${what}: a private key in public metadata`);
  return makeKey(keytype as KeyType, decodeBase64(keyval.public, `${what} keyval.public`), what);
}

/** Notary's canonical key ID: for a certificate key, the ID of the bare public key inside it. */
export function canonicalKeyId(key: TufKey): string {
  if (key.keytype !== 'ecdsa-x509' && key.keytype !== 'rsa-x509') return key.id;
  const spki = key.keyObject.export({ format: 'der', type: 'spki' });
  return keyIdOf(key.keytype === 'ecdsa-x509' ? 'ecdsa' : 'rsa', spki);
}

/**
 * The key material itself, whatever form lists it: a bare key and a
 * certificate over it, two certificates over one key, or one EC point in
 * compressed and uncompressed SPKI all have different key ids but one value
 * here (JWK members, which Node writes in one canonical form), so one private
 * key cannot count twice toward a threshold.
 */
export function keyMaterialId(key: TufKey): string {
  try {
    const jwk = key.keyObject.export({ format: 'jwk' });
    return JSON.stringify([jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e]);
  } catch {
    return key.keyObject.export({ format: 'der', type: 'spki' }).toString('hex');
  }
}

/** The bare public key as Notary lists it (`GET …/timestamp.key` answers this JSON). */
export function publicKeyJson(key: TufKey): { keytype: string; keyval: { public: string; private: null } } {
  return keyJson(key.keytype, key.public);
}
