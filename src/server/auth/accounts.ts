/**
 * The access control of a registry with accounts (`--accounts`): users,
 * robots, projects and members in the metadata store (IdentityStore), an
 * optional htpasswd file as a read-only source of more users, and the Docker
 * token flow. Who is calling comes from:
 * - a Bearer token (tokens.ts), checked, then its subject looked up now: a
 *   deleted user, or a revoked or expired robot, is refused even with a token
 *   that has not expired, and so is a token older than its subject's account
 *   (a name deleted and made again is a new account); an administrator flag
 *   is the current one;
 * - Basic credentials: a user's password (argon2id, or bcrypt from the
 *   htpasswd file; credential-check.ts: worker threads, failed-login limits,
 *   verified cache), a robot's secret (robot-secrets.ts, under the same
 *   limits), or the CLI secret of an account that signs in through OIDC
 *   (oidc-accounts.ts: it has no password; the secret is an HMAC like a
 *   robot's, under the same limits);
 * - nothing: anonymous.
 * What they may do is permissions.ts's `can`, over the project's record and
 * the caller's membership, read from the store at each request.
 *
 * htpasswd users with `--accounts`: the file is re-read only at start, its
 * users sign in with its passwords, and have the roles they are given in
 * projects like any user (never administrator); a name in both the file and
 * the store is the store's account (the file's entry is ignored, and logged
 * at start).
 */
import { randomBytes } from 'node:crypto';
import { ServeError } from '../errors.js';
import type { IdentityStore, RobotRecord, UserRecord } from '../metadata/identity-store.js';
import type { Access, AccessControl, AuthRequest, Authentication, AuthResult } from '../services.js';
import { authorizeWith } from './authorize.js';
import { CredentialChecker } from './credential-check.js';
import type { FailureLimits } from './failure-limiter.js';
import { sentCredentials } from './headers.js';
import type { PasswordHasher } from './password-pool.js';
import { can, NO_PROJECT } from './permissions.js';
import { ANONYMOUS, INTERNAL, isUserName, parseRobotName, principalName, projectOf, type Action, type Principal } from './principal.js';
import { OIDC_NO_PASSWORD } from './oidc-accounts.js';
import { hashRobotSecret, robotSecretMatches } from './robot-secrets.js';
import type { TokenService } from './tokens.js';

export interface AccountsOptions {
  readonly store: IdentityStore;
  readonly tokens: TokenService;
  readonly hasher: PasswordHasher;
  /** The realm of the Bearer challenge: `<public URL>/token` (known once listening). */
  readonly realm: () => string;
  /** htpasswd users (read-only), name → bcrypt hash. */
  readonly htpasswd?: ReadonlyMap<string, string>;
  readonly failures?: Partial<FailureLimits>;
  readonly now?: () => number;
}

export class AccountsAccess implements AccessControl {
  readonly #store: IdentityStore;
  readonly #tokens: TokenService;
  readonly #hasher: PasswordHasher;
  readonly #realm: () => string;
  readonly #htpasswd: ReadonlyMap<string, string>;
  readonly #checker: CredentialChecker;
  readonly #now: () => number;
  /** What a robot secret is compared with when there is no such robot, so the answer takes as long. */
  readonly #dummySalt = randomBytes(16).toString('base64url');

