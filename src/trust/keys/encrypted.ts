/**
 * Our encrypted private key file: PKCS#8 DER sealed with AES-256-GCM under a
 * key derived from the passphrase with scrypt, armoured as
 * `-----BEGIN PORTCULLIS ENCRYPTED PRIVATE KEY-----` around base64 JSON:
 *
 * ```json
 * { "format": "portcullis-encrypted-private-key", "version": 1,
 *   "metadata": { "role": "repository", "algorithm": "ecdsa-p256", "keyId": "<sha256 hex of SPKI>", "created": "<ISO 8601>" },
 *   "kdf": { "name": "scrypt", "params": { "N": 131072, "r": 8, "p": 1 }, "salt": "<base64, 32 bytes>" },
 *   "cipher": { "name": "aes-256-gcm", "nonce": "<base64, 12 bytes>" },
 *   "check": "<base64, 32 bytes>",
 *   "ciphertext": "<base64: ciphertext || 16-byte tag>" }
 * ```
 *
 * - scrypt gives 64 bytes: the first 32 are the AES key, the last 32 key an
 *   HMAC-SHA256 of a fixed label stored as `check`. A wrong passphrase fails
 *   `check` (PASSPHRASE_INVALID) before the cipher runs; a right passphrase
 *   whose AEAD then fails means the file was altered (KEY_CORRUPT).
 * - The additional authenticated data is the canonical JSON of
 *   {format, version, metadata, kdf, cipher}: changing the role, algorithm,
 *   key id, created time, KDF parameters or nonce breaks the tag. A changed
 *   salt or KDF parameter changes the derived key, so it reads as a wrong
 *   passphrase: without the key nobody can tell the two apart.
 * - KDF parameters travel with the file so they can rise later; on reading
 *   they must lie within fixed bounds before anything is derived, so a
 *   crafted file cannot make us allocate gigabytes.
 *
 * Pure: bytes/text in, bytes/text out (scrypt runs on the libuv pool).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type KeyObject } from 'node:crypto';
import { KeyError } from './errors.js';
import { canonicalBytes } from './canonical.js';
import { algorithmOf, isKeyAlgorithm, keyIdOfKey, privateKeyFromPkcs8, KEY_ROLES, type KeyAlgorithm, type KeyRole } from './keys.js';
import { parsePem, toPem } from './pem.js';
import { isEmptyPassphrase, passphraseBytes, type Passphrase } from './secret.js';

export const ENCRYPTED_KEY_LABEL = 'PORTCULLIS ENCRYPTED PRIVATE KEY';
export const ENCRYPTED_KEY_FORMAT = 'portcullis-encrypted-private-key';
export const ENCRYPTED_KEY_VERSION = 1;

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * N=2^17, r=8, p=1: 128 MiB and roughly 0.5-1 s per unlock on current
 * hardware — OWASP's scrypt recommendation, and the "OWASP" level of the
 * library cosign uses (whose default is 2^16). A key is unlocked once per
 * signing command, so the cost is paid rarely by us and on every guess by an
 * attacker holding a copy of the file.
 */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

/** Bounds for reading (and writing): N a power of two in [2^14, 2^20], r in [8, 32], p in [1, 16], memory 128·N·r ≤ 1 GiB. */
export const SCRYPT_BOUNDS = Object.freeze({ minN: 2 ** 14, maxN: 2 ** 20, minR: 8, maxR: 32, minP: 1, maxP: 16, maxMemory: 2 ** 30 });

export interface EncryptedKeyMetadata {
  readonly role: KeyRole;
  readonly algorithm: KeyAlgorithm;
  /** sha256 hex of the DER SubjectPublicKeyInfo. */
  readonly keyId: string;
  /** ISO 8601 creation time. */
  readonly created: string;
}

