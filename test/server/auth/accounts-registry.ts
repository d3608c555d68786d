/**
 * A registry with accounts for in-process tests: the real pieces `serve
 * --accounts` opens (openAccounts: SQLite identity store, password threads,
 * token key in a temp data folder, wrapped with the internal token as
 * open.ts wraps it), built with buildApp and driven by
 * `inject`. The public URL is http://registry.test, the service registry.test.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type RegistryPlugin } from '../../../src/server/app.js';
import type { AccountsAccess } from '../../../src/server/auth/accounts.js';
import type { FailureLimits } from '../../../src/server/auth/failure-limiter.js';
import { newInternalToken, withInternalToken } from '../../../src/server/auth/internal-token.js';
import { accountPlugins, openAccounts, type OpenedAccounts } from '../../../src/server/auth/open-accounts.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import type { RegistryEvents, RegistryServices } from '../../../src/server/services.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';

export const SERVICE = 'registry.test';
export const REALM = 'http://registry.test/token';
export const ADMIN_PASSWORD = 'admin-password-0123';

export interface AccountsRegistry {
  readonly app: FastifyInstance;
  readonly accounts: OpenedAccounts;
  readonly services: RegistryServices;
  readonly root: string;
  close(): Promise<void>;
}

export interface AccountsRegistryOptions {
  readonly tokenTtlSeconds?: number;
  readonly root?: string;
  /** Failed-login limits (default: high enough never to refuse). */
  readonly loginLimits?: Partial<FailureLimits>;
  /** The plugins to mount (default: accountPlugins, /token and /api/v1/); called once the accounts are open. */
  readonly plugins?: (access: AccountsAccess, services: RegistryServices) => RegistryPlugin[] | Promise<RegistryPlugin[]>;
  /** What the registry tells of pushes and deletes (webhooks, as open.ts wires them). */
  readonly events?: RegistryEvents;
}

export async function accountsRegistry(options: AccountsRegistryOptions = {}): Promise<AccountsRegistry> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'portcullis-accounts-')));
  const metadata = new SqliteMetadataStore(join(root, 'registry.sqlite'));
  const accounts = await openAccounts({
    root,
    settings: { adminPassword: ADMIN_PASSWORD, ...(options.tokenTtlSeconds !== undefined ? { tokenTtlSeconds: options.tokenTtlSeconds } : {}) },
    publicUrl: () => 'http://registry.test',
    service: () => SERVICE,
    loginLimits: { perUser: 1000, perAddress: 1000, ...options.loginLimits },
  });
  // Wrapped as open.ts wraps it (the registry's own loopback credentials), so every test goes through the proxy.
  const access = withInternalToken(accounts.access, newInternalToken());
  const services: RegistryServices = { blobs: new FilesystemBlobStore(join(root, 'blobs')), metadata, auth: access, ...(options.events ? { events: options.events } : {}) };
  const app = buildApp(services, { plugins: options.plugins ? await options.plugins(access, services) : accountPlugins(access, metadata) });
  await app.ready();
  return {
    app,
    accounts,
    services,
    root,
    async close() {
      await app.close();
      await accounts.close();
      await metadata.close();
      await services.blobs.close();
    },
  };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** A token from GET /token for these scopes, with Basic credentials (or anonymous). */
export async function tokenFor(app: FastifyInstance, credentials: string | undefined, scopes: string[]): Promise<string> {
  const query = new URLSearchParams({ service: SERVICE });
  for (const s of scopes) query.append('scope', s);
  const res = await app.inject({ method: 'GET', url: `/token?${query.toString()}`, headers: credentials ? { authorization: credentials } : {} });
  if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`);
  return (JSON.parse(res.body) as { token: string }).token;
}

/** The claims of a JWT, unverified (for assertions). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function api(app: FastifyInstance, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, authorization: string | undefined, body?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(authorization ? { authorization } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
}
