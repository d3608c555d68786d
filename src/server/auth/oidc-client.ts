/**
 * The registry as an OpenID Connect relying party: the authorization code
 * flow with PKCE (S256), `state` and `nonce`, for the web UI's sign-in
 * (ui/oidc.ts). The protocol is panva's `openid-client` (6, an OpenID
 * Foundation certified relying party, on oauth4webapi and jose): discovery,
 * the authorization URL, the code exchange (client_secret_basic) and the
 * ID token's checks. Written here is only what the registry decides:
 *
 * - the provider's metadata is read at the first sign-in, not at start (a
 *   provider that is down does not stop the registry; a failed read is not
 *   kept, the next sign-in tries again), with a 10 s deadline per request;
 * - the ID token's signature is checked against the provider's JWKS
 *   (`enableNonRepudiationChecks`: without it oauth4webapi trusts an ID token
 *   from the token endpoint as the spec allows), with asymmetric algorithms
 *   only (RS, PS, ES, EdDSA: never `none`, never HS* with a public key) and
 *   among those the provider's metadata lists (RS256 when it lists none);
 * - `iss` must be the configured issuer, `aud` must hold the client id and
 *   `azp`, when present or when `aud` names others too, must be it; `exp` and
 *   `iat` are checked with 30 s of clock tolerance; the `nonce` must be the
 *   one this sign-in sent (openid-client checks these; `iss`, `aud` and `azp`
 *   are checked here again, so a change of library cannot drop them);
 * - failures are `OidcFailure`s with a reason for the log and audit and a
 *   sentence for the user; no token, code or secret is in either.
 */
import * as client from 'openid-client';
import { decodeProtectedHeader } from 'jose';
import { checkIssuer, scopesOf, type OidcSettings } from './oidc-settings.js';
import { LoginStates, type LoginState } from './oidc-states.js';

/** Why a sign-in was refused: the audit and log `reason`. */
export type OidcFailureReason =
  | 'state-missing'
  | 'state-mismatch'
  | 'provider-error'
  | 'provider-unreachable'
  | 'token-refused'
  | 'claims-invalid'
  | 'name-taken'
  | 'name-invalid'
  | 'not-onboarded'
  | 'account-gone'
  | 'too-many-sign-ins';

export class OidcFailure extends Error {
  constructor(
    readonly reason: OidcFailureReason,
    /** For the user, on the page. */
    readonly userMessage: string,
    /** For the operator's log (no token, code or secret). */
    readonly detail?: string,
  ) {
    super(userMessage);
  }
}

/** Who the provider says signed in. */
export interface OidcIdentity {
  readonly issuer: string;
  readonly subject: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly returnPath: string;
}

const ASYMMETRIC = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
const CLOCK_TOLERANCE_SECONDS = 30;
const REQUEST_TIMEOUT_SECONDS = 10;

export class OidcRelyingParty {
  readonly #settings: OidcSettings;
  readonly #issuer: URL;
  readonly #redirectUri: () => string;
  readonly #states: LoginStates;
  #config: Promise<client.Configuration> | undefined;

  constructor(settings: OidcSettings, redirectUri: () => string, states: LoginStates) {
    const issuer = checkIssuer(settings.issuer);
    if (typeof issuer === 'string') throw new Error(`oidc.issuer: ${issuer}`);
    this.#settings = settings;
    this.#issuer = issuer;
    this.#redirectUri = redirectUri;
    this.#states = states;
  }

  get settings(): OidcSettings {
    return this.#settings;
  }

  get states(): LoginStates {
    return this.#states;
  }

