/**
 * A registry with accounts, the admin API and the web UI with its forms
 * (`accounts.manage`), in process: real SQLite identity, webhook (a real
 * WebhookService, not started: deliveries are only queued) and audit
 * stores. Seeded through the admin API:
 *
 * - project `team` (private): alice admin, pia pull, pete push, dora delete;
 *   repository `team/app`;
 * - project `other` (carol admin): alice has no role there;
 * - dave: no role anywhere; admin: the registry administrator.
 *
 * `post` sends a form as a browser would (urlencoded, the session's cookie).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { auditPlugin } from '../../../src/server/audit/http.js';
import { AuditRecorder } from '../../../src/server/audit/recorder.js';
import { buildApp } from '../../../src/server/app.js';
import { newInternalToken, withInternalToken } from '../../../src/server/auth/internal-token.js';
import { accountPlugins, openAccounts } from '../../../src/server/auth/open-accounts.js';
import { silentLog, type RegistryLog } from '../../../src/server/log.js';
import { SqliteAuditStore } from '../../../src/server/metadata/audit-sqlite.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import type { RegistryServices } from '../../../src/server/services.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { uiPlugin } from '../../../src/server/ui/plugin.js';
import { openWebhooks, type OpenedWebhooks } from '../../../src/server/webhooks/open.js';
import { pushImage } from '../api/helpers.js';
import { ADMIN_PASSWORD, api, basic, SERVICE } from '../auth/accounts-registry.js';
import { signInAs } from './accounts-ui.js';

export const MANAGE_PASSWORDS = {
  admin: ADMIN_PASSWORD,
  alice: 'alice-password-0123',
  pia: 'pia-password-012345',
  pete: 'pete-password-01234',
  dora: 'dora-password-01234',
  carol: 'carol-password-0123',
  dave: 'dave-password-01234',
} as const;
export type ManageUser = keyof typeof MANAGE_PASSWORDS;

export interface ManageUi {
  readonly app: FastifyInstance;
  readonly webhooks: OpenedWebhooks;
  /** Stores what the request hook recorded. */
  settle(): Promise<void>;
  readonly audit: SqliteAuditStore;
  close(): Promise<void>;
}

async function ok(response: Promise<LightMyRequestResponse>, status: number): Promise<void> {
  const res = await response;
  if (res.statusCode !== status) throw new Error(`seed: ${res.statusCode} ${res.body}`);
}

export async function manageUi(options: { readonly log?: RegistryLog } = {}): Promise<ManageUi> {
  const root = await mkdtemp(join(tmpdir(), 'portcullis-ui-manage-'));
  const metadata = new SqliteMetadataStore(join(root, 'registry.sqlite'));
  const blobs = new FilesystemBlobStore(join(root, 'blobs'));
  const accounts = await openAccounts({ root, settings: { adminPassword: ADMIN_PASSWORD }, publicUrl: () => 'http://registry.test', service: () => SERVICE, loginLimits: { perUser: 1000, perAddress: 1000 } });
  const access = withInternalToken(accounts.access, newInternalToken());
  const webhooks = await openWebhooks({ root, publicName: () => SERVICE, publicUrl: () => 'http://registry.test', log: silentLog() });
  const store = new SqliteAuditStore(join(root, 'registry.sqlite'));
  const recorder = new AuditRecorder({ store, log: silentLog() });
  const audit = { store, flush: () => recorder.flush() };
  const services: RegistryServices = { blobs, metadata, auth: access };
  const ui = uiPlugin({
    metadata,
    blobs,
    auth: access,
    accounts: { store: accounts.access.store, audit, webhooks: webhooks.service.store, manage: { access: accounts.access, metadata, webhooks: webhooks.service, audit } },
  });
  const app = buildApp(services, { ...(options.log ? { log: options.log } : {}), plugins: [auditPlugin(recorder), ...accountPlugins(access, metadata, { audit, webhooks: webhooks.service }), ui] });
  await app.ready();

  const ADMIN = basic('admin', ADMIN_PASSWORD);
  for (const name of ['team', 'other']) await ok(api(app, 'POST', '/projects', ADMIN, { name }), 201);
  for (const name of ['alice', 'pia', 'pete', 'dora', 'carol', 'dave'] as const) await ok(api(app, 'POST', '/users', ADMIN, { name, password: MANAGE_PASSWORDS[name] }), 201);
  for (const [user, role] of [['alice', 'admin'], ['pia', 'pull'], ['pete', 'push'], ['dora', 'delete']] as const) await ok(api(app, 'PUT', `/projects/team/members/${user}`, ADMIN, { role }), 200);
  await ok(api(app, 'PUT', '/projects/other/members/carol', ADMIN, { role: 'admin' }), 200);
  await pushImage(app, 'team/app', 'v1', { headers: { authorization: ADMIN } });
  const settle = async (): Promise<void> => {
    await new Promise((resolve) => setImmediate(resolve));
    await recorder.flush();
  };
  await settle();
  return {
    app,
    webhooks,
    settle,
    audit: store,
    async close() {
      await app.close();
      await webhooks.close();
      await recorder.close();
      await store.close();
      await accounts.close();
      await metadata.close();
      await blobs.close();
    },
  };
}

export function signInManage(app: FastifyInstance, user: ManageUser): Promise<{ cookie: string; csrf: string }> {
  return signInAs(app, user, MANAGE_PASSWORDS[user]);
}

/** A form posted as a browser posts it; `session` absent: anonymous. */
export function post(app: FastifyInstance, url: string, session: { cookie: string } | undefined, fields: ReadonlyArray<readonly [string, string]>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const body = new URLSearchParams();
  for (const [key, value] of fields) body.append(key, value);
  return app.inject({ method: 'POST', url, payload: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...(session ? { cookie: session.cookie } : {}), ...headers } });
}

/** The registry of a manage-*.test.ts file and every user's session, signed in once before its tests. */
export class SignedInManageUi {
  ui!: ManageUi;
  readonly sessions = new Map<ManageUser, { cookie: string; csrf: string }>();
}

/** Registers the file's before/after hooks: one registry, every MANAGE_PASSWORDS user signed in, closed at the end. */
export function signedInManageUi(): SignedInManageUi {
  const fx = new SignedInManageUi();
  before(async () => {
    fx.ui = await manageUi();
    for (const user of Object.keys(MANAGE_PASSWORDS) as ManageUser[]) fx.sessions.set(user, await signInManage(fx.ui.app, user));
  });
  after(async () => {
    await fx.ui?.close();
  });
  return fx;
}
