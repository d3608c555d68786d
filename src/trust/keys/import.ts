/**
 * Recognise and open key material of every format we import. Pure: bytes
 * in, key objects out.
 *
 * | input                                             | needs passphrase      |
 * |---------------------------------------------------|-----------------------|
 * | `PORTCULLIS ENCRYPTED PRIVATE KEY` (ours)         | yes                   |
 * | `ENCRYPTED SIGSTORE PRIVATE KEY` (cosign ≥ 2)     | yes (may be empty)    |
 * | `ENCRYPTED COSIGN PRIVATE KEY` (cosign 1.x)       | yes (may be empty)    |
 * | `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC 1), `RSA PRIVATE KEY` (PKCS#1) | no |
 * | `PUBLIC KEY` (SubjectPublicKeyInfo, as cosign.pub), `RSA PUBLIC KEY` | no  |
 * | DER PKCS#8 or DER SubjectPublicKeyInfo            | no                    |
 *
 * Refused: PKCS#8 `ENCRYPTED PRIVATE KEY` and legacy OpenSSL `Proc-Type`
 * encryption — their KDF cost (PBKDF2 iterations) is attacker-chosen and
 * node:crypto cannot bound it; convert with `openssl pkcs8 -topk8 -nocrypt`
 * in a trusted place first.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { KeyError } from './errors.js';
import { decryptCosignKey, COSIGN_KEY_LABELS } from './cosign.js';
import { decryptPrivateKey, ENCRYPTED_KEY_LABEL, type EncryptedKeyMetadata } from './encrypted.js';
import { algorithmOf, keyIdOfKey, type KeyAlgorithm } from './keys.js';
import { looksLikePem, parsePem } from './pem.js';
import type { Passphrase } from './secret.js';

export type KeySourceFormat = 'portcullis' | 'cosign' | 'pkcs8' | 'sec1' | 'pkcs1' | 'spki';

export interface ParsedPrivateKey {
  readonly kind: 'private';
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly algorithm: KeyAlgorithm;
  readonly keyId: string;
  readonly format: KeySourceFormat;
  /** Present for our own format: the role and creation time it recorded. */
  readonly metadata?: EncryptedKeyMetadata;
}

export interface ParsedPublicKey {
  readonly kind: 'public';
  readonly publicKey: KeyObject;
  readonly algorithm: KeyAlgorithm;
  readonly keyId: string;
  readonly format: KeySourceFormat;
}

export type ParsedKey = ParsedPrivateKey | ParsedPublicKey;

const PLAIN_PRIVATE: Record<string, KeySourceFormat> = { 'PRIVATE KEY': 'pkcs8', 'EC PRIVATE KEY': 'sec1', 'RSA PRIVATE KEY': 'pkcs1' };
const PUBLIC: Record<string, KeySourceFormat> = { 'PUBLIC KEY': 'spki', 'RSA PUBLIC KEY': 'pkcs1' };
const REFUSED = ['ENCRYPTED PRIVATE KEY'];

function privateResult(privateKey: KeyObject, format: KeySourceFormat, metadata?: EncryptedKeyMetadata): ParsedPrivateKey {
  const algorithm = algorithmOf(privateKey);
  const base = { kind: 'private' as const, privateKey, publicKey: createPublicKey(privateKey), algorithm, keyId: keyIdOfKey(privateKey), format };
  return metadata ? { ...base, metadata } : base;
}

function publicResult(publicKey: KeyObject, format: KeySourceFormat): ParsedPublicKey {
  return { kind: 'public', publicKey, algorithm: algorithmOf(publicKey), keyId: keyIdOfKey(publicKey), format };
}

function needPassphrase(passphrase: Passphrase | undefined, what: string): Passphrase {
  if (passphrase === undefined) throw new KeyError('PASSPHRASE_REQUIRED', `a passphrase is required to open ${what}`);
  return passphrase;
}

/**
 * Open key material. `passphrase` is used only by the encrypted formats; for
 * a cosign key generated without a password, pass `''` explicitly.
 */
export async function parseKeyMaterial(input: string | Uint8Array, options: { passphrase?: Passphrase } = {}): Promise<ParsedKey> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  if (!looksLikePem(bytes)) return parseDer(bytes);
  const text = bytes.toString('utf8');
  const blocks = parsePem(text);
  const refused = blocks.find((b) => REFUSED.includes(b.label));
  if (refused) {
    throw new KeyError('KEY_FORMAT_UNKNOWN', `${refused.label} (password-encrypted PKCS#8) is not imported; decrypt it to PKCS#8 first`);
  }
  const known = blocks.filter(
    (b) => b.label === ENCRYPTED_KEY_LABEL || COSIGN_KEY_LABELS.includes(b.label) || b.label in PLAIN_PRIVATE || b.label in PUBLIC,
  );
  if (known.length === 0) throw new KeyError('KEY_FORMAT_UNKNOWN', `no key block found (labels: ${blocks.map((b) => b.label).join(', ') || 'none'})`);
  if (known.length > 1) throw new KeyError('KEY_FORMAT_UNKNOWN', 'the input holds more than one key; import them one at a time');
  const block = known[0]!;
  if (block.label === ENCRYPTED_KEY_LABEL) {
    const { privateKey, metadata } = await decryptPrivateKey(text, needPassphrase(options.passphrase, 'this portcullis key'));
    return privateResult(privateKey, 'portcullis', metadata);
  }
  if (COSIGN_KEY_LABELS.includes(block.label)) {
    const privateKey = await decryptCosignKey(text, needPassphrase(options.passphrase, 'this cosign key'));
    return privateResult(privateKey, 'cosign');
  }
  const plain = PLAIN_PRIVATE[block.label];
  if (plain) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: block.bytes, format: 'der', type: plain === 'sec1' ? 'sec1' : plain === 'pkcs1' ? 'pkcs1' : 'pkcs8' });
    } catch (cause) {
      throw new KeyError('KEY_CORRUPT', `the ${block.label} block does not parse`, { cause });
    }
    return privateResult(key, plain);
  }
  const pub = PUBLIC[block.label]!;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block.bytes, format: 'der', type: pub === 'pkcs1' ? 'pkcs1' : 'spki' });
  } catch (cause) {
    throw new KeyError('KEY_CORRUPT', `the ${block.label} block does not parse`, { cause });
  }
  return publicResult(key, pub);
}

function parseDer(bytes: Buffer): ParsedKey {
  try {
    return privateResult(createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' }), 'pkcs8');
  } catch (err) {
    if (err instanceof KeyError) throw err;
  }
  try {
    return publicResult(createPublicKey({ key: bytes, format: 'der', type: 'spki' }), 'spki');
  } catch (err) {
    if (err instanceof KeyError) throw err;
  }
  throw new KeyError('KEY_FORMAT_UNKNOWN', 'the bytes are neither PEM nor DER PKCS#8 / SubjectPublicKeyInfo');
}
