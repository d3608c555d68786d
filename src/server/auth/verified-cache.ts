/**
 * Credentials that were checked and found right, remembered for a short
 * while (default 5 minutes) so that a push's hundreds of requests do not each
 * pay bcrypt's cost. Keys are an HMAC-SHA-256 of the (length-prefixed) user
 * name and password under a random key made when the process starts: the
 * secret never sits in memory in the clear, and unlike a plain SHA-256 the
 * keys cannot be tested offline against guesses should memory leak. Only a
 * correct pair is ever added; entries expire, and at most `maxEntries` are
 * kept (the oldest dropped first).
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface VerifiedCacheOptions {
  /** Default 5 minutes. */
  readonly ttlMs?: number;
  /** Default 1,000. */
  readonly maxEntries?: number;
}

export class VerifiedCache {
  readonly #secret = randomBytes(32);
  readonly #entries = new Map<string, { readonly user: string; readonly expires: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(options: VerifiedCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#maxEntries = Math.max(1, options.maxEntries ?? 1000);
  }

  keyOf(user: string, password: string): string {
    return createHmac('sha256', this.#secret).update(`${Buffer.byteLength(user)}:${user}`).update(password).digest('base64');
  }

  /** The user a key was verified for, while it has not expired. */
  get(key: string, now: number): string | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.user;
  }

  add(key: string, user: string, now: number): void {
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { user, expires: now + this.#ttlMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}