  /**
   * Starts a sign-in from `address`: the provider's authorization URL, and the id of the record the browser's
   * cookie must hold; an OidcFailure `too-many-sign-ins` when the client, or everybody, has too many in progress.
   */
  async begin(returnPath: string, address: string): Promise<{ url: string; stateId: string }> {
    const config = await this.#configuration();
    const verifier = client.randomPKCECodeVerifier();
    const record: LoginState = { state: client.randomState(), nonce: client.randomNonce(), verifier, returnPath };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.#redirectUri(),
      scope: scopesOf(this.#settings.scopes),
      state: record.state,
      nonce: record.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const added = await this.#states.add(record, address);
    if ('refused' in added) {
      const { max, perClient } = this.#states.caps;
      const detail = added.refused === 'client-full' ? `${perClient} sign-ins in progress from this client` : `${max} sign-ins in progress in all`;
      throw new OidcFailure('too-many-sign-ins', 'Too many sign-ins are in progress: try again in a few minutes.', detail);
    }
    return { url: url.href, stateId: added.id };
  }

  /**
   * Ends a sign-in: `callback` is the URL the provider sent the browser to,
   * `stateId` the cookie's value. The identity, or an OidcFailure.
   */
  async complete(callback: URL, stateId: string | undefined): Promise<OidcIdentity> {
    const record = await this.#states.take(stateId);
    if (!record) throw new OidcFailure('state-missing', 'This sign-in was not started in this browser, took too long, or was finished already: sign in again.');
    const sentState = callback.searchParams.get('state');
    if (sentState !== record.state) throw new OidcFailure('state-mismatch', 'The answer of the identity provider does not belong to this sign-in: sign in again.');
    const error = callback.searchParams.get('error');
    if (error !== null) throw new OidcFailure('provider-error', 'The identity provider did not sign you in.', `provider error ${error.slice(0, 100)}`);
    const config = await this.#configuration();
    let claims: Record<string, unknown>;
    let idToken: string | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: record.verifier, expectedState: record.state, expectedNonce: record.nonce, idTokenExpected: true });
      idToken = tokens.id_token;
      claims = { ...(tokens.claims() ?? {}) };
    } catch (cause) {
      throw new OidcFailure('token-refused', 'The identity provider\'s answer was refused: sign in again, or ask an administrator.', describe(cause));
    }
    this.#checkClaims(config, idToken, claims);
    return { issuer: String(claims.iss), subject: String(claims.sub), claims, returnPath: record.returnPath };
  }

  /** What openid-client checked, checked again here; and the signing algorithm against the allowed ones. */
  #checkClaims(config: client.Configuration, idToken: string | undefined, claims: Record<string, unknown>): void {
    const refuse = (detail: string): never => {
      throw new OidcFailure('token-refused', 'The identity provider\'s answer was refused: sign in again, or ask an administrator.', detail);
    };
    if (!idToken) refuse('no ID token');
    const metadata = config.serverMetadata();
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(idToken!).alg;
    } catch {
      refuse('the ID token header is unreadable');
    }
    const listed = metadata.id_token_signing_alg_values_supported ?? ['RS256'];
    if (typeof alg !== 'string' || !ASYMMETRIC.has(alg) || !listed.includes(alg)) refuse(`ID token algorithm ${String(alg).slice(0, 20)} is not allowed`);
    if (claims.iss !== metadata.issuer) refuse('the ID token is from another issuer');
    const clientId = this.#settings.clientId;
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audience.includes(clientId)) refuse('the ID token is for another client');
    if ((claims.azp !== undefined || audience.length > 1) && claims.azp !== clientId) refuse('the ID token was issued to another party (azp)');
    if (typeof claims.sub !== 'string' || claims.sub === '' || claims.sub.length > 255) refuse('the ID token has no usable subject');
  }

  #configuration(): Promise<client.Configuration> {
    this.#config ??= this.#discover().catch((error: unknown) => {
      this.#config = undefined;
      throw error;
    });
    return this.#config;
  }

  async #discover(): Promise<client.Configuration> {
    const insecure = this.#issuer.protocol === 'http:';
    try {
      const config = await client.discovery(
        this.#issuer,
        this.#settings.clientId,
        { [client.clockTolerance]: CLOCK_TOLERANCE_SECONDS },
        client.ClientSecretBasic(this.#settings.clientSecret),
        { timeout: REQUEST_TIMEOUT_SECONDS, execute: [...(insecure ? [client.allowInsecureRequests] : []), client.enableNonRepudiationChecks] },
      );
      config.timeout = REQUEST_TIMEOUT_SECONDS;
      return config;
    } catch (cause) {
      throw new OidcFailure('provider-unreachable', 'The identity provider cannot be reached now: try again later.', `discovery of ${this.#issuer.href} failed: ${describe(cause)}`);
    }
  }
}

/**
 * One line about an error for the log: its message and code, the provider's OAuth `error` and its description
 * when it sent one; never a token (oauth4webapi's messages name claims, not values).
 */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const { code, error: oauthError, error_description: description } = error as { code?: unknown; error?: unknown; error_description?: unknown };
  const said = typeof oauthError === 'string' ? `: ${oauthError}${typeof description === 'string' ? ` (${description.slice(0, 200)})` : ''}` : '';
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${typeof code === 'string' ? ` (${code})` : ''}${said}${cause}`.slice(0, 400);
}
