/**
 * Opens what `--accounts` needs: the identity store beside the content store
 * (SQLite in the data folder, or the PostgreSQL schema) and, with `oidc`,
 * the store of OIDC sign-ins in progress beside it; the password
 * threads, the token signing key (`<root>/auth/`), the htpasswd file as a
 * read-only source of users when given, and the first administrator when
 * there is none (password from PORTCULLIS_ADMIN_PASSWORD(_FILE), else
 * generated; `serve` shows a generated one once on stderr, never in the log).
 * Kept apart from open.ts so the wiring there stays a few lines.
 */
import { join } from 'node:path';
import type { RegistryPlugin } from '../app.js';
import { openIdentityStore, openOidcStateStore } from '../metadata/open-stores.js';
import type { OidcStateStore } from '../metadata/oidc-state-store.js';
import type { MetadataStore } from '../metadata/store.js';
import { apiPlugin } from '../api/v1/plugin.js';
import type { AuditLog } from '../api/v1/context.js';
import { clairCallbackPlugin } from '../webhooks/clair-route.js';
import type { WebhookService } from '../webhooks/service.js';
import { AccountsAccess, bootstrapAdmin } from './accounts.js';
import type { FailureLimits } from './failure-limiter.js';
import { readHtpasswd } from './htpasswd.js';
import type { OidcSignIn } from './oidc-accounts.js';
import { OidcRelyingParty } from './oidc-client.js';
import { OIDC_REDIRECT_PATH, type OidcSettings } from './oidc-settings.js';
import { LoginStates } from './oidc-states.js';
import { PasswordWorkerPool } from './password-pool.js';
import { tokenPlugin, TOKEN_PATH } from './token-endpoint.js';
import { loadTokenKeys } from './token-keys.js';
import { TokenService } from './tokens.js';

export interface AccountsSettings {
  /** The first administrator's password (PORTCULLIS_ADMIN_PASSWORD or its _FILE); generated when absent. */
  readonly adminPassword?: string;
  /** Access token lifetime (default 300 s). */
  readonly tokenTtlSeconds?: number;
  /** Sign-in through an OpenID Connect provider (the web UI's "Sign in with …"). */
  readonly oidc?: OidcSettings;
}

export interface OpenedAccounts {
  readonly access: AccountsAccess;
  /** With `settings.oidc`: what the UI's OIDC sign-in is built from. */
  readonly oidc?: OidcSignIn;
  /** Set when this start created the first administrator. */
  readonly admin?: { readonly user: string; readonly password: string; readonly generated: boolean };
  close(): Promise<void>;
}

export async function openAccounts(options: {
  readonly root: string;
  readonly metadataUrl?: string;
  readonly htpasswd?: string;
  readonly loginLimits?: Partial<FailureLimits>;
  readonly settings: AccountsSettings;
  /** `http(s)://host:port` as clients reach the registry (known once listening). */
  readonly publicUrl: () => string;
  /** The registry's public name: the tokens' audience. */
  readonly service: () => string;
}): Promise<OpenedAccounts> {
  const store = await openIdentityStore(options);
  const hasher = new PasswordWorkerPool();
  let oidcStates: OidcStateStore | undefined;
  try {
    const keys = await loadTokenKeys(join(options.root, 'auth'));
    const tokens = new TokenService(keys, {
      issuer: () => `${options.publicUrl()}${TOKEN_PATH}`,
      service: options.service,
      ...(options.settings.tokenTtlSeconds !== undefined ? { accessTtlSeconds: options.settings.tokenTtlSeconds } : {}),
    });
    const access = await AccountsAccess.create({
      store,
      tokens,
      hasher,
      realm: () => `${options.publicUrl()}${TOKEN_PATH}`,
      ...(options.htpasswd ? { htpasswd: await readHtpasswd(options.htpasswd) } : {}),
      ...(options.loginLimits ? { failures: options.loginLimits } : {}),
    });
    const admin = await bootstrapAdmin(store, hasher, options.settings.adminPassword);
    const oidcSettings = options.settings.oidc;
    const redirectUri = (): string => `${options.publicUrl()}${OIDC_REDIRECT_PATH}`;
    // Sign-ins in progress in the metadata store: the provider's callback may reach another process.
    if (oidcSettings) oidcStates = await openOidcStateStore(options);
    const oidc: OidcSignIn | undefined = oidcSettings && oidcStates
      ? { rp: new OidcRelyingParty(oidcSettings, redirectUri, new LoginStates(oidcStates)), accounts: { store, isHtpasswdUser: (name) => access.isHtpasswdUser(name) }, redirectUri }
      : undefined;
    return {
      access,
      ...(oidc ? { oidc } : {}),
      ...(admin ? { admin } : {}),
      async close() {
        await hasher.close();
        await oidcStates?.close();
        await store.close();
      },
    };
  } catch (error) {
    await hasher.close();
    await oidcStates?.close();
    await store.close();
    throw error;
  }
}

/** What the accounts API may carry beside users, projects, members and robots. */
export interface AccountPluginExtras {
  /** Project webhooks and Clair's notification callback. */
  readonly webhooks?: WebhookService;
  /** The audit log GET /api/v1/audit reads. */
  readonly audit?: AuditLog;
}

/** `/token` and `/api/v1/` (with project webhooks, Clair's notification callback and the audit log when given), for buildApp's plugins. */
export function accountPlugins(access: AccountsAccess, metadata: MetadataStore, extras: AccountPluginExtras = {}): RegistryPlugin[] {
  const { webhooks, audit } = extras;
  return [tokenPlugin(access), apiPlugin({ access, metadata, ...(webhooks ? { webhooks } : {}), ...(audit ? { audit } : {}) }), ...(webhooks ? [clairCallbackPlugin(webhooks)] : [])];
}
