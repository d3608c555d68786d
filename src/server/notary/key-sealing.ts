/**
 * The Notary service's private keys at rest (timestamp keys, and snapshot
 * keys handed to the server): sealed with XChaCha20-Poly1305
 * (@noble/ciphers; a random 24-byte nonce per key, so no nonce bookkeeping
 * across processes) under a key-encryption key the operator gives
 * (`notary.keyEncryptionKey` / PORTCULLIS_NOTARY_KEY, or the file
 * `notary.keyEncryptionKeyFile` / PORTCULLIS_NOTARY_KEY_FILE: 32 bytes,
 * base64 or hex). The GUN, role and key id are the associated data, so a
 * sealed key copied onto another row does not open. Sealed form:
 * `0x01 ‖ nonce(24) ‖ ciphertext ‖ tag(16)`.
 *
 * Without a configured key, a SQLite registry makes one in its data folder
 * (`<root>/notary/key-encryption.key`, 0600, as the webhook secrets key):
 * a copy of `registry.sqlite` alone then reveals no key. A PostgreSQL
 * registry must be given one: every process sharing the database needs the
 * same key, and a key made by one of them would not reach the others.
 *
 * Fail closed: the store records which key sealed each row (`kekId`, a hash
 * of the key that reveals nothing of it); a start with another key, or a
 * configured key file that is missing or malformed, stops with a
 * CONFIG_INVALID message, never with keys that cannot be opened.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServeError } from '../errors.js';

export const GENERATED_KEY_FILE = 'key-encryption.key';
const FORMAT = 0x01;
const NONCE = 24;
const TAG = 16;
/** Where the operator gives the key, as messages name it. */
export const KEY_SETTINGS = 'notary.keyEncryptionKeyFile (PORTCULLIS_NOTARY_KEY_FILE) or notary.keyEncryptionKey (PORTCULLIS_NOTARY_KEY)';

/** What a sealed key is bound to. */
export interface SealedKeyLabel {
  readonly gun: string;
  readonly role: string;
  readonly keyId: string;
}

export interface KeyBox {
  /** A short hash naming the key-encryption key (not the key). */
  readonly kekId: string;
  /** Where it came from, as start-up messages name it: `the given key`, or the file. */
  readonly origin?: string;
  seal(privateKey: Uint8Array, label: SealedKeyLabel): Buffer;
  /** The key in clear; throws when this key-encryption key did not seal it for `label`. */
  open(sealed: Uint8Array, label: SealedKeyLabel): Buffer;
}

function aad(label: SealedKeyLabel): Uint8Array {
  return Buffer.from(`portcullis-notary-key\0${label.gun}\0${label.role}\0${label.keyId}`, 'utf8');
}

export function keyBox(key: Uint8Array, origin?: string): KeyBox {
  if (key.length !== 32) throw new ServeError('CONFIG_INVALID', `the Notary key-encryption key must be 32 bytes, not ${key.length}`);
  const kekId = createHash('sha256').update('portcullis-notary-kek-id\0').update(key).digest('hex').slice(0, 16);
  return {
    kekId,
    ...(origin !== undefined ? { origin } : {}),
    seal(privateKey, label) {
      const nonce = randomBytes(NONCE);
      const sealed = xchacha20poly1305(key, nonce, aad(label)).encrypt(privateKey);
      return Buffer.concat([Buffer.from([FORMAT]), nonce, sealed]);
    },
    open(sealed, label) {
      if (sealed.length < 1 + NONCE + TAG || sealed[0] !== FORMAT) throw new Error(`the stored ${label.role} key ${label.keyId} of ${label.gun} is not a sealed key`);
      try {
        return Buffer.from(xchacha20poly1305(key, sealed.subarray(1, 1 + NONCE), aad(label)).decrypt(sealed.subarray(1 + NONCE)));
      } catch {
        throw new Error(`the stored ${label.role} key ${label.keyId} of ${label.gun} does not open with the Notary key-encryption key ${kekId}`);
      }
    },
  };
}

/** 32 bytes from base64 or hex text; undefined when it is neither. */
export function decodeKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return undefined;
  const key = Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
  return key.length === 32 ? key : undefined;
}

export interface KeySource {
  /** The key itself (base64 or hex), from the configuration or the environment. */
  readonly key?: string;
  /** A file holding it (a mounted secret). */
  readonly file?: string;
  /** Where to make one when none is given; undefined refuses to start without one (PostgreSQL). */
  readonly generateIn?: string;
}

/** The key-encryption key the configuration names, or the generated one; CONFIG_INVALID when it is missing or malformed. */
export async function loadKeyBox(source: KeySource): Promise<KeyBox> {
  if (source.key !== undefined) {
    const key = decodeKey(source.key);
    if (!key) throw new ServeError('CONFIG_INVALID', 'the Notary key-encryption key (notary.keyEncryptionKey / PORTCULLIS_NOTARY_KEY) is not 32 bytes in base64 or hex');
    return keyBox(key);
  }
  if (source.file !== undefined) return keyBox(await readKeyFile(source.file, 'configured'), source.file);
  if (source.generateIn === undefined) {
    throw new ServeError(
      'CONFIG_INVALID',
      `the Notary service on PostgreSQL needs a key-encryption key shared by every serve process: set ${KEY_SETTINGS} (32 bytes, base64: head -c 32 /dev/urandom | base64)`,
    );
  }
  return keyBox(await generatedKey(source.generateIn), join(source.generateIn, GENERATED_KEY_FILE));
}

async function readKeyFile(path: string, how: 'configured' | 'generated'): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'ENOENT';
    throw new ServeError('CONFIG_INVALID', `cannot read the ${how} Notary key-encryption key ${path}: ${missing ? 'no such file' : (error as Error).message}`, { cause: error });
  }
  const key = decodeKey(text);
  if (!key) throw new ServeError('CONFIG_INVALID', `${path} does not hold a 32-byte Notary key-encryption key (base64 or hex)`);
  return key;
}

async function generatedKey(dir: string): Promise<Buffer> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, GENERATED_KEY_FILE);
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) throw new ServeError('CONFIG_INVALID', `${path} may be read by group or others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`);
    return await readKeyFile(path, 'generated');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  try {
    await writeFile(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (raced) {
    if ((raced as { code?: unknown }).code !== 'EEXIST') throw raced; // another process made it first: use theirs
  }
  return readKeyFile(path, 'generated');
}

/** Start-up check: every stored key was sealed by `box`'s key (else the operator gave another key). */
export function checkKekIds(stored: readonly string[], box: KeyBox, where: string): void {
  const other = stored.filter((id) => id !== box.kekId);
  if (other.length === 0) return;
  throw new ServeError(
    'CONFIG_INVALID',
    `the Notary server keys in ${where} were sealed with key-encryption key ${other.join(', ')}, not with the one given (${box.kekId}${box.origin ? `, from ${box.origin}` : ''}): start with the same key (${KEY_SETTINGS}; a key made in the data folder is notary/${GENERATED_KEY_FILE})`,
  );
}
