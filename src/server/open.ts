/**
 * Turns a RegistryConfig into a running registry: storage and metadata
 * drivers, authentication (htpasswd, or accounts with token auth), the purge
 * of abandoned uploads, garbage collection (scheduled, and its admin API),
 * the scan service, webhooks (with accounts),
 * the pull policy (with signature checks against the registry itself), the
 * Notary trust service, the UI and metrics, the audit log, then listens. `close` stops them
 * in the reverse order, after the scans in flight finish. With several processes on one
 * PostgreSQL database, `role` says whether this one takes scans from the shared queue (a
 * `worker` answers no clients: worker-gate.ts), and the scheduled jobs (gc, upload purge, database pull) run under singleton locks.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectoryLayerCache } from '../engine/layer-cache.js';
import type { RegistryPlugin } from './app.js';
import { ManifestClassifier } from './artifact.js';
import type { RegistryConfig } from './config.js';
import { openExclusiveLocks, openInventoryStore, openMetadataStore, openScanQueueStore, openSessionStore } from './metadata/open-stores.js';
import { Singletons } from './singletons.js';
import { testGate } from './test-gate.js';
import { workerGatePlugin } from './worker-gate.js';
import { Metrics, metricsPlugin, storeGauges } from './metrics.js';
import { ScanService } from './scan/service.js';
import { DbPuller } from './scan/db-pull.js';
import { startServer } from './listen.js';
import type { OpenedNotary } from './notary/index.js';
import type { AccessControl, RegistryEvents, RegistryServices } from './services.js';
import type { BlobStore } from './storage/blob-store.js';
import { FilesystemBlobStore } from './storage/filesystem.js';
import { healthPlugin, readinessChecker } from './health.js';
import { openLiveParts } from './live-config.js';
import { openInvalidationBus } from './invalidation.js';
import { signatureChanges } from './signature-check.js';
import { reloader, type ReloadResult } from './reload.js';
import { startMetricsListener } from './metrics-listener.js';
import { UploadPurger } from './upload-purge.js';
import { UploadSessions } from './upload-sessions.js';
import { newInternalToken, withInternalToken } from './auth/internal-token.js';
import { openAccounts, type OpenedAccounts } from './auth/open-accounts.js';
import { GcService, StoredProjectSettings } from './gc/index.js';
import { adminApiPlugins } from './api/v1/admin-plugins.js';
import { packageVersion } from './api/v1/openapi/package-version.js';
import { openAudit } from './audit/open.js';
import { openWebhooks, type OpenedWebhooks } from './webhooks/open.js';
import type { WebhookService } from './webhooks/service.js';

export interface RunningRegistry {
  readonly url: string;
  readonly port: number;
  readonly services: RegistryServices;
  readonly scanner?: ScanService;
  readonly gc: GcService;
  /** With accounts: project webhooks (told every RegistryEvents event). */
  readonly webhooks?: WebhookService;
  /** With `metricsAddr`: where `/metrics` is served. */
  readonly metricsUrl?: string;
  /**
   * Reads the configuration again and applies what can change without a
   * restart (reload.ts); SIGHUP calls it, and so may an admin API. Never
   * throws: a configuration that cannot be read or applied is logged and the
   * running one kept.
   */
  reload(): Promise<ReloadResult>;
  /** With accounts: the first administrator, when this start created it (a generated password is shown once by `serve`). */
  readonly admin?: OpenedAccounts['admin'];
  close(): Promise<void>;
}

/** The blob store a configuration names (also what `portcullis registry gc` opens offline); corrupt S3 objects found by reads are logged. */
export async function openBlobStore(config: Pick<RegistryConfig, 'root' | 'storage'> & { readonly log?: RegistryConfig['log'] }): Promise<BlobStore> {
  if (config.storage.kind === 'filesystem') return new FilesystemBlobStore(join(config.root, 'blobs'));
  const { S3BlobStore } = await import('./storage/s3.js');
  const s3 = config.storage;
  return S3BlobStore.open({
    bucket: s3.bucket,
    prefix: s3.prefix,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: s3.forcePathStyle,
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    ...(s3.redirect ? { redirectSeconds: 20 * 60 } : {}),
    onCorrupt: (blob) => config.log?.error({ event: 'blob.corrupt', blob: blob.digest, key: blob.key, actual: blob.actual, size: blob.size }, `blob ${blob.digest} in S3 does not match its digest (got ${blob.actual}): not served`),
  });
}

