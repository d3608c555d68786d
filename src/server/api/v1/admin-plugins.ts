/**
 * The routes of the admin API as `serve` mounts them, in one place so that
 * the server (open.ts) and the tests that check the OpenAPI document against
 * the routes (test/server/api/v1/) build the same thing: `/api/v1/gc` in
 * every mode; `/token` and the accounts API with `--accounts` (project
 * webhooks and the audit log too, when the server has them); and the
 * OpenAPI document of exactly those, with the security the server uses.
 */
import type { RegistryPlugin } from '../../app.js';
import type { AccountsAccess } from '../../auth/accounts.js';
import { accountPlugins, type AccountPluginExtras } from '../../auth/open-accounts.js';
import type { GcService } from '../../gc/index.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { AccessControl } from '../../services.js';
import { gcApiPlugin } from './gc.js';
import { openApiPlugin } from './openapi/route.js';
import type { AuthMode } from './openapi/types.js';

export interface AdminApiOptions {
  readonly gc: GcService;
  /** The server's authentication, when it has one (htpasswd, or the accounts' access). */
  readonly auth?: AccessControl;
  /** With `--accounts`. */
  readonly accounts?: { readonly access: AccountsAccess; readonly metadata: MetadataStore } & AccountPluginExtras;
  /** The package version, for the document's info.version. */
  readonly version: string;
}

export function adminApiPlugins(options: AdminApiOptions): RegistryPlugin[] {
  const mode: AuthMode = options.accounts ? 'accounts' : options.auth ? 'htpasswd' : 'none';
  return [
    gcApiPlugin({ gc: options.gc, ...(options.auth ? { auth: options.auth } : {}) }),
    ...(options.accounts ? accountPlugins(options.accounts.access, options.accounts.metadata, options.accounts) : []),
    openApiPlugin({ mode, version: options.version }),
  ];
}