/** The parsed, validated, still-encrypted file. */
export interface EncryptedKeyFile {
  readonly version: number;
  readonly metadata: EncryptedKeyMetadata;
  readonly kdf: { readonly name: 'scrypt'; readonly params: ScryptParams; readonly salt: Buffer };
  readonly cipher: { readonly name: 'aes-256-gcm'; readonly nonce: Buffer };
  readonly check: Buffer;
  readonly ciphertext: Buffer;
}

export interface DecryptedKey {
  readonly privateKey: KeyObject;
  readonly metadata: EncryptedKeyMetadata;
}

const CHECK_LABEL = 'portcullis encrypted private key v1: passphrase check';
const SALT_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function scryptAsync(password: Buffer, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  const maxmem = 128 * params.N * params.r + 128 * params.r * params.p + 2 ** 20;
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, length, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err) reject(new KeyError('KDF_UNSUPPORTED', 'scrypt refused its parameters', { cause: err }));
      else resolve(key);
    });
  });
}

/** KDF_UNSUPPORTED unless the parameters lie within SCRYPT_BOUNDS. Runs nothing. */
export function checkScryptParams(params: unknown): ScryptParams {
  if (typeof params !== 'object' || params === null) throw new KeyError('KDF_UNSUPPORTED', 'scrypt parameters are missing');
  const { N, r, p } = params as Record<string, unknown>;
  const b = SCRYPT_BOUNDS;
  const ok =
    Number.isSafeInteger(N) &&
    Number.isSafeInteger(r) &&
    Number.isSafeInteger(p) &&
    (N as number) >= b.minN &&
    (N as number) <= b.maxN &&
    ((N as number) & ((N as number) - 1)) === 0 &&
    (r as number) >= b.minR &&
    (r as number) <= b.maxR &&
    (p as number) >= b.minP &&
    (p as number) <= b.maxP &&
    128 * (N as number) * (r as number) <= b.maxMemory;
  if (!ok) {
    throw new KeyError(
      'KDF_UNSUPPORTED',
      `scrypt parameters N=${String(N)} r=${String(r)} p=${String(p)} are outside the accepted bounds (N a power of two in [2^14, 2^20], r in [8, 32], p in [1, 16], at most 1 GiB)`,
    );
  }
  return { N: N as number, r: r as number, p: p as number };
}

function checkValue(key: Buffer, salt: Buffer): Buffer {
  return createHmac('sha256', key).update(CHECK_LABEL).update(salt).digest();
}

function aadOf(file: Pick<EncryptedKeyFile, 'version' | 'metadata' | 'kdf' | 'cipher'>): Buffer {
  return canonicalBytes({
    format: ENCRYPTED_KEY_FORMAT,
    version: file.version,
    metadata: { ...file.metadata },
    kdf: { name: file.kdf.name, params: { ...file.kdf.params }, salt: file.kdf.salt.toString('base64') },
    cipher: { name: file.cipher.name, nonce: file.cipher.nonce.toString('base64') },
  });
}

function checkMetadata(value: unknown): EncryptedKeyMetadata {
  if (typeof value !== 'object' || value === null) throw new KeyError('KEY_CORRUPT', 'the key file has no metadata');
  const m = value as Record<string, unknown>;
  if (typeof m.role !== 'string' || !(KEY_ROLES as readonly string[]).includes(m.role)) throw new KeyError('KEY_CORRUPT', 'the key file names no known role');
  if (!isKeyAlgorithm(m.algorithm)) throw new KeyError('KEY_CORRUPT', 'the key file names no known algorithm');
  if (typeof m.keyId !== 'string' || !/^[0-9a-f]{64}$/.test(m.keyId)) throw new KeyError('KEY_CORRUPT', 'the key file has a malformed key id');
  if (typeof m.created !== 'string' || Number.isNaN(Date.parse(m.created))) throw new KeyError('KEY_CORRUPT', 'the key file has a malformed creation time');
  return { role: m.role as KeyRole, algorithm: m.algorithm, keyId: m.keyId, created: m.created };
}

