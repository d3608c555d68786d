/**
 * Basic authentication from an Apache htpasswd file, the way distribution's
 * `htpasswd` auth works: bcrypt entries only (`htpasswd -B`), since the other
 * formats (MD5-crypt, SHA-1, crypt) are too fast to resist guessing; any other
 * entry stops the server at start with a message naming its line. Every
 * signed-in user may pull, push and delete; anonymous callers may pull from
 * repositories when `anonymousPull` is set (but `/v2/` and the catalog still
 * challenge them, which is how clients learn to send credentials at all).
 *
 * Staying up under guessing (docs/serve.md, "Authentication and uploads"):
 * - bcrypt runs on worker threads (password-pool.ts), never on the event loop;
 * - failed logins are limited per user name and per client (failure-limiter.ts):
 *   past the limit the answer is 'rate-limited' with a Retry-After, decided
 *   before any password is checked, so guessing costs the server no CPU;
 * - credentials found right are remembered for a few minutes under an HMAC
 *   (verified-cache.ts); a remembered pair is answered at once, even from a
 *   client that is being limited (it is not a guess), and concurrent checks
 *   of one pair share one bcrypt run. Once its few minutes are over, a pair
 *   that was right within the last day is checked again with bcrypt but
 *   outside the limits: a guesser can keep a user name locked for new
 *   sign-ins, not that user's clients that already signed in.
 *
 * Timing: an unknown user is checked against a dummy hash of the same cost,
 * so the answer takes as long as for a known user with a wrong password, and
 * counts against the same limits (a limit reached sooner would tell which
 * names exist). bcryptjs compares hashes in constant time; the cache is
 * looked up by an HMAC the caller cannot compute, so how long the lookup
 * takes says nothing about any secret.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import { clientKey } from '../client-address.js';
import { ServeError } from '../errors.js';
import type { Access, AuthRequest, Authenticator, AuthResult } from '../services.js';
import { FailureLimiter, type FailureLimits } from './failure-limiter.js';
import { BcryptWorkerPool, PasswordPoolBusy, type PasswordPoolOptions, type PasswordVerifier } from './password-pool.js';
import { VerifiedCache } from './verified-cache.js';

export interface HtpasswdOptions {
  /** Let callers without credentials pull (default false). */
  readonly anonymousPull?: boolean;
  /** Default "portcullis". */
  readonly realm?: string;
  /** Failed-login limits (defaults in failure-limiter.ts: 10 per user, 30 per client, per 5 minutes). */
  readonly failures?: Partial<FailureLimits>;
  /** How long a verified pair is remembered (default 5 minutes). */
  readonly verifiedTtlMs?: number;
  /** The bcrypt checker (default: a BcryptWorkerPool with `pool` options, closed by `close`). */
  readonly verifier?: PasswordVerifier;
  readonly pool?: PasswordPoolOptions;
  /** Clock in milliseconds (tests). */
  readonly now?: () => number;
}

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
/** How long a pair that was once right is exempt from the failure limits. */
const KNOWN_TTL_MS = 24 * 3_600_000;
/** When the pool's queue is full: come back soon. */
const BUSY_RETRY_SECONDS = 2;

export class HtpasswdAuthenticator implements Authenticator {
  readonly #users: ReadonlyMap<string, string>;
  readonly #dummy: string;
  readonly #challenge: string;
  readonly #anonymousPull: boolean;
  readonly #verified: VerifiedCache;
  /** Pairs found right within the last day (keys from `#verified.keyOf`): re-checked with bcrypt, but outside the limits. */
  readonly #known = new VerifiedCache({ ttlMs: KNOWN_TTL_MS, maxEntries: 10_000 });
  readonly #limiter: FailureLimiter;
  readonly #verifier: PasswordVerifier;
  readonly #ownsVerifier: boolean;
  readonly #now: () => number;
  /** Checks running now, by verified-cache key: concurrent requests with one pair share one bcrypt run. */
  readonly #inFlight = new Map<string, Promise<AuthResult>>();