  private constructor(options: AccountsOptions, dummyHash: string) {
    this.#store = options.store;
    this.#tokens = options.tokens;
    this.#hasher = options.hasher;
    this.#realm = options.realm;
    this.#htpasswd = options.htpasswd ?? new Map();
    this.#now = options.now ?? Date.now;
    this.#checker = new CredentialChecker({
      lookup: (user) => this.#passwordHashOf(user),
      verifier: options.hasher,
      dummyHash,
      ...(options.failures ? { failures: options.failures } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }

  static async create(options: AccountsOptions): Promise<AccountsAccess> {
    // Unknown users are checked against a hash of the accounts' kind (argon2id).
    const dummy = await options.hasher.hash(randomBytes(16).toString('hex'));
    return new AccountsAccess(options, dummy);
  }

  get store(): IdentityStore {
    return this.#store;
  }

  get tokens(): TokenService {
    return this.#tokens;
  }

  get hasher(): PasswordHasher {
    return this.#hasher;
  }

  /** True when `name` is an htpasswd user without a store account. */
  isHtpasswdUser(name: string): boolean {
    return this.#htpasswd.has(name);
  }

  async authenticate(request: AuthRequest): Promise<Authentication> {
    const sent = sentCredentials(request.headers.authorization);
    if (sent.kind === 'none') return { ok: true, principal: ANONYMOUS };
    if (sent.kind === 'basic') return this.signIn(sent.user, sent.password, request.ip);
    const verified = await this.#tokens.verifyAccess(sent.token);
    if (typeof verified === 'string') return { ok: false, reason: 'invalid', token: true };
    // The registry's own loopback calls (signature checks) trade the internal token for a bearer token naming
    // `<internal>`: a name no account can have (user names never hold angle brackets), so only that exchange made it.
    const principal = verified.subject === '' ? ANONYMOUS : verified.subject === principalName(INTERNAL) ? INTERNAL : await this.principalOf(verified.subject, verified.issuedAt, 'access');
    if (!principal) return { ok: false, reason: 'invalid', token: true, user: verified.subject };
    return { ok: true, principal, grants: verified.access };
  }

  /** A user name and password, or a robot name and secret: the principal, or why not. */
  async signIn(user: string, password: string, ip: string): Promise<Authentication> {
    if (user.startsWith('robot$')) {
      const robot = parseRobotName(user) ? await this.#store.getRobot(user) : undefined;
      const result = await this.#checker.limited(user, ip, () => {
        if (!robot) {
          hashRobotSecret(password, this.#dummySalt);
          return false;
        }
        return robotSecretMatches(password, robot.secretSalt, robot.secretHash) && this.#robotUsable(robot);
      });
      if (!result.ok) return refusal(result);
      return { ok: true, principal: robotPrincipal(robot!) };
    }
    const account = isUserName(user) ? await this.#store.getUser(user) : undefined;
    if (account?.passwordHash === OIDC_NO_PASSWORD) return this.#cliSecretSignIn(account, password, ip);
    const result = await this.#checker.check(user, password, ip);
    if (!result.ok) return refusal(result);
    const principal = await this.principalOf(user);
    if (!principal) return { ok: false, reason: 'invalid', user };
    return { ok: true, principal };
  }

