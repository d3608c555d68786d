/**
 * Answers a registry's challenge for a set of scopes: nothing (anonymous, or
 * the registry asked for nothing), `Basic`, or a `Bearer` token fetched from
 * the challenge's realm (docker token auth: GET realm?service=&scope=, with
 * Basic credentials when we have them; or an OAuth2 refresh-token POST when
 * we hold an identity token). Tokens are cached per scope set until shortly
 * before they expire.
 * Spec: https://distribution.github.io/distribution/spec/auth/token/
 */
import type { RegistryCredentials } from '../../auth/types.js';
import { readAllBounded, CoreError } from '../../../core/index.js';
import type { Challenge } from './challenge.js';
import { errorFromResponse, RegistryError, redactUrl } from './errors.js';
import { networkError, type HttpClient } from './http.js';
import { isLoopbackRegistry } from './tls.js';

const MAX_TOKEN_RESPONSE = 1024 * 1024;
/** docker's default when the token server does not say. */
const DEFAULT_TOKEN_LIFETIME_S = 60;
const EXPIRY_MARGIN_MS = 10_000;

export interface AuthenticatorOptions {
  http: HttpClient;
  credentials?: RegistryCredentials;
  /** Whether plain-http token realms are allowed (only with tlsVerify false). */
  allowInsecureRealm: boolean;
  /** Whether a plain-http realm on a loopback host is allowed (tlsVerify unset, as for loopback registries). */
  allowLoopbackHttpRealm?: boolean;
  clientId?: string;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export function repositoryScope(repository: string, actions: readonly ('pull' | 'push' | 'delete' | '*')[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

export function basicAuthorization(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

export class Authenticator {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly http: HttpClient;
  private readonly credentials: RegistryCredentials | undefined;
  private readonly allowInsecureRealm: boolean;
  private readonly allowLoopbackHttpRealm: boolean;
  private readonly clientId: string;
  /** How many token requests went to the realm (diagnostics and tests). */
  tokenRequests = 0;

  constructor(options: AuthenticatorOptions) {
    this.http = options.http;
    this.credentials = options.credentials;
    this.allowInsecureRealm = options.allowInsecureRealm;
    this.allowLoopbackHttpRealm = options.allowLoopbackHttpRealm === true;
    this.clientId = options.clientId ?? 'portcullis';
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  get hasCredentials(): boolean {
    return this.credentials !== undefined;
  }

  /** Records the challenge from `/v2/` (or from a later 401). A changed challenge drops cached tokens. */
  setChallenge(challenge: Challenge | undefined): void {
    if (JSON.stringify(challenge) !== JSON.stringify(this.challenge)) this.tokens.clear();
    this.challenge = challenge;
  }

  invalidate(scopes: readonly string[]): void {
    this.tokens.delete(scopeKey(scopes));
  }

  /** The Authorization header value for a request needing `scopes`, or undefined for none. */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      return this.credentials ? basicAuthorization(this.credentials) : undefined;
    }
    if (challenge.scheme !== 'bearer') {
      throw new RegistryError('UNAUTHORIZED', `registry asks for unsupported authentication scheme "${challenge.scheme}"`);
    }
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    const fresh = await this.fetchToken(challenge, scopes);
    this.tokens.set(key, fresh);
    return `Bearer ${fresh.token}`;
  }

  private async fetchToken(challenge: Challenge, scopes: readonly string[]): Promise<CachedToken> {
    const realmText = challenge.params.realm;
    if (!realmText) throw new RegistryError('PROTOCOL', 'Bearer challenge without a realm');
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch (error) {
      throw new RegistryError('PROTOCOL', `Bearer challenge has an invalid realm`, { cause: error });
    }
    const httpAllowed = this.allowInsecureRealm || (this.allowLoopbackHttpRealm && isLoopbackRegistry(realm.host));
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && httpAllowed)) {
      throw new RegistryError('PROTOCOL', `refusing token realm ${redactUrl(realm)}: not https (allowed only on loopback or with tlsVerify false)`);
    }
    const service = challenge.params.service;
    this.tokenRequests++;
    const identityToken = this.credentials?.identityToken;
    let res = identityToken ? await this.postRefreshToken(realm, service, scopes, identityToken) : undefined;
    if (!res) res = await this.getToken(realm, service, scopes);
    const answered = res;
    const body = await readAllBounded(answered.body, MAX_TOKEN_RESPONSE, 'token response').catch((error: unknown) => {
      if (error instanceof CoreError && error.code === 'TOO_LARGE') {
        throw new RegistryError('TOO_LARGE', `token response from ${redactUrl(realm)} is too large`, { cause: error });
      }
      // A deadline, an idle timeout or a dropped connection keeps its own code.
      throw networkError(error, `token request to ${redactUrl(realm)}`, answered.url, answered.idleTimeoutMs);
    });
    if (res.status !== 200) {
      throw errorFromResponse(`token request to ${redactUrl(realm)}`, res.status, body);
    }
    return parseTokenResponse(body, realm);
  }

  private async getToken(realm: URL, service: string | undefined, scopes: readonly string[]) {
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    url.searchParams.set('client_id', this.clientId);
    const headers: Record<string, string> = { accept: 'application/json' };
    const creds = this.credentials;
    if (creds && creds.username !== '' && creds.password !== '') headers.authorization = basicAuthorization(creds);
    return this.http.send({ method: 'GET', url, headers, what: `token request to ${redactUrl(realm)}` });
  }

  /** OAuth2 refresh-token grant; undefined when the server does not implement POST (fall back to GET). */
  private async postRefreshToken(realm: URL, service: string | undefined, scopes: readonly string[], refreshToken: string) {
    const form = new URLSearchParams();
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', refreshToken);
    form.set('client_id', this.clientId);
    if (service) form.set('service', service);
    if (scopes.length > 0) form.set('scope', scopes.join(' '));
    const res = await this.http.send({
      method: 'POST',
      url: realm,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      what: `token request to ${redactUrl(realm)}`,
    });
    if (res.status === 404 || res.status === 405) {
      await res.body.dump().catch(() => undefined);
      return undefined;
    }
    return res;
  }
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}

function parseTokenResponse(body: Buffer, realm: URL): CachedToken {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new RegistryError('PROTOCOL', `token response from ${redactUrl(realm)} is not JSON`, { cause: error });
  }
  if (typeof json !== 'object' || json === null) throw new RegistryError('PROTOCOL', `token response from ${redactUrl(realm)} is not an object`);
  const { token, access_token: accessToken, expires_in: expiresIn, issued_at: issuedAt } = json as Record<string, unknown>;
  const value = typeof token === 'string' && token !== '' ? token : typeof accessToken === 'string' ? accessToken : '';
  if (value === '') throw new RegistryError('PROTOCOL', `token response from ${redactUrl(realm)} has no token`);
  const lifetime = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : DEFAULT_TOKEN_LIFETIME_S;
  const issued = typeof issuedAt === 'string' && Number.isFinite(Date.parse(issuedAt)) ? Date.parse(issuedAt) : Date.now();
  // A clock-skewed issued_at must not make a fresh token look expired or eternal.
  const start = Math.abs(issued - Date.now()) > 5 * 60_000 ? Date.now() : issued;
  return { token: value, expiresAt: start + lifetime * 1000 - EXPIRY_MARGIN_MS };
}
