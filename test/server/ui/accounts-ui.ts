/**
 * A registry with accounts and the web UI, in process: the token service
 * and admin API (accountPlugins), the audit log recorded by the request
 * hook into a real SQLite audit store, and the UI given the identity store,
 * the audit log, webhooks (a store double holding one webhook whose URL
 * carries credentials and a query-string secret) and a scan service double
 * that records what "Scan now" queued. Seeded through the admin API and
 * /v2/ as a client would:
 *
 * - project `team` (private): alice admin, bob pull; robot `ci` (secret kept
 *   in `robotSecret`); repository `team/app` tag v1;
 * - project `pub` (public), project `other` with `other/lib` (carol admin);
 * - dave: no role anywhere;
 * - a failed login with a hostile user name (audit: rendered as text).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCookies } from 'cookie';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { auditPlugin } from '../../../src/server/audit/http.js';
import { AuditRecorder } from '../../../src/server/audit/recorder.js';
import { buildApp } from '../../../src/server/app.js';
import { newInternalToken, withInternalToken } from '../../../src/server/auth/internal-token.js';
import { accountPlugins, openAccounts, type OpenedAccounts } from '../../../src/server/auth/open-accounts.js';
import { silentLog } from '../../../src/server/log.js';
import { SqliteAuditStore } from '../../../src/server/metadata/audit-sqlite.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import type { DeliveryRecord, WebhookRecord } from '../../../src/server/metadata/webhook-store.js';
import type { RegistryServices } from '../../../src/server/services.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { uiPlugin } from '../../../src/server/ui/plugin.js';
import { pushImage } from '../api/helpers.js';
import { ADMIN_PASSWORD, api, basic, SERVICE } from '../auth/accounts-registry.js';

export const PASSWORDS = { admin: ADMIN_PASSWORD, alice: 'alice-password-0123', bob: 'bob-password-01234', carol: 'carol-password-0123', dave: 'dave-password-01234' } as const;
export type UserName = keyof typeof PASSWORDS;
export const HOSTILE_USER = '<script>alert("x")</script>\u202e';
export const WEBHOOK_SECRET_PARAM = 'token=hook-query-secret-42';
export const WEBHOOK_URL = `https://hookuser:hookpass@hooks.example/deliver/here?${WEBHOOK_SECRET_PARAM}#frag`;

export interface AccountsUi {
  readonly app: FastifyInstance;
  /** team/app:v1 */
  readonly digest: string;
  readonly robotSecret: string;
  /** What "Scan now" queued, in order. */
  readonly rescans: Array<{ repository: string; digest: string }>;
  /** Stores what the request hook recorded. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

async function ok(response: Promise<LightMyRequestResponse>, status: number): Promise<LightMyRequestResponse> {
  const res = await response;
  if (res.statusCode !== status) throw new Error(`seed: ${res.statusCode} ${res.body}`);
  return res;
}

const WEBHOOK: WebhookRecord = {
  id: 'wh-1',
  project: 'team',
  url: WEBHOOK_URL,
  events: ['push', 'scan.completed'],
  format: 'portcullis',
  sealedSecret: 'sealed-secret-never-shown',
  description: 'CI trigger',
  enabled: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const DELIVERY: DeliveryRecord = {
  id: 'd-1',
  webhookId: 'wh-1',
  project: 'team',
  event: 'push',
  eventId: 'e-1',
  body: '{"secret-body":"never-shown"}',
  state: 'failed',
  attempts: 3,
  nextAttemptAt: '2026-01-01T00:00:00.000Z',
  responseStatus: 502,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
};

export async function accountsUi(): Promise<AccountsUi> {
  const root = await mkdtemp(join(tmpdir(), 'portcullis-ui-accounts-'));
  const metadata = new SqliteMetadataStore(join(root, 'registry.sqlite'));
  const blobs = new FilesystemBlobStore(join(root, 'blobs'));
  const accounts: OpenedAccounts = await openAccounts({ root, settings: { adminPassword: ADMIN_PASSWORD }, publicUrl: () => 'http://registry.test', service: () => SERVICE, loginLimits: { perUser: 1000, perAddress: 1000 } });
  const access = withInternalToken(accounts.access, newInternalToken());
  const store = new SqliteAuditStore(join(root, 'registry.sqlite'));
  const recorder = new AuditRecorder({ store, log: silentLog() });
  const audit = { store, flush: () => recorder.flush() };
  const rescans: Array<{ repository: string; digest: string }> = [];
  const services: RegistryServices = { blobs, metadata, auth: access };
  const ui = uiPlugin({
    metadata,
    blobs,
    auth: access,
    accounts: {
      store: accounts.access.store,
      audit,
      webhooks: { listWebhooks: async (project) => (project === 'team' ? [WEBHOOK] : []), listDeliveries: async (id) => (id === WEBHOOK.id ? [DELIVERY] : []) },
    },
    scans: { rescan: async (repository, digest) => void rescans.push({ repository, digest }) },
  });
  const app = buildApp(services, { plugins: [auditPlugin(recorder), ...accountPlugins(access, metadata, { audit }), ui] });
  await app.ready();

  const ADMIN = basic('admin', ADMIN_PASSWORD);
  for (const name of ['team', 'other']) await ok(api(app, 'POST', '/projects', ADMIN, { name }), 201);
  await ok(api(app, 'POST', '/projects', ADMIN, { name: 'pub', public: true }), 201);
  for (const name of ['alice', 'bob', 'carol', 'dave'] as const) await ok(api(app, 'POST', '/users', ADMIN, { name, password: PASSWORDS[name] }), 201);
  await ok(api(app, 'PUT', '/projects/team/members/alice', ADMIN, { role: 'admin' }), 200);
  await ok(api(app, 'PUT', '/projects/team/members/bob', ADMIN, { role: 'pull' }), 200);
  await ok(api(app, 'PUT', '/projects/other/members/carol', ADMIN, { role: 'admin' }), 200);
  await ok(api(app, 'PUT', '/projects/team/settings', ADMIN, { quota: '10GiB', untaggedRetention: '3d', retention: [{ tags: 'v*', keepLast: 5 }, { tags: '<b>*', keepYoungerThan: '30d' }] }), 400);
  await ok(api(app, 'PUT', '/projects/team/settings', ADMIN, { quota: '10GiB', untaggedRetention: '3d', retention: [{ tags: 'v*', keepLast: 5 }] }), 200);
  const robot = await ok(api(app, 'POST', '/projects/team/robots', basic('alice', PASSWORDS.alice), { name: 'ci', actions: ['pull', 'push'], description: 'the <b>CI</b> robot' }), 201);
  const robotSecret = (JSON.parse(robot.body) as { secret: string }).secret;
  const { digest } = await pushImage(app, 'team/app', 'v1', { headers: { authorization: ADMIN } });
  await pushImage(app, 'other/lib', '1', { headers: { authorization: ADMIN } });
  await ok(app.inject({ method: 'GET', url: '/v2/team/app/manifests/v1', headers: { authorization: basic(HOSTILE_USER, 'wrong-password') } }), 401);
  const settle = async (): Promise<void> => {
    await new Promise((resolve) => setImmediate(resolve));
    await recorder.flush();
  };
  await settle();
  return {
    app,
    digest,
    robotSecret,
    rescans,
    settle,
    async close() {
      await app.close();
      await recorder.close();
      await store.close();
      await accounts.close();
      await metadata.close();
      await blobs.close();
    },
  };
}

/** A signed-in UI session by the sign-in form: the cookie header to send, and the session's form token. */
export function signIn(app: FastifyInstance, user: UserName): Promise<{ cookie: string; csrf: string }> {
  return signInAs(app, user, PASSWORDS[user]);
}

/** The same, for a user and password of the caller's choosing. */
export async function signInAs(app: FastifyInstance, user: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const form = await app.inject({ method: 'GET', url: '/ui/login' });
  const loginToken = cookieValue(form, 'portcullis_login');
  const res = await app.inject({
    method: 'POST',
    url: '/ui/login',
    payload: new URLSearchParams({ csrf: loginToken, next: '/ui/', username: user, password }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portcullis_login=${loginToken}` },
  });
  if (res.statusCode !== 303) throw new Error(`sign-in of ${user}: ${res.statusCode}`);
  const cookie = `portcullis_session=${cookieValue(res, 'portcullis_session')}`;
  const page = await app.inject({ method: 'GET', url: '/ui/', headers: { cookie } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!csrf) throw new Error('no sign-out form token');
  return { cookie, csrf };
}

function cookieValue(res: LightMyRequestResponse, name: string): string {
  const header = res.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const line of lines) {
    const value = parseCookies(line)[name];
    if (value) return value;
  }
  throw new Error(`no ${name} cookie`);
}
