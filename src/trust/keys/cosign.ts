/**
 * Cosign's encrypted private key format, read and written without cosign.
 *
 * `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----` (cosign ≥ 2; older
 * releases wrote `ENCRYPTED COSIGN PRIVATE KEY`) around base64 JSON:
 * `{"kdf":{"name":"scrypt","params":{"N":…,"r":8,"p":1},"salt":…},
 *   "cipher":{"name":"nacl/secretbox","nonce":…},"ciphertext":…}`
 * (byte fields base64). scrypt derives a 32-byte key; NaCl secretbox is
 * XSalsa20-Poly1305 (tag first); the plaintext is PKCS#8 DER.
 *
 * KDF parameters: the library cosign uses (go-securesystemslib `encrypted`)
 * writes N=2^15 (its "legacy" level, all cosign 1.x keys), N=2^16 (its
 * current default) or N=2^17 (its "OWASP" level), always r=8 p=1, and itself
 * refuses anything else. We accept exactly those three sets and refuse any
 * other with KDF_UNSUPPORTED *before* running scrypt, so a crafted file
 * cannot make us spend seconds and gigabytes (N=2^20 would take 1 GiB).
 *
 * There is no passphrase check value in this format: a wrong passphrase and
 * an altered ciphertext both fail the Poly1305 tag and are reported as
 * PASSPHRASE_INVALID. Cosign accepts an empty passphrase; so do we here.
 */
import { randomBytes, scrypt as scryptCb, type KeyObject } from 'node:crypto';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { KeyError } from './errors.js';
import { algorithmOf, privateKeyFromPkcs8 } from './keys.js';
import { parsePem, toPem } from './pem.js';
import { passphraseBytes, type Passphrase } from './secret.js';
import type { ScryptParams } from './encrypted.js';

export const SIGSTORE_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_KEY_LABEL = 'ENCRYPTED COSIGN PRIVATE KEY';
export const COSIGN_KEY_LABELS: readonly string[] = [SIGSTORE_KEY_LABEL, COSIGN_KEY_LABEL];

/** The only scrypt parameter sets accepted in cosign keys (see the module comment). */
export const COSIGN_SCRYPT_ACCEPTED: readonly ScryptParams[] = Object.freeze([
  Object.freeze({ N: 2 ** 15, r: 8, p: 1 }),
  Object.freeze({ N: 2 ** 16, r: 8, p: 1 }),
  Object.freeze({ N: 2 ** 17, r: 8, p: 1 }),
]);

/** What recent cosign writes by default (the library's "standard" level); `encryptCosignKey` uses it. */
export const COSIGN_SCRYPT_DEFAULT: ScryptParams = COSIGN_SCRYPT_ACCEPTED[1]!;

const SALT_BYTES = 32;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;

export interface CosignEncryptedKey {
  readonly label: string;
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
}

export function isCosignKeyPem(text: string): boolean {
  return COSIGN_KEY_LABELS.some((l) => text.includes(`-----BEGIN ${l}-----`));
}

function b64(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new KeyError('KEY_CORRUPT', `the cosign key's ${what} is not base64`);
  }
  return Buffer.from(value, 'base64');
}

/** KDF_UNSUPPORTED unless the parameters are one of COSIGN_SCRYPT_ACCEPTED. Runs nothing. */
export function checkCosignScryptParams(params: unknown): ScryptParams {
  const p = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
  const found = COSIGN_SCRYPT_ACCEPTED.find((a) => a.N === p.N && a.r === p.r && a.p === p.p);
  if (!found) {
    throw new KeyError(
      'KDF_UNSUPPORTED',
      `cosign key has unexpected scrypt parameters N=${String(p.N)} r=${String(p.r)} p=${String(p.p)}; accepted: N=32768, 65536 or 131072 with r=8 p=1`,
    );
  }
  return found;
}

