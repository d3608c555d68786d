/**
 * Basic authentication from an Apache htpasswd file, the way distribution's
 * `htpasswd` auth works: bcrypt entries only (`htpasswd -B`), since the other
 * formats (MD5-crypt, SHA-1, crypt) are too fast to resist guessing; any other
 * entry stops the server at start with a message naming its line.
 *
 * Alone (`--htpasswd` without `--accounts`), this is the registry's access
 * control, as before accounts existed: every signed-in user may pull, push
 * and delete everywhere — in the principal model (principal.ts) they are
 * registry administrators of a registry with no admin API — and anonymous
 * callers may pull when `anonymousPull` is set (but `/v2/` and the catalog
 * still challenge them, which is how clients learn to send credentials at
 * all). The challenge is Basic. With `--accounts` the file is a read-only
 * source of passwords instead (accounts.ts), and `parseHtpasswd` is all that
 * is used from here.
 *
 * Password checks, failed-login limits and the verified-credentials cache
 * are credential-check.ts's, shared with accounts.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import { ServeError } from '../errors.js';
import type { Access, AccessControl, AuthRequest, Authentication, AuthResult } from '../services.js';
import { authorizeWith } from './authorize.js';
import { CredentialChecker } from './credential-check.js';
import type { FailureLimits } from './failure-limiter.js';
import { sentCredentials } from './headers.js';
import { PasswordWorkerPool, type PasswordPoolOptions, type PasswordVerifier } from './password-pool.js';
import { can, type ProjectAccess } from './permissions.js';
import { ANONYMOUS, type Action, type Principal } from './principal.js';

export interface HtpasswdOptions {
  /** Let callers without credentials pull (default false). */
  readonly anonymousPull?: boolean;
  /** Default "portcullis". */
  readonly realm?: string;
  /** Failed-login limits (defaults in failure-limiter.ts: 10 per user, 30 per client, per 5 minutes). */
  readonly failures?: Partial<FailureLimits>;
  /** How long a verified pair is remembered (default 5 minutes). */
  readonly verifiedTtlMs?: number;
  /** The bcrypt checker (default: a PasswordWorkerPool with `pool` options, closed by `close`). */
  readonly verifier?: PasswordVerifier;
  readonly pool?: PasswordPoolOptions;
  /** Clock in milliseconds (tests). */
  readonly now?: () => number;
}

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

export class HtpasswdAuthenticator implements AccessControl {
  readonly #challenge: string;
  /** Every repository is in one public (anonymous pull) or private project. */
  readonly #project: ProjectAccess;
  readonly #checker: CredentialChecker;
  readonly #verifier: PasswordVerifier;
  readonly #ownsVerifier: boolean;
  readonly #users: ReadonlyMap<string, string>;

  constructor(users: ReadonlyMap<string, string>, options: HtpasswdOptions = {}) {
    this.#users = users;
    this.#challenge = `Basic realm="${(options.realm ?? 'portcullis').replace(/["\\]/g, '')}"`;
    this.#project = { exists: true, public: options.anonymousPull ?? false };
    this.#ownsVerifier = options.verifier === undefined;
    this.#verifier = options.verifier ?? new PasswordWorkerPool(options.pool);
    this.#checker = new CredentialChecker({
      lookup: (user) => users.get(user),
      verifier: this.#verifier,
      dummyHash: dummyBcryptHash(users),
      ...(options.failures ? { failures: options.failures } : {}),
      ...(options.verifiedTtlMs !== undefined ? { verifiedTtlMs: options.verifiedTtlMs } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }

  static async load(path: string, options: HtpasswdOptions = {}): Promise<HtpasswdAuthenticator> {
    return new HtpasswdAuthenticator(await readHtpasswd(path), options);
  }

  knowsUser(name: string): boolean {
    return this.#users.has(name);
  }

  async authenticate(request: AuthRequest): Promise<Authentication> {
    const sent = sentCredentials(request.headers.authorization);
    if (sent.kind !== 'basic') return { ok: true, principal: ANONYMOUS };
    const result = await this.#checker.check(sent.user, sent.password, request.ip);
    if (!result.ok) return { ok: false, reason: result.reason, user: result.user, ...(result.retryAfterSeconds !== undefined ? { retryAfterSeconds: result.retryAfterSeconds } : {}) };
    return { ok: true, principal: { kind: 'user', name: result.user, admin: true, via: 'htpasswd' } };
  }

  async can(principal: Principal, action: Action, repository: string): Promise<boolean> {
    return can(principal, action, repository, this.#project);
  }

  async readableProjects(principal: Principal): Promise<ReadonlySet<string> | 'all'> {
    return principal.kind !== 'anonymous' || this.#project.public ? 'all' : new Set();
  }

  challenge(): string {
    return this.#challenge;
  }

  authorize(request: AuthRequest, access: Access, repository?: string): Promise<AuthResult> {
    return authorizeWith(this, this.#challenge, request, access, repository);
  }

  /** Stops the password threads (when this authenticator made them). */
  async close(): Promise<void> {
    if (this.#ownsVerifier) await this.#verifier.close();
  }
}

/** A bcrypt hash of a random password, at the cost the file's first entry uses: what unknown users are checked against. */
export function dummyBcryptHash(users: ReadonlyMap<string, string>): string {
  const first = users.values().next();
  const rounds = first.done ? 10 : Number(BCRYPT.exec(first.value)?.[1] ?? 10);
  return bcrypt.hashSync(randomBytes(16).toString('hex'), rounds);
}

export async function readHtpasswd(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ServeError('CONFIG_INVALID', `cannot read htpasswd file ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseHtpasswd(text, path);
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