function b64Field(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new KeyError('KEY_CORRUPT', `the key file's ${what} is not base64`);
  }
  return Buffer.from(value, 'base64');
}

/**
 * Encrypt PKCS#8 DER under a passphrase. The metadata must describe the key
 * (its id and algorithm are checked against the key itself). An empty
 * passphrase is refused (PASSPHRASE_REQUIRED).
 */
export async function encryptPrivateKey(
  pkcs8: Uint8Array,
  passphrase: Passphrase,
  metadata: EncryptedKeyMetadata,
  options: { scrypt?: ScryptParams } = {},
): Promise<string> {
  if (isEmptyPassphrase(passphrase)) throw new KeyError('PASSPHRASE_REQUIRED', 'a non-empty passphrase is required to encrypt a private key');
  const key = privateKeyFromPkcs8(pkcs8);
  const meta = checkMetadata(metadata);
  if (keyIdOfKey(key) !== meta.keyId || algorithmOf(key) !== meta.algorithm) {
    throw new KeyError('ARGUMENT_INVALID', 'the metadata does not describe this key');
  }
  const params = checkScryptParams(options.scrypt ?? DEFAULT_SCRYPT);
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const pw = passphraseBytes(passphrase, { normalize: true });
  let derived: Buffer | undefined;
  try {
    derived = await scryptAsync(pw, salt, 64, params);
    const file = {
      version: ENCRYPTED_KEY_VERSION,
      metadata: meta,
      kdf: { name: 'scrypt' as const, params, salt },
      cipher: { name: 'aes-256-gcm' as const, nonce },
    };
    const cipher = createCipheriv('aes-256-gcm', derived.subarray(0, 32), nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadOf(file));
    const ciphertext = Buffer.concat([cipher.update(pkcs8), cipher.final(), cipher.getAuthTag()]);
    const check = checkValue(derived.subarray(32, 64), salt);
    const body = {
      format: ENCRYPTED_KEY_FORMAT,
      version: ENCRYPTED_KEY_VERSION,
      metadata: meta,
      kdf: { name: 'scrypt', params: { N: params.N, r: params.r, p: params.p }, salt: salt.toString('base64') },
      cipher: { name: 'aes-256-gcm', nonce: nonce.toString('base64') },
      check: check.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
    return toPem(ENCRYPTED_KEY_LABEL, Buffer.from(JSON.stringify(body), 'utf8'));
  } finally {
    pw.fill(0);
    derived?.fill(0);
  }
}

/** Whether the text holds one of our encrypted key blocks. */
export function isEncryptedKeyPem(text: string): boolean {
  return text.includes(`-----BEGIN ${ENCRYPTED_KEY_LABEL}-----`);
}

/**
 * Parse and validate the file without decrypting: structure, field types,
 * sizes and KDF bounds. KEY_CORRUPT for malformed content, KDF_UNSUPPORTED /
 * CIPHER_UNSUPPORTED for names or parameters we do not accept.
 */
export function readEncryptedKey(text: string): EncryptedKeyFile {
  const block = parsePem(text).find((b) => b.label === ENCRYPTED_KEY_LABEL);
  if (!block) throw new KeyError('KEY_FORMAT_UNKNOWN', `no ${ENCRYPTED_KEY_LABEL} block`);
  let body: unknown;
  try {
    body = JSON.parse(block.bytes.toString('utf8'));
  } catch (cause) {
    throw new KeyError('KEY_CORRUPT', 'the key file body is not JSON', { cause });
  }
  if (typeof body !== 'object' || body === null) throw new KeyError('KEY_CORRUPT', 'the key file body is not an object');
  const o = body as Record<string, unknown>;
  if (o.format !== ENCRYPTED_KEY_FORMAT) throw new KeyError('KEY_CORRUPT', 'the key file has no portcullis format marker');
  if (o.version !== ENCRYPTED_KEY_VERSION) throw new KeyError('KEY_FORMAT_UNKNOWN', `key file version ${String(o.version)} is not one this version reads`);
  const metadata = checkMetadata(o.metadata);
  const kdf = o.kdf as Record<string, unknown> | undefined;
  if (typeof kdf !== 'object' || kdf === null) throw new KeyError('KEY_CORRUPT', 'the key file has no kdf');
  if (kdf.name !== 'scrypt') throw new KeyError('KDF_UNSUPPORTED', `unknown KDF ${JSON.stringify(kdf.name)}`);
  const params = checkScryptParams(kdf.params);
  const salt = b64Field(kdf.salt, 'salt');
  if (salt.length < 16 || salt.length > 64) throw new KeyError('KEY_CORRUPT', 'the key file salt has a bad length');
  const cipher = o.cipher as Record<string, unknown> | undefined;
  if (typeof cipher !== 'object' || cipher === null) throw new KeyError('KEY_CORRUPT', 'the key file has no cipher');
  if (cipher.name !== 'aes-256-gcm') throw new KeyError('CIPHER_UNSUPPORTED', `unknown cipher ${JSON.stringify(cipher.name)}`);
  const nonce = b64Field(cipher.nonce, 'nonce');
  if (nonce.length !== NONCE_BYTES) throw new KeyError('KEY_CORRUPT', 'the key file nonce has a bad length');
  const check = b64Field(o.check, 'check');
  if (check.length !== 32) throw new KeyError('KEY_CORRUPT', 'the key file check value has a bad length');
  const ciphertext = b64Field(o.ciphertext, 'ciphertext');
  if (ciphertext.length <= TAG_BYTES) throw new KeyError('KEY_CORRUPT', 'the key file ciphertext is too short');
  return {
    version: ENCRYPTED_KEY_VERSION,
    metadata,
    kdf: { name: 'scrypt', params, salt },
    cipher: { name: 'aes-256-gcm', nonce },
    check,
    ciphertext,
  };
}

/**
 * Decrypt our key file. PASSPHRASE_INVALID when the passphrase does not open
 * it; KEY_CORRUPT when it opens but the ciphertext or the authenticated clear
 * fields were altered, or the key inside is not the one the metadata names.
 */
export async function decryptPrivateKey(text: string, passphrase: Passphrase): Promise<DecryptedKey> {
  const file = readEncryptedKey(text);
  if (isEmptyPassphrase(passphrase)) throw new KeyError('PASSPHRASE_REQUIRED', 'a passphrase is required to open this key');
  const pw = passphraseBytes(passphrase, { normalize: true });
  let derived: Buffer | undefined;
  let pkcs8: Buffer | undefined;
  try {
    derived = await scryptAsync(pw, file.kdf.salt, 64, file.kdf.params);
    const expected = checkValue(derived.subarray(32, 64), file.kdf.salt);
    if (!timingSafeEqual(expected, file.check)) throw new KeyError('PASSPHRASE_INVALID', 'the passphrase does not open this key');
    const tag = file.ciphertext.subarray(file.ciphertext.length - TAG_BYTES);
    const body = file.ciphertext.subarray(0, file.ciphertext.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', derived.subarray(0, 32), file.cipher.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadOf(file));
    decipher.setAuthTag(tag);
    try {
      pkcs8 = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch (cause) {
      throw new KeyError('KEY_CORRUPT', 'the key file failed authentication: its content or metadata was altered', { cause });
    }
    const privateKey = privateKeyFromPkcs8(pkcs8);
    if (keyIdOfKey(privateKey) !== file.metadata.keyId) throw new KeyError('KEY_CORRUPT', 'the key inside does not match the key id in the file');
    if (algorithmOf(privateKey) !== file.metadata.algorithm) throw new KeyError('KEY_CORRUPT', 'the key inside does not match the algorithm in the file');
    return { privateKey, metadata: file.metadata };
  } finally {
    pw.fill(0);
    derived?.fill(0);
    pkcs8?.fill(0);
  }
}