/** Parse and validate a cosign key without decrypting it. */
export function readCosignKey(text: string): CosignEncryptedKey {
  const block = parsePem(text).find((b) => COSIGN_KEY_LABELS.includes(b.label));
  if (!block) throw new KeyError('KEY_FORMAT_UNKNOWN', 'no ENCRYPTED SIGSTORE/COSIGN PRIVATE KEY block');
  let body: unknown;
  try {
    body = JSON.parse(block.bytes.toString('utf8'));
  } catch (cause) {
    throw new KeyError('KEY_CORRUPT', 'the cosign key body is not JSON', { cause });
  }
  if (typeof body !== 'object' || body === null) throw new KeyError('KEY_CORRUPT', 'the cosign key body is not an object');
  const o = body as Record<string, unknown>;
  const kdf = o.kdf as Record<string, unknown> | undefined;
  const cipher = o.cipher as Record<string, unknown> | undefined;
  if (typeof kdf !== 'object' || kdf === null || typeof cipher !== 'object' || cipher === null) {
    throw new KeyError('KEY_CORRUPT', 'the cosign key lacks kdf or cipher');
  }
  if (kdf.name !== 'scrypt') throw new KeyError('KDF_UNSUPPORTED', `cosign key uses unknown KDF ${JSON.stringify(kdf.name)}`);
  if (cipher.name !== 'nacl/secretbox') throw new KeyError('CIPHER_UNSUPPORTED', `cosign key uses unknown cipher ${JSON.stringify(cipher.name)}`);
  const params = checkCosignScryptParams(kdf.params);
  const salt = b64(kdf.salt, 'salt');
  if (salt.length === 0 || salt.length > 64) throw new KeyError('KEY_CORRUPT', 'the cosign key salt has a bad length');
  const nonce = b64(cipher.nonce, 'nonce');
  if (nonce.length !== NONCE_BYTES) throw new KeyError('KEY_CORRUPT', 'the cosign key nonce is not 24 bytes');
  const ciphertext = b64(o.ciphertext, 'ciphertext');
  if (ciphertext.length <= TAG_BYTES) throw new KeyError('KEY_CORRUPT', 'the cosign key ciphertext is too short');
  return { label: block.label, params, salt, nonce, ciphertext };
}

function scryptAsync(password: Buffer, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const maxmem = 128 * params.N * params.r + 128 * params.r * params.p + 2 ** 20;
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, 32, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err) reject(new KeyError('KDF_UNSUPPORTED', 'scrypt refused its parameters', { cause: err }));
      else resolve(key);
    });
  });
}

/**
 * Decrypt a cosign private key. KDF_UNSUPPORTED (before any derivation) for
 * parameters outside the accepted set; PASSPHRASE_INVALID when the secretbox
 * does not open; KEY_CORRUPT / KEY_UNSUPPORTED when what is inside is not an
 * accepted PKCS#8 key.
 */
export async function decryptCosignKey(text: string, passphrase: Passphrase): Promise<KeyObject> {
  const key = readCosignKey(text);
  const pw = passphraseBytes(passphrase);
  let derived: Buffer | undefined;
  let plain: Uint8Array | undefined;
  try {
    derived = await scryptAsync(pw, key.salt, key.params);
    try {
      plain = xsalsa20poly1305(derived, key.nonce).decrypt(key.ciphertext);
    } catch {
      throw new KeyError('PASSPHRASE_INVALID', 'the passphrase does not open this cosign key (or the key was altered)');
    }
    const privateKey = privateKeyFromPkcs8(plain);
    algorithmOf(privateKey);
    return privateKey;
  } finally {
    pw.fill(0);
    derived?.fill(0);
    plain?.fill(0);
  }
}

/**
 * Write a private key in cosign's format (for `cosign sign --key`), with the
 * SIGSTORE label and cosign's current default parameters unless told.
 */
export async function encryptCosignKey(
  pkcs8: Uint8Array,
  passphrase: Passphrase,
  options: { label?: string; scrypt?: ScryptParams } = {},
): Promise<string> {
  const label = options.label ?? SIGSTORE_KEY_LABEL;
  if (!COSIGN_KEY_LABELS.includes(label)) throw new KeyError('ARGUMENT_INVALID', `not a cosign key label: ${label}`);
  const params = checkCosignScryptParams(options.scrypt ?? COSIGN_SCRYPT_DEFAULT);
  algorithmOf(privateKeyFromPkcs8(pkcs8));
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const pw = passphraseBytes(passphrase);
  let derived: Buffer | undefined;
  try {
    derived = await scryptAsync(pw, salt, params);
    const ciphertext = xsalsa20poly1305(derived, nonce).encrypt(pkcs8);
    const body = {
      kdf: { name: 'scrypt', params: { N: params.N, r: params.r, p: params.p }, salt: salt.toString('base64') },
      cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
      ciphertext: Buffer.from(ciphertext).toString('base64'),
    };
    return toPem(label, Buffer.from(JSON.stringify(body), 'utf8'));
  } finally {
    pw.fill(0);
    derived?.fill(0);
  }
}
