/**
 * The keys a verification tries: PEM public keys from files the user names
 * (`--key`, the policy's key files), and the trust store's keys with their
 * authorization for the repository. A file apart from the use cases
 * (index.ts, which re-exports it): reading and weighing keys is one job, the
 * registry round-trips of signing and verifying another.
 */
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { readRegularFile, UserFileError } from '../../core/index.js';
import { keyIdOfKey, type CandidateKey } from '../../trust/index.js';
import { TrustError } from './errors.js';
import type { KeyStoreReader } from './store-cache.js';

export interface KeyFile {
  readonly path: string;
  readonly key: KeyObject;
  readonly id: string;
}

/** PEM key files are a few KiB; anything near this is not one. */
const MAX_KEY_FILE_BYTES = 1024 * 1024;

/** Reads PEM public keys (cosign.pub, `key export`); a private key's public half is used. */
export async function readKeyFiles(paths: readonly string[], base?: string): Promise<KeyFile[]> {
  const out: KeyFile[] = [];
  for (const path of paths) {
    const full = base && !path.startsWith('/') ? `${base}/${path}` : path;
    let text: string;
    try {
      text = (await readRegularFile(full, { what: `the key file ${path}`, maxBytes: MAX_KEY_FILE_BYTES })).toString('utf8');
    } catch (cause) {
      if (cause instanceof UserFileError) throw cause;
      throw new TrustError('PREDICATE_INVALID', `cannot read the key file ${path}`, { cause });
    }
    let key: KeyObject;
    try {
      key = createPublicKey(text);
    } catch (cause) {
      throw new TrustError('PREDICATE_INVALID', `${path} is not a PEM public key`, { cause });
    }
    out.push({ path, key, id: keyIdOfKey(key) });
  }
  return out;
}

/** Candidate keys: every non-root key of the store (trusted when certified for the repository and not revoked), then files. */
export async function candidateKeys(repository: string, store: KeyStoreReader | undefined, files: readonly KeyFile[], now: Date): Promise<CandidateKey[]> {
  const keys: CandidateKey[] = [];
  if (store) {
    const infos = (await store.list()).filter((info) => info.role !== 'root');
    // All keys at once; a failure is reported as the sequential reading would (first key, authorization first).
    const answers = await Promise.all(
      infos.map((info) => Promise.allSettled([store.checkAuthorization(info.id, repository, { now }), store.publicKey(info.id)] as const)),
    );
    for (const [i, [auth, publicKey]] of answers.entries()) {
      if (auth.status === 'rejected') throw auth.reason;
      if (publicKey.status === 'rejected') throw publicKey.reason;
      keys.push({ id: infos[i]!.id, publicKey: publicKey.value, source: 'store', trusted: auth.value.authorized, reason: auth.value.reason });
    }
  }
  for (const file of files) {
    if (keys.some((k) => k.id === file.id && k.source === 'store' && k.reason === 'revoked')) {
      keys.push({ id: file.id, publicKey: file.key, source: 'file', label: file.path, trusted: false, reason: 'revoked' });
      continue;
    }
    keys.push({ id: file.id, publicKey: file.key, source: 'file', label: file.path, trusted: true, reason: 'explicit' });
  }
  return keys;
}
