/**
 * What the key store's tests share (store.test.ts, backup.test.ts): the
 * passphrases they use and check no file or message leaks, a fast scrypt
 * setting, a throwaway home, and a walk over the files the store wrote.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyError, KeyStore, type KeyStoreOptions } from '../../../src/trust/keys/index.js';

export const ROOT_PASS = 'root-Passphrase-9f1c2e';
export const REPO_PASS = 'repo-Passphrase-77ab03';
export const IMPORT_PASS = 'import-Passphrase-5d6e';
export const SECRETS = [ROOT_PASS, REPO_PASS, IMPORT_PASS];
const FAST = { N: 2 ** 14, r: 8, p: 1 };

export function isCode(code: string) {
  return (e: unknown) => e instanceof KeyError && e.code === code;
}

export async function tempHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'portcullis-keys-'));
}

export async function store(home: string, extra: Partial<KeyStoreOptions> = {}): Promise<KeyStore> {
  return new KeyStore({ home, scrypt: FAST, ...extra });
}

export async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      for (const file of await allFiles(p)) out.push(file);
    } else out.push(p);
  }
  return out;
}

export async function assertNoSecretsIn(dir: string, extra: string[] = []): Promise<void> {
  const files = await allFiles(dir);
  assert.ok(files.length > 0);
  for (const f of files) {
    const bytes = await readFile(f);
    for (const s of [...SECRETS, ...extra]) {
      for (const needle of [Buffer.from(s), Buffer.from(Buffer.from(s).toString('base64')), Buffer.from(Buffer.from(s).toString('hex'))]) {
        assert.equal(bytes.includes(needle), false, `${f} contains a passphrase`);
      }
    }
  }
}
