/**
 * The JWTs of the Docker token flow
 * (https://distribution.github.io/distribution/spec/auth/jwt/): short-lived
 * access tokens carrying the spec's `access` claim, and refresh tokens (the
 * OAuth2 `refresh_token` containerd and `docker login` keep). Signed with
 * ES256 by `jose` with the key from token-keys.ts. Every token has `iss`
 * (the token realm), `aud` (the service name from the challenge), `sub` (the
 * account name; empty for anonymous), `iat`, `nbf`, `exp` and a random
 * `jti`; ours also say what they are for (`use`: `access` or `refresh`) so
 * that neither can stand in for the other.
 *
 * Verification checks the algorithm (ES256 only: `none` and HMAC tokens are
 * refused before any key is chosen), the key id, the signature, `iss`, `aud`,
 * `exp` and `nbf` (with 5 seconds' tolerance for clocks of processes that
 * share the key), and `use`. What a token grants is still checked against the
 * current permissions on every request (access-control.ts): a token is proof
 * of identity and an upper bound, never more.
 */
import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { AccessEntry } from './scopes.js';
import type { TokenKeys } from './token-keys.js';

export interface TokenSettings {
  /** The realm URL (`<public URL>/token`): the tokens' issuer. A function: the port may be known only once listening. */
  readonly issuer: () => string;
  /** The `service` of the challenge (the registry's public name): the tokens' audience. */
  readonly service: () => string;
  /** Access token lifetime in seconds (default 300). */
  readonly accessTtlSeconds?: number;
  /** Refresh token lifetime in seconds (default 30 days). */
  readonly refreshTtlSeconds?: number;
  readonly now?: () => number;
}

export const DEFAULT_ACCESS_TTL_SECONDS = 300;
export const DEFAULT_REFRESH_TTL_SECONDS = 30 * 86_400;
const CLOCK_TOLERANCE_SECONDS = 5;
/** A token longer than this is refused unread (ours are well under 2 KiB). */
export const MAX_TOKEN_LENGTH = 8192;
/** Verified access tokens remembered (about 1 KiB each). */
const MAX_VERIFIED_TOKENS = 10_000;

export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
  /** RFC 3339. */
  readonly issuedAt: string;
}

export interface VerifiedToken {
  readonly subject: string;
  readonly access: readonly AccessEntry[];
  /** Seconds since the epoch. */
  readonly issuedAt: number;
}

export type TokenRefusal = 'malformed' | 'expired' | 'signature' | 'claims';

export class TokenService {
  readonly #keys: TokenKeys;
  readonly #settings: Required<Omit<TokenSettings, 'now'>>;
  readonly #now: () => number;
  /**
   * Access tokens verified before, until they expire: a client sends the same
   * token with every request of a pull, and an ES256 verification costs about
   * 0.1 ms of CPU (jose, measured here), a tenth to a quarter of a manifest
   * GET. At most MAX_VERIFIED_TOKENS, the oldest dropped first. Refusals are
   * never remembered (garbage costs the sender a failed check, never our
   * memory), and what a token grants is still checked against the current
   * permissions on every request.
   */
  readonly #verified = new Map<string, { readonly result: VerifiedToken; readonly expiresAt: number }>();

  constructor(keys: TokenKeys, settings: TokenSettings) {
    this.#keys = keys;
    this.#settings = {
      issuer: settings.issuer,
      service: settings.service,
      accessTtlSeconds: settings.accessTtlSeconds ?? DEFAULT_ACCESS_TTL_SECONDS,
      refreshTtlSeconds: settings.refreshTtlSeconds ?? DEFAULT_REFRESH_TTL_SECONDS,
    };
    this.#now = settings.now ?? Date.now;
  }

  get service(): string {
    return this.#settings.service();
  }

  get accessTtlSeconds(): number {
    return this.#settings.accessTtlSeconds;
  }

  issueAccess(subject: string, access: readonly AccessEntry[]): Promise<IssuedToken> {
    return this.#issue(subject, 'access', this.#settings.accessTtlSeconds, { access: access.map((a) => ({ type: a.type, name: a.name, actions: [...a.actions] })) });
  }

  issueRefresh(subject: string): Promise<IssuedToken> {
    return this.#issue(subject, 'refresh', this.#settings.refreshTtlSeconds, {});
  }

  async verifyAccess(token: string): Promise<VerifiedToken | TokenRefusal> {
    const known = this.#verified.get(token);
    if (known && this.#now() < known.expiresAt) return known.result;
    if (known) this.#verified.delete(token);
    const payload = await this.#verify(token, 'access');
    if (typeof payload === 'string') return payload;
    const access = accessOf(payload.access);
    if (!access) return 'claims';
    const result: VerifiedToken = { subject: payload.sub ?? '', access, issuedAt: payload.iat ?? 0 };
    if (this.#verified.size >= MAX_VERIFIED_TOKENS) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, { result, expiresAt: (payload.exp ?? 0) * 1000 });
    return result;
  }

  async verifyRefresh(token: string): Promise<VerifiedToken | TokenRefusal> {
    const payload = await this.#verify(token, 'refresh');
    if (typeof payload === 'string') return payload;
    if (typeof payload.sub !== 'string' || payload.sub === '') return 'claims';
    return { subject: payload.sub, access: [], issuedAt: payload.iat ?? 0 };
  }

  async #issue(subject: string, use: 'access' | 'refresh', ttl: number, claims: Record<string, unknown>): Promise<IssuedToken> {
    const now = Math.floor(this.#now() / 1000);
    const token = await new SignJWT({ ...claims, use })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.#keys.signing.kid })
      .setIssuer(this.#settings.issuer())
      .setAudience(this.#settings.service())
      .setSubject(subject)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(this.#keys.signing.key);
    return { token, expiresIn: ttl, issuedAt: new Date(now * 1000).toISOString() };
  }

  async #verify(token: string, use: 'access' | 'refresh'): Promise<(JWTPayload & { access?: unknown; use?: unknown }) | TokenRefusal> {
    if (token.length > MAX_TOKEN_LENGTH) return 'malformed';
    try {
      const { payload } = await jwtVerify<{ access?: unknown; use?: unknown }>(
        token,
        (header) => {
          const key = header.kid === undefined ? undefined : this.#keys.verification.get(header.kid);
          if (!key) throw new joseErrors.JWKSNoMatchingKey();
          return key;
        },
        {
          algorithms: ['ES256'],
          issuer: this.#settings.issuer(),
          audience: this.#settings.service(),
          requiredClaims: ['exp', 'iat', 'sub'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: new Date(this.#now()),
        },
      );
      return payload.use === use ? payload : 'claims';
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return 'expired';
      if (error instanceof joseErrors.JWTClaimValidationFailed) return 'claims';
      if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) return 'signature';
      return 'malformed';
    }
  }
}

/** The `access` claim, checked entry by entry; undefined when it is not the spec's shape. */
function accessOf(value: unknown): AccessEntry[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 64) return undefined;
  const out: AccessEntry[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { type, name, actions } = item as { type?: unknown; name?: unknown; actions?: unknown };
    if ((type !== 'repository' && type !== 'registry') || typeof name !== 'string' || !Array.isArray(actions) || !actions.every((a) => typeof a === 'string')) return undefined;
    out.push({ type, name, actions: actions as string[] });
  }
  return out;
}
