/**
 * Checks a user name and password against a stored hash, staying up under
 * guessing — the same for every kind of password (htpasswd bcrypt entries,
 * accounts' argon2id hashes; docs/serve.md, "Authentication and uploads"):
 * - hashes are checked on worker threads (password-pool.ts), never on the
 *   event loop;
 * - failed logins are limited per user name and per client
 *   (failure-limiter.ts): past the limit the answer is 'rate-limited' with a
 *   Retry-After, decided before any password is checked, so guessing costs
 *   the server no CPU;
 * - credentials found right are remembered for a few minutes under an HMAC
 *   (verified-cache.ts) that also covers the stored hash, so a new password
 *   or a deleted account stops matching at once; a remembered pair is
 *   answered at once, even from a client that is being limited (it is not a
 *   guess), and concurrent checks of one pair share one hash run. Once its
 *   few minutes are over, a pair that was right within the last day is
 *   checked again but outside the limits: a guesser can keep a user name
 *   locked for new sign-ins, not that user's clients that already signed in.
 *
 * Timing: an unknown user is checked against a dummy hash of the same kind,
 * so the answer takes as long as for a known user with a wrong password, and
 * counts against the same limits (a limit reached sooner would tell which
 * names exist).
 */
import { clientKey } from '../client-address.js';
import { FailureLimiter, type FailureLimits } from './failure-limiter.js';
import { PasswordPoolBusy, type PasswordVerifier } from './password-pool.js';
import { VerifiedCache } from './verified-cache.js';

export type CredentialResult =
  | { readonly ok: true; readonly user: string }
  | { readonly ok: false; readonly reason: 'invalid' | 'rate-limited'; readonly user: string; readonly retryAfterSeconds?: number };

export interface CredentialCheckOptions {
  /** The stored hash of `user`; undefined when there is no such user. */
  readonly lookup: (user: string) => Promise<string | undefined> | string | undefined;
  readonly verifier: PasswordVerifier;
  /** Checked when the user does not exist: a hash of the kind most users have. */
  readonly dummyHash: string;
  readonly failures?: Partial<FailureLimits>;
  /** How long a verified pair is remembered (default 5 minutes). */
  readonly verifiedTtlMs?: number;
  readonly now?: () => number;
}

/** How long a pair that was once right is exempt from the failure limits. */
const KNOWN_TTL_MS = 24 * 3_600_000;
/** When the pool's queue is full: come back soon. */
const BUSY_RETRY_SECONDS = 2;

export class CredentialChecker {
  readonly #options: CredentialCheckOptions;
  readonly #verified: VerifiedCache;
  /** Pairs found right within the last day: checked again, but outside the limits. */
  readonly #known = new VerifiedCache({ ttlMs: KNOWN_TTL_MS, maxEntries: 10_000 });
  readonly #limiter: FailureLimiter;
  readonly #now: () => number;
  /** Checks running now, by cache key: concurrent requests with one pair share one hash run. */
  readonly #inFlight = new Map<string, Promise<CredentialResult>>();

  constructor(options: CredentialCheckOptions) {
    this.#options = options;
    this.#verified = new VerifiedCache(options.verifiedTtlMs !== undefined ? { ttlMs: options.verifiedTtlMs } : {});
    this.#limiter = new FailureLimiter(options.failures);
    this.#now = options.now ?? Date.now;
  }

  /** The limiter, for other kinds of secret (robot secrets) that must count against the same limits. */
  get limiter(): FailureLimiter {
    return this.#limiter;
  }

  async check(user: string, password: string, ip: string): Promise<CredentialResult> {
    const hash = await this.#options.lookup(user);
    // The stored hash is part of the key: a changed password or a removed account is never remembered as right.
    const key = this.#verified.keyOf(user, `${hash ?? ''}\u0000${password}`);
    const remembered = this.#verified.get(key, this.#now());
    if (remembered !== undefined) return { ok: true, user: remembered };
    const running = this.#inFlight.get(key);
    if (running) return running;
    const check = this.#check(key, user, password, hash, ip).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, check);
    return check;
  }

  async #check(key: string, user: string, password: string, hash: string | undefined, ip: string): Promise<CredentialResult> {
    const known = this.#known.get(key, this.#now()) !== undefined;
    const reservation = known ? undefined : this.#limiter.reserve(user, clientKey(ip), this.#now());
    if (reservation && !reservation.ok) return { ok: false, reason: 'rate-limited', user, retryAfterSeconds: reservation.retryAfterSeconds };
    let matches: boolean;
    try {
      // Always pay one hash comparison, whether or not the user exists.
      matches = await this.#options.verifier.verify(password, hash ?? this.#options.dummyHash);
    } catch (error) {
      if (reservation) this.#limiter.settle(reservation, 'abandoned', this.#now());
      if (error instanceof PasswordPoolBusy) return { ok: false, reason: 'rate-limited', user, retryAfterSeconds: BUSY_RETRY_SECONDS };
      throw error;
    }
    const ok = matches && hash !== undefined;
    if (reservation) this.#limiter.settle(reservation, ok ? 'succeeded' : 'failed', this.#now());
    if (!ok) return { ok: false, reason: 'invalid', user };
    this.#verified.add(key, user, this.#now());
    this.#known.add(key, user, this.#now());
    return { ok: true, user };
  }

  /** Counts one check of another kind of secret (robots) against the same limits. */
  async limited(user: string, ip: string, check: () => Promise<boolean> | boolean): Promise<CredentialResult> {
    const reservation = this.#limiter.reserve(user, clientKey(ip), this.#now());
    if (!reservation.ok) return { ok: false, reason: 'rate-limited', user, retryAfterSeconds: reservation.retryAfterSeconds };
    let ok = false;
    try {
      ok = await check();
    } catch (error) {
      this.#limiter.settle(reservation, 'abandoned', this.#now());
      throw error;
    }
    this.#limiter.settle(reservation, ok ? 'succeeded' : 'failed', this.#now());
    return ok ? { ok: true, user } : { ok: false, reason: 'invalid', user };
  }
}
