/**
 * What an operator configures for OIDC sign-in (the `oidc` section of the
 * configuration file, docs/serve.md "Signing in with OpenID Connect"), and
 * the one check of it the server cannot leave to the provider: the issuer
 * is an https URL, or http on a loopback address only (a provider on the
 * same machine, as in the tests). Anything else would send the client
 * secret, the code and the ID token over plain text.
 */
export interface OidcSettings {
  /** The provider's issuer identifier: `<issuer>/.well-known/openid-configuration` is read at the first sign-in. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes asked for; `openid` is always among them. */
  readonly scopes: string;
  /** The ID token claim that names a new account (its name stays when the claim changes later). */
  readonly usernameClaim: string;
  /** The ID token claim listing the user's groups, for `adminGroup`. */
  readonly groupsClaim?: string;
  /** Members of this group are registry administrators, as the provider says at each sign-in. */
  readonly adminGroup?: string;
  /** Create the account at the first sign-in (else an administrator… cannot yet: the sign-in is refused). */
  readonly autoOnboard: boolean;
  /** What the sign-in button says: "Sign in with <displayName>"; the issuer's host when absent. */
  readonly displayName?: string;
}

/** Where the provider sends the browser back: `<public URL>` + this (ui/oidc.ts serves it). */
export const OIDC_REDIRECT_PATH = '/ui/oidc/callback';

export const DEFAULT_OIDC_SCOPES = 'openid profile email';
export const DEFAULT_USERNAME_CLAIM = 'preferred_username';

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** The issuer as a URL, or why it cannot be one (a one-line message for the settings error). */
export function checkIssuer(issuer: string): URL | string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return `"${issuer.slice(0, 200)}" is not a URL`;
  }
  if (url.username || url.password || url.search || url.hash) return 'the issuer must not carry credentials, a query or a fragment';
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname)) return url;
  return 'the issuer must be an https URL (http only on a loopback address)';
}

/** The label of the sign-in button. */
export function providerLabel(settings: Pick<OidcSettings, 'issuer' | 'displayName'>): string {
  if (settings.displayName) return settings.displayName;
  try {
    return new URL(settings.issuer).host;
  } catch {
    return settings.issuer;
  }
}

/** The scopes to ask for, with `openid` first and once. */
export function scopesOf(scopes: string): string {
  const list = scopes.split(/\s+/).filter((s) => s !== '' && s !== 'openid');
  return ['openid', ...new Set(list)].join(' ');
}
