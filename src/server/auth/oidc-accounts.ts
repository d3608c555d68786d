/**
 * Which account an OIDC sign-in opens. An account is bound to the
 * provider's (issuer, `sub`) when it is made, never to a name (the identity
 * store's `oidc_links`):
 * - a known (issuer, sub) opens its account, whatever the username claim
 *   says now: a user renamed at the provider keeps their account;
 * - an unknown one gets a new account named from the username claim
 *   (`oidc.autoOnboard`), unless that name is taken — by a local account
 *   (`admin`), an htpasswd user, or another subject's account. A provider
 *   where anyone may pick their `preferred_username` must never sign
 *   someone in as the registry's `admin`: the sign-in is refused and says
 *   why, and an administrator decides;
 * - with `oidc.adminGroup`, the provider's groups claim decides the
 *   registry administrator role at every sign-in (given, or taken back
 *   unless it is the last administrator's, as the admin API refuses too).
 *
 * OIDC accounts have no password: their stored hash is `OIDC_NO_PASSWORD`,
 * which no password can match (accounts.ts checks their CLI secret
 * instead). Roles in projects are given to their name like any user's.
 */
import type { IdentityStore } from '../metadata/identity-store.js';
import { OidcFailure, type OidcIdentity, type OidcRelyingParty } from './oidc-client.js';
import type { OidcSettings } from './oidc-settings.js';
import { isUserName, type Principal } from './principal.js';
import { hashRobotSecret, newRobotSalt, newRobotSecret } from './robot-secrets.js';

/** The stored "hash" of an account that signs in through a provider: not a PHC string nor bcrypt, so no password verifies against it. */
export const OIDC_NO_PASSWORD = '!oidc';

export interface OidcAccountDeps {
  readonly store: Pick<IdentityStore, 'getOidcLink' | 'getOidcLinkOf' | 'getUser' | 'createOidcUser' | 'setAdmin' | 'removeUnlessLastAdmin' | 'setCliSecret'>;
  /** True when `name` is an htpasswd user (AccountsAccess.isHtpasswdUser). */
  readonly isHtpasswdUser: (name: string) => boolean;
  readonly now?: () => Date;
}

/** What the UI's OIDC routes are built from (open-accounts.ts makes it). */
export interface OidcSignIn {
  readonly rp: OidcRelyingParty;
  readonly accounts: OidcAccountDeps;
  /** `<public URL>/ui/oidc/callback`: the redirect URI registered at the provider. */
  readonly redirectUri: () => string;
}

export interface OidcSignedIn {
  readonly principal: Principal & { readonly kind: 'user' };
  /** This sign-in made the account. */
  readonly created: boolean;
  /** The administrator role was given (true) or taken (false) by the groups claim at this sign-in. */
  readonly adminChanged?: boolean;
}

/** The account `identity` opens (made at the first sign-in), or an OidcFailure. */
export async function accountFor(deps: OidcAccountDeps, settings: OidcSettings, identity: OidcIdentity): Promise<OidcSignedIn> {
  const inGroup = adminByGroup(settings, identity.claims);
  const link = await deps.store.getOidcLink(identity.issuer, identity.subject);
  if (link) {
    const account = await deps.store.getUser(link.user);
    if (!account) throw new OidcFailure('account-gone', 'Your account was removed from this registry.');
    if (inGroup === undefined || inGroup === account.admin) return { principal: { kind: 'user', name: account.name, admin: account.admin, via: 'password' }, created: false };
    if (inGroup) {
      await deps.store.setAdmin(account.name, true);
      return { principal: { kind: 'user', name: account.name, admin: true, via: 'password' }, created: false, adminChanged: true };
    }
    // The last administrator keeps the role, as the admin API would refuse to take it.
    const demoted = (await deps.store.removeUnlessLastAdmin(account.name, 'demote')) === 'done';
    return { principal: { kind: 'user', name: account.name, admin: !demoted, via: 'password' }, created: false, ...(demoted ? { adminChanged: false } : {}) };
  }
  if (!settings.autoOnboard) throw new OidcFailure('not-onboarded', 'You have no account on this registry yet: ask an administrator.');
  const claimed = identity.claims[settings.usernameClaim];
  if (typeof claimed !== 'string' || !isUserName(claimed)) {
    throw new OidcFailure('name-invalid', `The identity provider gave no usable user name (claim "${settings.usernameClaim}": letters, digits and ._-@, at most 64): ask an administrator.`);
  }
  const taken = (): OidcFailure => new OidcFailure('name-taken', `The user name "${claimed}" belongs to another account of this registry: you cannot sign in as it with your identity provider. Ask an administrator.`);
  if (deps.isHtpasswdUser(claimed) || (await deps.store.getUser(claimed))) throw taken();
  const at = (deps.now?.() ?? new Date()).toISOString();
  const admin = inGroup === true;
  const created = await deps.store.createOidcUser({ name: claimed, passwordHash: OIDC_NO_PASSWORD, admin, createdAt: at, passwordChangedAt: at }, identity.issuer, identity.subject);
  if (!created) {
    // A concurrent first sign-in of the same subject made it: use that one, never another name's.
    const now = await deps.store.getOidcLink(identity.issuer, identity.subject);
    const account = now ? await deps.store.getUser(now.user) : undefined;
    if (!account) throw taken();
    return { principal: { kind: 'user', name: account.name, admin: account.admin, via: 'password' }, created: false };
  }
  return { principal: { kind: 'user', name: claimed, admin, via: 'password' }, created: true };
}

/** With `adminGroup`: whether the groups claim lists it (a claim that is not a list of strings: no). Undefined without it. */
function adminByGroup(settings: OidcSettings, claims: Readonly<Record<string, unknown>>): boolean | undefined {
  if (!settings.adminGroup || !settings.groupsClaim) return undefined;
  const groups = claims[settings.groupsClaim];
  return Array.isArray(groups) && groups.length <= 10_000 && groups.some((g) => g === settings.adminGroup);
}

/**
 * A new CLI secret for the OIDC account `user` (the old one stops at once, and so do refresh tokens
 * and UI sessions opened before: the account's passwordChangedAt moves), returned to be shown once;
 * undefined when `user` has no binding.
 */
export async function newCliSecret(store: Pick<IdentityStore, 'setCliSecret'>, user: string, now = new Date()): Promise<string | undefined> {
  const secret = newRobotSecret();
  const salt = newRobotSalt();
  return (await store.setCliSecret(user, hashRobotSecret(secret, salt), salt, now.toISOString())) ? secret : undefined;
}