  constructor(users: ReadonlyMap<string, string>, options: HtpasswdOptions = {}) {
    this.#users = users;
    const first = users.values().next();
    const rounds = first.done ? 10 : Number(BCRYPT.exec(first.value)?.[1] ?? 10);
    this.#dummy = bcrypt.hashSync(randomBytes(16).toString('hex'), rounds);
    this.#challenge = `Basic realm="${(options.realm ?? 'portcullis').replace(/["\\]/g, '')}"`;
    this.#anonymousPull = options.anonymousPull ?? false;
    this.#verified = new VerifiedCache(options.verifiedTtlMs !== undefined ? { ttlMs: options.verifiedTtlMs } : {});
    this.#limiter = new FailureLimiter(options.failures);
    this.#ownsVerifier = options.verifier === undefined;
    this.#verifier = options.verifier ?? new BcryptWorkerPool(options.pool);
    this.#now = options.now ?? Date.now;
  }

  static async load(path: string, options: HtpasswdOptions = {}): Promise<HtpasswdAuthenticator> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ServeError('CONFIG_INVALID', `cannot read htpasswd file ${path}: ${(error as Error).message}`, { cause: error });
    }
    return new HtpasswdAuthenticator(parseHtpasswd(text, path), options);
  }

  async authorize(request: AuthRequest, access: Access, repository?: string): Promise<AuthResult> {
    const credentials = basicCredentials(request.headers.authorization);
    // containers/image answers a Basic challenge with empty credentials when it has none: that is anonymous.
    if (!credentials || (credentials.user === '' && credentials.password === '')) {
      // Not for `/v2/` itself: clients learn from its challenge that they should send credentials,
      // and would never send them if it answered 200.
      if (this.#anonymousPull && access === 'pull' && repository !== undefined) return { ok: true };
      return { ok: false, challenge: this.#challenge, reason: 'missing' };
    }
    const key = this.#verified.keyOf(credentials.user, credentials.password);
    const remembered = this.#verified.get(key, this.#now());
    if (remembered !== undefined) return { ok: true, user: remembered };
    const running = this.#inFlight.get(key);
    if (running) return running;
    const check = this.#check(key, credentials.user, credentials.password, request.ip).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, check);
    return check;
  }

  /** Stops the password threads (when this authenticator made them). */
  async close(): Promise<void> {
    if (this.#ownsVerifier) await this.#verifier.close();
  }

  async #check(key: string, user: string, password: string, ip: string): Promise<AuthResult> {
    // A pair that was right within the last day is not a guess: it is checked again, outside the limits, so a
    // guesser who keeps a user name locked out does not lock out that user's own clients.
    const known = this.#known.get(key, this.#now()) !== undefined;
    const reservation = known ? undefined : this.#limiter.reserve(user, clientKey(ip), this.#now());
    if (reservation && !reservation.ok) return this.#limited(user, reservation.retryAfterSeconds);
    const hash = this.#users.get(user);
    let matches: boolean;
    try {
      // Always pay one bcrypt comparison, whether or not the user exists.
      matches = await this.#verifier.verify(password, hash ?? this.#dummy);
    } catch (error) {
      if (reservation) this.#limiter.settle(reservation, 'abandoned', this.#now());
      if (error instanceof PasswordPoolBusy) return this.#limited(user, BUSY_RETRY_SECONDS);
      throw error;
    }
    const ok = matches && hash !== undefined;
    if (reservation) this.#limiter.settle(reservation, ok ? 'succeeded' : 'failed', this.#now());
    if (!ok) return { ok: false, challenge: this.#challenge, reason: 'invalid', user };
    this.#verified.add(key, user, this.#now());
    this.#known.add(key, user, this.#now());
    return { ok: true, user };
  }

  #limited(user: string, retryAfterSeconds: number): AuthResult {
    return { ok: false, challenge: this.#challenge, reason: 'rate-limited', user, retryAfterSeconds };
  }
}

/** `user:hash` lines; blank lines and `#` comments skipped; non-bcrypt entries refused. */
export function parseHtpasswd(text: string, source = 'htpasswd'): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = colon > 0 ? line.slice(0, colon) : '';
    const hash = line.slice(colon + 1);
    if (user === '') throw new ServeError('CONFIG_INVALID', `${source} line ${index + 1}: expected "user:hash"`);
    if (!BCRYPT.test(hash)) {
      throw new ServeError('CONFIG_INVALID', `${source} line ${index + 1} (user "${user}"): only bcrypt entries are supported; create them with "htpasswd -B"`);
    }
    users.set(user, hash);
  });
  return users;
}

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