  /**
   * The principal a token subject names, as the store says now; undefined when it is gone, revoked or expired,
   * or when the token (issued at `issuedAtSeconds`) is older than the account: a name deleted and made again
   * (a robot whose project was deleted and re-created, a user) is a new account, and the old one's tokens are
   * not its tokens. A refresh token is also refused when issued before the password changed.
   */
  async principalOf(subject: string, issuedAtSeconds?: number, use: 'access' | 'refresh' = 'refresh'): Promise<Principal | undefined> {
    const before = (at: string): boolean => issuedAtSeconds !== undefined && issuedAtSeconds * 1000 < Date.parse(at) - 1000;
    if (subject.startsWith('robot$')) {
      const robot = await this.#store.getRobot(subject);
      return robot && this.#robotUsable(robot) && !before(robot.createdAt) ? robotPrincipal(robot) : undefined;
    }
    const account = await this.#store.getUser(subject);
    if (account) {
      if (before(account.createdAt)) return undefined;
      // A refresh token from before the password changed is refused: a new password signs every client out.
      if (use === 'refresh' && before(account.passwordChangedAt)) return undefined;
      return userPrincipal(account);
    }
    if (this.#htpasswd.has(subject)) return { kind: 'user', name: subject, admin: false, via: 'htpasswd' };
    return undefined;
  }

  async can(principal: Principal, action: Action, repository: string): Promise<boolean> {
    if (principal.kind === 'internal') return action === 'pull';
    if (principal.kind === 'user' && principal.admin) return true;
    const project = await this.#store.projectAccess(projectOf(repository), principal.kind === 'user' ? principal.name : undefined);
    return can(principal, action, repository, project ?? NO_PROJECT);
  }

  async readableProjects(principal: Principal): Promise<ReadonlySet<string> | 'all'> {
    if (principal.kind === 'internal' || (principal.kind === 'user' && principal.admin)) return 'all';
    const names = new Set(await this.#store.projectsReadableBy(principal.kind === 'user' ? principal.name : undefined));
    if (principal.kind === 'robot' && principal.actions.includes('pull')) names.add(principal.project);
    return names;
  }

  challenge(scope?: string, error?: 'invalid_token' | 'insufficient_scope'): string {
    return `Bearer realm="${this.#realm()}",service="${this.#tokens.service}"${scope !== undefined ? `,scope="${scope}"` : ''}${error !== undefined ? `,error="${error}"` : ''}`;
  }

  /** For the UI and /metrics: browsers answer Basic challenges, not Bearer ones. */
  authorize(request: AuthRequest, access: Access, repository?: string): Promise<AuthResult> {
    return authorizeWith(this, 'Basic realm="portcullis"', request, access, repository);
  }

  /** Hashes a new password (argon2id, on the password threads). */
  hashPassword(password: string): Promise<string> {
    return this.#hasher.hash(password);
  }

  async #passwordHashOf(user: string): Promise<string | undefined> {
    if (!isUserName(user)) return undefined;
    const account = await this.#store.getUser(user);
    // An OIDC account has no password: checked against the dummy hash, it never matches.
    if (account?.passwordHash === OIDC_NO_PASSWORD) return undefined;
    return account?.passwordHash ?? this.#htpasswd.get(user);
  }

  /** An OIDC account's CLI secret (none set: nothing matches), under the failed-login limits. */
  async #cliSecretSignIn(account: UserRecord, secret: string, ip: string): Promise<Authentication> {
    const link = await this.#store.getOidcLinkOf(account.name);
    const result = await this.#checker.limited(account.name, ip, () => {
      if (link?.cliSecretHash === undefined || link.cliSecretSalt === undefined) {
        hashRobotSecret(secret, this.#dummySalt);
        return false;
      }
      return robotSecretMatches(secret, link.cliSecretSalt, link.cliSecretHash);
    });
    if (!result.ok) return refusal(result);
    return { ok: true, principal: userPrincipal(account) };
  }

  #robotUsable(robot: RobotRecord): boolean {
    return robot.revokedAt === undefined && (robot.expiresAt === undefined || Date.parse(robot.expiresAt) > this.#now());
  }
}

function refusal(result: { reason: 'invalid' | 'rate-limited'; user: string; retryAfterSeconds?: number }): Authentication {
  return { ok: false, reason: result.reason, user: result.user, ...(result.retryAfterSeconds !== undefined ? { retryAfterSeconds: result.retryAfterSeconds } : {}) };
}

function userPrincipal(account: UserRecord): Principal {
  return { kind: 'user', name: account.name, admin: account.admin, via: 'password' };
}

function robotPrincipal(robot: RobotRecord): Principal {
  return { kind: 'robot', name: robot.name, project: robot.project, actions: robot.actions };
}

/** The first administrator: `admin` with the given password, or a generated one (returned, to be shown once). Nothing when an administrator exists. */
export async function bootstrapAdmin(store: IdentityStore, hasher: PasswordHasher, given: string | undefined, now = new Date()): Promise<{ user: string; password: string; generated: boolean } | undefined> {
  if (await store.hasAdmin()) return undefined;
  if (given !== undefined && given.length < 12) throw new ServeError('CONFIG_INVALID', 'PORTCULLIS_ADMIN_PASSWORD must be at least 12 characters');
  const password = given ?? randomBytes(18).toString('base64url');
  const at = now.toISOString();
  const created = await store.createUser({ name: 'admin', passwordHash: await hasher.hash(password), admin: true, createdAt: at, passwordChangedAt: at });
  // Another process made it first, or an `admin` without the flag exists: not ours to announce.
  if (!created) return undefined;
  return { user: 'admin', password, generated: given === undefined };
}