async function openNotary(config: RegistryConfig): Promise<OpenedNotary | undefined> {
  if (!config.notary) return undefined;
  const { openNotaryService } = await import('./notary/index.js');
  return openNotaryService({
    root: config.root,
    metadataUrl: config.metadataUrl,
    keyEncryptionKey: config.notaryKeyEncryption?.key,
    keyEncryptionKeyFile: config.notaryKeyEncryption?.file,
    onImported: (i) => config.log.warn({ event: 'notary.imported', path: i.path, files: i.files, keys: i.keys }, `imported the Notary data of ${i.path} (${i.files} files, ${i.keys} keys sealed) and deleted it`),
  });
}

export async function startRegistry(config: RegistryConfig): Promise<RunningRegistry> {
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close().catch((e: unknown) => config.log.error({ event: 'error', err: e }, 'error while closing'));
  };
  try {
    const blobs = await openBlobStore(config);
    closers.push(() => blobs.close());
    const metadata = await openMetadataStore(config);
    closers.push(() => metadata.close());
    // One process of the registry at a time runs each scheduled job; `PORTCULLIS_TEST_GATE` holds them (tests only).
    const gate = testGate();
    const singletons = new Singletons(await openExclusiveLocks(config), config.log, gate);
    closers.push(() => singletons.close());
    const takesScans = config.role !== 'api';
    // A worker answers operators only (worker-gate.ts): no /v2, admin API, /token or UI on its listener.
    const answersClients = config.role !== 'worker';
    const servesUi = config.ui && answersClients;
    // A worker without --metrics-addr serves /metrics on its listener: it has no UI, and the operator needs them.
    const metricsOnListener = answersClients ? servesUi && !config.metricsAddr : !config.metricsAddr;

    let selfAddress = `127.0.0.1:${config.port}`;
    // Until it listens, the port may be 0 (any free port); names use the real one.
    let publicName = config.publicName ?? `${config.host}:${config.port}`;
    // Accounts (--accounts): the token flow's realm and audience are the public URL and name, known once listening.
    let accounts: OpenedAccounts | undefined;
    if (config.accounts) {
      accounts = await openAccounts({
        root: config.root,
        ...(config.metadataUrl ? { metadataUrl: config.metadataUrl } : {}),
        ...(config.htpasswd ? { htpasswd: config.htpasswd } : {}),
        ...(config.loginLimits ? { loginLimits: config.loginLimits } : {}),
        settings: config.accounts,
        publicUrl: () => `${config.tls ? 'https' : 'http'}://${publicName}`,
        service: () => publicName,
      });
      const opened = accounts;
      closers.push(() => opened.close());
    }
    const uploads = new UploadSessions();
    const purger = new UploadPurger({ blobs, sessions: uploads, log: config.log, singletons, ...(config.uploadPurgeAgeMs !== undefined ? { ageMs: config.uploadPurgeAgeMs } : {}) });
    purger.start();
    closers.push(() => purger.stop());
    const classifier = new ManifestClassifier(blobs);
    let scanner: ScanService | undefined;
    const metrics = new Metrics({ source: storeGauges(metadata, config.scan ? () => scanner : undefined) });
    // Before webhooks, gc and the server: closed after them, so their last events are stored.
    const audit = await openAudit(config, { keep: accounts !== undefined, onDropped: (count) => metrics.countAuditDropped(count) });
    closers.push(() => audit.close());
    // Webhooks belong to projects: with accounts only (webhooks/open.ts).
    let webhooks: OpenedWebhooks | undefined;
    if (accounts) {
      webhooks = await openWebhooks({
        root: config.root,
        ...(config.metadataUrl ? { metadataUrl: config.metadataUrl } : {}),
        ...(config.webhooks ? { settings: config.webhooks } : {}),
        publicName: () => publicName,
        publicUrl: () => `${config.tls ? 'https' : 'http'}://${publicName}`,
        onAttempt: (event, outcome) => metrics.countWebhookDelivery(event, outcome),
        log: config.log,
      });
      const opened = webhooks;
      closers.push(() => opened.close());
    }
    const hooks = webhooks?.service;
    // The registry's own credentials for the signature checks it makes over loopback.
    const internalToken = newInternalToken();
    // Users (htpasswd), pull policy and upload caps: what a reload changes (live-config.ts). Accounts live in the store.
    // Quotas, retention and project thresholds: with accounts, what project admins stored through the API over the operator's file (read at every push, pull and run).
    const projectSettings = accounts ? new StoredProjectSettings(accounts.access.store, config.projectSettings) : config.projectSettings;
    // Before the live parts: the signature check reads the registry's own Notary data.
    const notary = await openNotary(config);
    if (notary) closers.push(() => notary.close());
    // Cached signature answers are forgotten in every process on a change (invalidation.ts: LISTEN/NOTIFY on PostgreSQL).
    const invalidations = await openInvalidationBus(config, config.log);
    closers.push(() => invalidations.close());
    const live = await openLiveParts(config, {
      blobs,
      metadata,
      classifier,
      metrics,
      purger,
      internalToken,
      accounts: accounts !== undefined,
      selfAddress: () => selfAddress,
      publicName: () => publicName,
      ...(projectSettings ? { projects: projectSettings } : {}),
      ...(notary ? { notary } : {}),
      listening: () => invalidations.listening,
      ...(invalidations.keepAtMostMs !== undefined ? { positiveTtlMs: invalidations.keepAtMostMs } : {}),
    });
    closers.push(() => live.close());
    invalidations.subscribe((change) => live.invalidate(change));
    // A GUN is `<registry>/<repository>`: a publish changes what that repository's pulls are judged on.
    if (notary) notary.onPublished = (gun) => invalidations.publish({ kind: 'repository', repository: gun.slice(gun.indexOf('/') + 1) });
    const accountsAccess = accounts ? withInternalToken(accounts.access, internalToken) : undefined;
    const auth: AccessControl | undefined = accountsAccess ?? (live.auth ? withInternalToken(live.auth, internalToken) : undefined);
    // What happens in the registry, for the scan queue, the signature cache and webhooks.
    const events: RegistryEvents = {
      manifestPushed(record, tag, who) {
        scanner?.manifestPushed(record);
        for (const change of signatureChanges(record, tag)) invalidations.publish(change);
        hooks?.manifestPushed(record, tag, who);
      },
      manifestDeleted(repository, digest, who) {
        // It may have been a signature: the repository's answers go.
        invalidations.publish({ kind: 'repository', repository });
        scanner?.manifestDeleted(repository, digest);
        hooks?.manifestDeleted(repository, digest, who);
      },
      tagDeleted(repository, tag, digest, who) {
        for (const change of signatureChanges({ repository }, tag)) invalidations.publish(change);
        hooks?.tagDeleted(repository, tag, digest, who);
      },
      pullDenied: (record, decision, tag, who) => hooks?.pullDenied(record, decision, tag, who),
      scanCompleted: (scan) => hooks?.scanCompleted(scan),
      scanFailed: (scan) => hooks?.scanFailed(scan),
      vulnerabilitiesChanged: (change) => hooks?.vulnerabilitiesChanged(change),
    };
    // The kept inventories: the scan service keeps and matches them; the UI reads them (also with --no-scan, from earlier scans).
    const inventories = config.scan || servesUi ? await openInventoryStore(config) : undefined;
    if (inventories) closers.push(() => inventories.close());
    if (config.scan) {
      const queue = await openScanQueueStore(config);
      closers.push(() => queue.close());
      scanner = new ScanService({
        queue,
        work: takesScans,
        ...(config.scan.leaseTtlMs !== undefined ? { leaseTtlMs: config.scan.leaseTtlMs } : {}),
        ...(config.scan.maxAttempts !== undefined ? { maxAttempts: config.scan.maxAttempts } : {}),
        ...(config.scan.timeoutMs !== undefined ? { timeoutMs: config.scan.timeoutMs } : {}),
        ...(config.scan.limits ? { limits: config.scan.limits } : {}),
        ...(gate ? { beforeScan: () => gate('scan') } : {}),
        ...(inventories ? { inventories } : {}),
        events,
        blobs,
        metadata,
        classifier,
        dbPath: config.scan.dbPath,
        layerCache: new DirectoryLayerCache({ dir: join(config.root, 'layer-cache') }),
        concurrency: config.scan.concurrency,
        rescanIntervalMs: config.scan.rescanIntervalMs,
        onScanned: (record, durationMs) => metrics.countScan(record.state, { ...(durationMs !== undefined ? { durationMs } : {}), incomplete: (record.result?.incomplete?.length ?? 0) > 0 }),
        log: config.log,
      });
      const s = scanner;
      closers.push(() => s.close());
      if (config.scan.dbFrom && takesScans) {
        // A signed database pulled on a schedule, verified before use; the scan service rescans when it changed.
        const puller = new DbPuller({ ...config.scan.dbFrom, dbPath: config.scan.dbPath, onChanged: () => s.checkDatabase(), log: config.log, singletons });
        puller.start();
        closers.push(() => puller.close());
      }
    }
    const gc = new GcService({
      stores: { blobs, metadata },
      log: config.log,
      singletons,
      ...(config.gc?.intervalMs !== undefined ? { intervalMs: config.gc.intervalMs } : {}),
      // Every run is counted in the metrics, then told to the configured observer (tests); scheduled runs are audit events.
      observer: audit.observeGc({
        gcFinished(report, run) {
          metrics.countGcRun('done', report.bytesFreed);
          config.gc?.observer?.gcFinished(report, run);
        },
        gcFailed(durationMs, error, run) {
          metrics.countGcRun('failed');
          config.gc?.observer?.gcFailed(durationMs, error, run);
        },
      }),
      defaults: {
        ...(config.gc?.graceMs !== undefined ? { graceMs: config.gc.graceMs } : {}),
        ...(config.gc?.untaggedRetentionMs !== undefined ? { untaggedRetentionMs: config.gc.untaggedRetentionMs } : {}),
        ...(projectSettings ? { projects: projectSettings } : {}),
      },
    });
    gc.start();
    closers.push(() => gc.stop());

    const services: RegistryServices = {
      blobs,
      metadata,
      ...(projectSettings ? { projects: projectSettings } : {}),
      ...(config.gc?.graceMs !== undefined ? { pushGuard: { graceMs: config.gc.graceMs } } : {}),
      events,
      pullPolicy: live.pullPolicy,
      ...(auth ? { auth } : {}),
      ...(notary ? { notary } : {}),
      uploads,
      limits: live.limits,
    };
    const plugins: RegistryPlugin[] = [
      ...(answersClients ? [] : [workerGatePlugin({ metrics: metricsOnListener })]),
      audit.plugin,
      healthPlugin(readinessChecker({ blobs, metadata, log: config.log, ...(config.scan && takesScans ? { advisoryDbPath: config.scan.dbPath } : {}) })),
      // /api/v1/gc; /token and the accounts API with --accounts; the OpenAPI document of those.
      ...(answersClients
        ? adminApiPlugins({
            gc,
            ...(auth ? { auth } : {}),
            ...(accountsAccess ? { accounts: { access: accountsAccess, metadata, ...(hooks ? { webhooks: hooks } : {}), ...(audit.log ? { audit: audit.log } : {}) } } : {}),
            version: await packageVersion(),
          })
        : []),
    ];
    if (servesUi || config.metricsAddr || metricsOnListener) plugins.push(metricsPlugin(metrics, { serve: metricsOnListener, ...(auth ? { auth } : {}) }));
    if (servesUi) {
      const { uiPlugin } = await import('./ui/plugin.js');
      // Sign-in sessions in the metadata store: a restart signs no one out, and processes share them.
      const sessionStore = auth ? await openSessionStore(config) : undefined;
      if (sessionStore) closers.push(() => sessionStore.close());
      plugins.push(
        uiPlugin({
          metadata,
          blobs,
          ...(inventories ? { inventories } : {}),
          policy: live.verdicts,
          signatures: live.signatures,
          publicName: () => publicName,
          ...(auth ? { auth } : {}),
          ...(accountsAccess
            ? { accounts: { store: accountsAccess.store, ...(hooks ? { webhooks: hooks.store } : {}), ...(audit.log ? { audit: audit.log } : {}), manage: { access: accountsAccess, metadata, ...(hooks ? { webhooks: hooks } : {}) } } }
            : {}),
          ...(scanner ? { scans: scanner } : {}),
          ...(sessionStore ? { sessionStore } : {}),
          ...(accounts?.oidc ? { oidc: accounts.oidc } : {}),
        }),
      );
    }
    let metricsUrl: string | undefined;
    if (config.metricsAddr) {
      const listener = await startMetricsListener(metrics, config.metricsAddr.host, config.metricsAddr.port);
      closers.push(() => listener.close());
      metricsUrl = listener.url;
    }
    const tls = config.tls ? { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) } : undefined;
    const server = await startServer({
      services,
      host: config.host,
      port: config.port,
      plugins,
      log: config.log,
      ...(config.connections ? { connections: config.connections } : {}),
      ...(tls ? { tls } : {}),
    });
    closers.push(() => server.close());
    selfAddress = `127.0.0.1:${server.port}`;
    const listening = new URL(server.url).hostname;
    publicName = config.publicName ?? `${listening === '0.0.0.0' || listening === '::' || listening === '[::]' ? '127.0.0.1' : listening}:${server.port}`;
    await scanner?.start();
    hooks?.start();
    const reload = reloader(config, live, metrics, audit.recorder);
    return { url: server.url, port: server.port, services, gc, ...(hooks ? { webhooks: hooks } : {}), ...(scanner ? { scanner } : {}), ...(metricsUrl ? { metricsUrl } : {}), ...(accounts?.admin ? { admin: accounts.admin } : {}), reload, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
