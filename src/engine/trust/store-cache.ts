/**
 * Trust-store reads remembered across the verifications of one session. The
 * store itself re-reads `trust.json`, the root key and every statement (and
 * checks their signatures) on each call; a verifier checking many images asks
 * the same questions each time. Answers are kept while the store is unchanged:
 * every view starts with one `stat` of `trust.json` (the store replaces it
 * atomically on every change, so a new inode, size or time means new answers;
 * a key generated, certified, revoked or rotated in another process is seen by
 * the next verification).
 *
 * What is kept: the key list, public keys by full id (the id is the hash of
 * the key, and the store checks it), and authorization answers per key and
 * repository. An authorization answer also depends on the time (a
 * certification expires), so it is reused only between the time it was
 * computed and the earliest expiry of any certification of that key after
 * it; when `trust.json` cannot be read that way, authorization is not cached.
 * Nothing here is about an image: signatures are verified per digest, always.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { AuthorizationResult, KeyInfo, KeyStore } from '../../trust/index.js';
import { minOf } from '../../core/index.js';

/** The store questions verification asks (a KeyStore answers them, uncached). */
export interface KeyStoreReader {
  list(): Promise<KeyInfo[]>;
  publicKey(ref: string): Promise<KeyObject>;
  checkAuthorization(keyId: string, repository: string, options?: { now?: Date }): Promise<AuthorizationResult>;
}

const TRUST_FILE = 'trust.json';
const FULL_ID = /^[0-9a-f]{64}$/;

interface CachedAuthorization {
  readonly result: AuthorizationResult;
  /** Valid from (the time it was computed) … */
  readonly from: number;
  /** … until (exclusive): the next certification expiry of the key. */
  readonly until: number;
}

class Snapshot implements KeyStoreReader {
  private keys: Promise<KeyInfo[]> | undefined;
  private readonly publicKeys = new Map<string, Promise<KeyObject>>();
  private readonly authorizations = new Map<string, CachedAuthorization>();
  private expiries: Promise<Map<string, number[]> | undefined> | undefined;

  constructor(
    readonly stamp: string,
    private readonly store: KeyStore,
  ) {}

  list(): Promise<KeyInfo[]> {
    if (!this.keys) {
      this.keys = this.store.list();
      this.keys.catch(() => (this.keys = undefined));
    }
    return this.keys.then((keys) => keys.map((k) => ({ ...k, repositories: [...k.repositories] })));
  }

  publicKey(ref: string): Promise<KeyObject> {
    if (!FULL_ID.test(ref)) return this.store.publicKey(ref);
    let key = this.publicKeys.get(ref);
    if (!key) {
      key = this.store.publicKey(ref);
      this.publicKeys.set(ref, key);
      key.catch(() => this.publicKeys.delete(ref));
    }
    return key;
  }

  async checkAuthorization(keyId: string, repository: string, options: { now?: Date } = {}): Promise<AuthorizationResult> {
    const now = options.now ?? new Date();
    const at = now.getTime();
    const id = keyId.toLowerCase();
    const cacheKey = `${id}\0${repository}`;
    const cached = this.authorizations.get(cacheKey);
    if (cached && cached.from <= at && at < cached.until) return cached.result;
    const [result, expiries] = await Promise.all([this.store.checkAuthorization(keyId, repository, { now }), this.certificationExpiries()]);
    if (expiries) {
      const until = minOf((expiries.get(id) ?? []).filter((t) => t > at), Infinity);
      this.authorizations.set(cacheKey, { result, from: at, until });
    }
    return result;
  }

  /** Expiry times of every certification in trust.json by key id (signed or not: they only bound the cache); undefined when unreadable. */
  private certificationExpiries(): Promise<Map<string, number[]> | undefined> {
    this.expiries ??= readFile(join(this.store.directory, TRUST_FILE), 'utf8').then(
      (text) => expiriesOf(text),
      () => undefined,
    );
    return this.expiries;
  }
}

function expiriesOf(text: string): Map<string, number[]> | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const certifications = (doc as { certifications?: unknown } | null)?.certifications;
  if (!Array.isArray(certifications)) return undefined;
  const out = new Map<string, number[]>();
  for (const c of certifications) {
    const statement = (c as { statement?: unknown } | null)?.statement as { keyId?: unknown; expires?: unknown } | undefined;
    if (typeof statement !== 'object' || statement === null) continue;
    if (typeof statement.keyId !== 'string') continue;
    if (statement.expires === undefined || statement.expires === null) continue;
    if (typeof statement.expires !== 'string') return undefined;
    const when = Date.parse(statement.expires);
    // An unparseable expiry is expired at every time: it never changes an answer.
    if (!Number.isFinite(when)) continue;
    const id = statement.keyId.toLowerCase();
    out.set(id, [...(out.get(id) ?? []), when]);
  }
  return out;
}

/** One KeyStore's answers, kept while its `trust.json` is unchanged. */
export class KeyStoreCache {
  private snapshot: Snapshot | undefined;

  constructor(readonly store: KeyStore) {}

  /** A reader for one verification: one `stat` of the store; cached answers when it has not changed. */
  async reader(): Promise<KeyStoreReader> {
    const stamp = await stampOf(join(this.store.directory, TRUST_FILE));
    if (stamp === undefined) return this.store;
    if (this.snapshot?.stamp !== stamp) this.snapshot = new Snapshot(stamp, this.store);
    return this.snapshot;
  }
}

/** Identity of the file's current version; 'missing' when absent; undefined when it cannot be told (no caching). */
async function stampOf(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return 'missing';
    return undefined;
  }
}
