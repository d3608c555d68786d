/**
 * Reading and writing auth files (`{"auths": {KEY: {"auth": base64(user:pass)}}, "credHelpers": …, "credsStore": …}`).
 * Writes keep every other key and entry, go to a temp file created 0600 in
 * the same directory and are renamed over the target, so a crash never
 * leaves a half-written file and the secret is never world-readable
 * (src/core/user-files.ts; a FIFO or device is written in place, never replaced).
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CoreError, isRecord, readRegularFile, UserFileError, writeUserFile } from '../../core/index.js';
import { AuthError } from './errors.js';
import type { RegistryCredentials } from './types.js';

const MAX_AUTH_FILE = 4 * 1024 * 1024;

export interface AuthFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [other: string]: unknown;
}

export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  [other: string]: unknown;
}

/** The parsed file, or undefined when it does not exist. */
export async function readAuthFile(path: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    const buf = await readRegularFile(path, { maxBytes: MAX_AUTH_FILE });
    text = buf.toString('utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    if (error instanceof UserFileError) throw error;
    if (error instanceof CoreError && error.code === 'TOO_LARGE') throw new AuthError('CONFIG_INVALID', `${path} is larger than ${MAX_AUTH_FILE} bytes`, { cause: error });
    throw new AuthError('CONFIG_INVALID', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AuthError('CONFIG_INVALID', `${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isRecord(json)) throw new AuthError('CONFIG_INVALID', `${path} is not a JSON object`);
  if (json.auths !== undefined && !isRecord(json.auths)) throw new AuthError('CONFIG_INVALID', `${path}: "auths" is not an object`);
  if (json.credHelpers !== undefined && !isRecord(json.credHelpers)) throw new AuthError('CONFIG_INVALID', `${path}: "credHelpers" is not an object`);
  if (json.credsStore !== undefined && typeof json.credsStore !== 'string') throw new AuthError('CONFIG_INVALID', `${path}: "credsStore" is not a string`);
  return json as AuthFile;
}

/** Credentials held by one entry, or undefined for an empty entry (e.g. one that defers to credsStore). */
export function decodeEntry(entry: unknown, where: string): RegistryCredentials | undefined {
  if (!isRecord(entry)) return undefined;
  let username = typeof entry.username === 'string' ? entry.username : '';
  let password = typeof entry.password === 'string' ? entry.password : '';
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new AuthError('CONFIG_INVALID', `${where}: "auth" is not base64 of "user:password"`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identityToken = typeof entry.identitytoken === 'string' && entry.identitytoken !== '' ? entry.identitytoken : undefined;
  if (identityToken) return { username, password, identityToken };
  if (username === '' && password === '') return undefined;
  return { username, password };
}

export function encodeAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/**
 * Writes JSON to `path` atomically with mode 0600, creating parent
 * directories 0700. A character device or FIFO named as the auth file is
 * written directly, never replaced (src/core/user-files.ts).
 */
export async function writeAuthFile(path: string, content: AuthFile): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeUserFile(path, `${JSON.stringify(content, null, '\t')}\n`, { mode: 0o600 });
  } catch (error) {
    if (error instanceof UserFileError && error.code !== 'FILE_WRITE_FAILED') throw error;
    if (error instanceof UserFileError) throw new AuthError('WRITE_FAILED', error.message, { cause: error });
    throw new AuthError('WRITE_FAILED', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}
