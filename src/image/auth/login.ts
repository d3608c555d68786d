/**
 * `login` checks credentials against the registry's `/v2/` first, then
 * stores them in the auth file (see paths.ts for which); `logout` removes
 * one entry, `logoutAll` every `auths` entry. Passwords never appear in
 * messages or logs.
 */
import { RegistryClient } from '../transports/docker/client.js';
import type { Credentials, SystemContext } from '../types.js';
import { AuthError } from './errors.js';
import { encodeAuth, readAuthFile, writeAuthFile, type AuthFile } from './file.js';
import { normalizeKey } from './keys.js';
import { authFilesToRead, authFileToWrite } from './paths.js';

export interface LoginOptions {
  /** File to write (skopeo's --authfile); default REGISTRY_AUTH_FILE, then containers' auth.json. */
  authFile?: string;
  /** TLS, timeout and env settings for the check (and env for the file paths). */
  context?: SystemContext;
  /** Skip the check against the registry (for offline provisioning). Default false. */
  skipVerify?: boolean;
}

export interface LogoutOptions {
  authFile?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Verifies and stores credentials for `registry` (`host[:port]`, or
 * `host/namespace` for credentials scoped to part of a registry).
 * Returns the file written.
 */
export async function login(registry: string, credentials: Credentials, options: LoginOptions = {}): Promise<{ authFile: string; key: string }> {
  const key = registryKey(registry);
  if (credentials.username === '' || credentials.password === '') {
    throw new AuthError('REGISTRY_INVALID', 'login needs a non-empty username and password');
  }
  const context = options.context ?? {};
  if (!options.skipVerify) {
    const host = key.split('/')[0] ?? key;
    const client = await RegistryClient.fromContext(host, context, { username: credentials.username, password: credentials.password });
    try {
      await client.checkLogin();
    } finally {
      await client.close();
    }
  }
  const path = authFileToWrite(pathOptions(options.authFile ?? context.authFile, context.env));
  const file: AuthFile = (await readAuthFile(path)) ?? {};
  const auths = { ...(file.auths ?? {}) };
  // Drop legacy spellings of the same registry so the new entry is the one found.
  for (const existing of Object.keys(auths)) if (existing !== key && normalizeKey(existing) === key) delete auths[existing];
  auths[key] = { auth: encodeAuth(credentials.username, credentials.password) };
  await writeAuthFile(path, { ...file, auths });
  return { authFile: path, key };
}

/** Removes the stored entry for `registry`; NOT_LOGGED_IN when there is none in the file. */
export async function logout(registry: string, options: LogoutOptions = {}): Promise<{ authFile: string }> {
  const key = registryKey(registry);
  const opts = pathOptions(options.authFile, options.env);
  const path = authFileToWrite(opts);
  const file = await readAuthFile(path);
  const auths = { ...(file?.auths ?? {}) };
  const matching = Object.keys(auths).filter((k) => normalizeKey(k) === key);
  if (!file || matching.length === 0) {
    const elsewhere = await findElsewhere(key, path, opts);
    const hint = elsewhere ? `; credentials for it come from ${elsewhere}, which logout does not edit` : '';
    throw new AuthError('NOT_LOGGED_IN', `not logged in to ${key} (no entry in ${path})${hint}`);
  }
  for (const k of matching) delete auths[k];
  await writeAuthFile(path, { ...file, auths });
  return { authFile: path };
}

/** Removes every `auths` entry of the auth file; returns the keys removed. */
export async function logoutAll(options: LogoutOptions = {}): Promise<{ authFile: string; removed: string[] }> {
  const path = authFileToWrite(pathOptions(options.authFile, options.env));
  const file = await readAuthFile(path);
  if (!file) return { authFile: path, removed: [] };
  const removed = Object.keys(file.auths ?? {});
  await writeAuthFile(path, { ...file, auths: {} });
  return { authFile: path, removed };
}

/** `https://Host:5000/v1/` → `host:5000`; `docker.io/ns` kept; rejects empty and odd names. */
export function registryKey(registry: string): string {
  const key = normalizeKey(registry);
  if (key === '' || /\s/.test(key) || key.startsWith('/')) throw new AuthError('REGISTRY_INVALID', `invalid registry name "${registry}"`);
  return key;
}

function pathOptions(authFile: string | undefined, env: NodeJS.ProcessEnv | undefined): { authFile?: string; env: NodeJS.ProcessEnv } {
  const out: { authFile?: string; env: NodeJS.ProcessEnv } = { env: env ?? process.env };
  if (authFile) out.authFile = authFile;
  return out;
}

async function findElsewhere(key: string, written: string, opts: { authFile?: string; env: NodeJS.ProcessEnv }): Promise<string | undefined> {
  for (const path of authFilesToRead(opts)) {
    if (path === written) continue;
    const file = await readAuthFile(path).catch(() => undefined);
    if (file && Object.keys(file.auths ?? {}).some((k) => normalizeKey(k) === key)) return path;
  }
  return undefined;
}
