/**
 * The ES256 (ECDSA P-256) key the token service signs with, kept in the data
 * folder: `<root>/auth/token-signing-key.pem` (PKCS#8 PEM, mode 0600),
 * generated on first start. Key files that group or others can read are
 * refused at start (the key signs every token). Tokens name the key they were
 * signed with (`kid`, its RFC 7638 JWK thumbprint), so verification picks it
 * without trying each.
 *
 * Rotation (docs/serve.md, "Tokens"): move the key into
 * `<root>/auth/token-verify-keys/` (any `*.pem`, private or public) and
 * restart: a new signing key is made, and tokens signed with the old one stay
 * valid until they expire (at most the token lifetime); then delete the old
 * file. Several processes serving one registry need the same files: tokens
 * issued by one are verified by another.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { ServeError } from '../errors.js';

export const SIGNING_KEY_FILE = 'token-signing-key.pem';
export const VERIFY_KEYS_DIR = 'token-verify-keys';

export interface TokenKeys {
  readonly signing: { readonly key: KeyObject; readonly kid: string };
  /** Every key a token may be signed with, by kid: the signing key's public half and the old ones. */
  readonly verification: ReadonlyMap<string, KeyObject>;
}

export async function kidOf(key: KeyObject): Promise<string> {
  return calculateJwkThumbprint(createPublicKey(key).export({ format: 'jwk' }) as JWK);
}

/** Loads the keys from `dir` (`<root>/auth`), making the signing key when there is none. */
export async function loadTokenKeys(dir: string): Promise<TokenKeys> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, SIGNING_KEY_FILE);
  let pem: string;
  try {
    await refuseOpenPermissions(path);
    pem = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw keyError(path, error);
    pem = await createSigningKey(path);
  }
  const key = parseKey(pem, path, 'private');
  const kid = await kidOf(key);
  const verification = new Map<string, KeyObject>([[kid, createPublicKey(key)]]);
  const extra = join(dir, VERIFY_KEYS_DIR);
  const names = await readdir(extra).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'ENOENT') return [] as string[];
    throw keyError(extra, error);
  });
  for (const name of names.filter((n) => n.endsWith('.pem')).sort()) {
    const file = join(extra, name);
    const old = parseKey(await readFile(file, 'utf8').catch((error: unknown) => Promise.reject(keyError(file, error))), file, 'private-or-public');
    verification.set(await kidOf(old), createPublicKey(old));
  }
  return { signing: { key, kid }, verification };
}

async function createSigningKey(path: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  try {
    // wx: another process sharing the folder may have made one first; then theirs is the key.
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
    return pem;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') return readFile(path, 'utf8');
    throw keyError(path, error);
  }
}

async function refuseOpenPermissions(path: string): Promise<void> {
  const info = await stat(path);
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    throw new ServeError('CONFIG_INVALID', `token signing key ${path} can be read by others (mode ${(info.mode & 0o777).toString(8)}): run chmod 600 on it`);
  }
}

function parseKey(pem: string, path: string, kind: 'private' | 'private-or-public'): KeyObject {
  let key: KeyObject;
  try {
    key = kind === 'private' || pem.includes('PRIVATE KEY') ? createPrivateKey(pem) : createPublicKey(pem);
  } catch (error) {
    throw new ServeError('CONFIG_INVALID', `token key ${path} is not a PEM key: ${(error as Error).message}`, { cause: error });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ServeError('CONFIG_INVALID', `token key ${path} is not an ECDSA P-256 key (ES256)`);
  }
  return key;
}

function keyError(path: string, error: unknown): ServeError {
  if (error instanceof ServeError) return error;
  return new ServeError('CONFIG_INVALID', `cannot read token key ${path}: ${(error as Error).message}`, { cause: error });
}
