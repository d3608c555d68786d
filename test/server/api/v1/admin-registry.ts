/**
 * A registry with the admin API mounted as `serve` mounts it
 * (adminApiPlugins: /api/v1/gc, and /token and the accounts API with
 * --accounts, with project webhooks and the audit log as open.ts opens them
 * — webhooks told of pushes and deletes, audit events recorded by the
 * request hook and kept in the store — and the OpenAPI document), in one of the three
 * authentication modes, driven by `inject`; and every route it registered
 * (an onRoute hook mounted before the rest), for the route-coverage test.
 */
import type { IdentityStore } from '../../../../src/server/metadata/identity-store.js';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import type { FastifyInstance } from 'fastify';
import { adminApiPlugins } from '../../../../src/server/api/v1/admin-plugins.js';
import { openAudit, type OpenedAudit } from '../../../../src/server/audit/open.js';
import type { OpenApiDocument } from '../../../../src/server/api/v1/openapi/document.js';
import type { AuthMode } from '../../../../src/server/api/v1/openapi/types.js';
import { buildApp, type RegistryPlugin } from '../../../../src/server/app.js';
import { GcService } from '../../../../src/server/gc/index.js';
import type { GcStores } from '../../../../src/server/gc/collector.js';
import { silentLog } from '../../../../src/server/log.js';
import { SqliteMetadataStore } from '../../../../src/server/metadata/sqlite.js';
import type { FailureLimits } from '../../../../src/server/auth/failure-limiter.js';
import { HtpasswdAuthenticator } from '../../../../src/server/auth/htpasswd.js';
import type { RegistryEvents, RegistryServices } from '../../../../src/server/services.js';
import { FilesystemBlobStore } from '../../../../src/server/storage/filesystem.js';
import { openWebhooks, type OpenedWebhooks } from '../../../../src/server/webhooks/open.js';
import type { WebhookService } from '../../../../src/server/webhooks/service.js';
import { REPO_ROOT } from '../../../support/paths.js';
import { accountsRegistry } from '../../auth/accounts-registry.js';

export interface AdminRegistry {
  readonly app: FastifyInstance;
  readonly services: RegistryServices;
  /** `METHOD url` of every route registered, HEAD included. */
  readonly routes: readonly string[];
  /** The document as the server serves it. */
  readonly doc: OpenApiDocument;
  /** With accounts: the project webhooks (never started: deliveries stay pending) and the audit log. */
  readonly webhooks?: WebhookService;
  readonly audit?: OpenedAudit;
  /** With accounts: the identity store, to make what no API request makes (an OpenID Connect account). */
  readonly identity?: IdentityStore;
  close(): Promise<void>;
}

export interface AdminRegistryOptions {
  readonly loginLimits?: Partial<FailureLimits>;
  /** Another gc service (one that fails). */
  readonly gc?: (stores: GcStores) => GcService;
}

export const HTPASSWD_CHALLENGE = 'Basic realm="portcullis"';
/** With --htpasswd: the one user of the file (every htpasswd user is an administrator). */
export const HTPASSWD_USER = { name: 'operator', password: 'operator-password-1' };

export async function packageJsonVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export async function adminRegistry(mode: AuthMode, options: AdminRegistryOptions = {}): Promise<AdminRegistry> {
  const version = await packageJsonVersion();
  const routes: string[] = [];
  const collect: RegistryPlugin = (app) => {
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
    });
  };
  const gcOf = (services: RegistryServices): GcService =>
    options.gc?.({ blobs: services.blobs, metadata: services.metadata }) ?? new GcService({ stores: { blobs: services.blobs, metadata: services.metadata }, log: silentLog(), intervalMs: 0, defaults: { graceMs: 0 } });
  let app: FastifyInstance;
  let services: RegistryServices;
  let close: () => Promise<void>;
  let extras: { webhooks?: WebhookService; audit?: OpenedAudit; identity?: IdentityStore } = {};
  if (mode === 'accounts') {
    const root = await mkdtemp(join(tmpdir(), 'portcullis-admin-api-'));
    const log = silentLog();
    const audit = await openAudit({ root, log }, { keep: true });
    // Webhooks open after the accounts (their tables refer to the projects), as in open.ts: the registry's events reach them once they are.
    let opened: OpenedWebhooks | undefined;
    const events: RegistryEvents = {
      manifestPushed: (record, tag, who) => opened?.service.manifestPushed(record, tag, who),
      manifestDeleted: (repository, digest, who) => opened?.service.manifestDeleted(repository, digest, who),
      tagDeleted: (repository, tag, digest, who) => opened?.service.tagDeleted(repository, tag, digest, who),
      pullDenied: (record, decision, tag, who) => opened?.service.pullDenied(record, decision, tag, who),
    };
    const r = await accountsRegistry({
      root,
      events,
      ...(options.loginLimits ? { loginLimits: options.loginLimits } : {}),
      plugins: async (access, s) => {
        // Targets on loopback are allowed (tests name 127.0.0.1); the dispatcher is not started, so nothing is sent.
        opened = await openWebhooks({ root, settings: { allowedNetworks: ['loopback'] }, publicName: () => 'registry.test', publicUrl: () => 'http://registry.test', log });
        const accounts = { access, metadata: s.metadata, webhooks: opened.service, ...(audit.log ? { audit: audit.log } : {}) };
        return [collect, audit.plugin, ...adminApiPlugins({ gc: gcOf(s), auth: access, accounts, version })];
      },
    });
    ({ app, services } = r);
    extras = { ...(opened ? { webhooks: opened.service } : {}), audit, identity: r.accounts.access.store };
    close = async () => {
      await r.close();
      await opened?.close();
      await audit.close();
    };
  } else {
    const root = await mkdtemp(join(tmpdir(), 'portcullis-admin-api-'));
    const auth = mode === 'htpasswd' ? new HtpasswdAuthenticator(new Map([[HTPASSWD_USER.name, bcrypt.hashSync(HTPASSWD_USER.password, 4)]]), options.loginLimits ? { failures: options.loginLimits } : {}) : undefined;
    services = { blobs: new FilesystemBlobStore(join(root, 'blobs')), metadata: new SqliteMetadataStore(join(root, 'registry.sqlite')), ...(auth ? { auth } : {}) };
    const built = buildApp(services, { plugins: [collect, ...adminApiPlugins({ gc: gcOf(services), ...(auth ? { auth } : {}), version })] });
    await built.ready();
    app = built;
    const s = services;
    close = async () => {
      await built.close();
      await s.metadata.close();
      await s.blobs.close();
      await auth?.close();
    };
  }
  const served = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  if (served.statusCode !== 200) throw new Error(`openapi.json: ${served.statusCode} ${served.body}`);
  return { app, services, routes, doc: JSON.parse(served.body) as OpenApiDocument, ...extras, close };
}
