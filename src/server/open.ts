/**
 * Turns a RegistryConfig into a running registry: storage and metadata
 * drivers, authentication, the purge of abandoned uploads, garbage
 * collection (scheduled, and its admin API), the scan service,
 * the pull policy (with signature checks against the registry itself), the
 * Notary trust service, the UI and metrics, then listens. `close` stops them
 * in the reverse order, after the scans in flight finish.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryPlugin } from './app.js';
import { ManifestClassifier } from './artifact.js';
import type { RegistryConfig } from './config.js';
import type { MetadataStore } from './metadata/store.js';
import { Metrics, metricsPlugin, storeGauges } from './metrics.js';
import { createPullPolicy } from './policy.js';
import { ScanService } from './scan/service.js';
import { startServer } from './server.js';
import type { Authenticator, NotaryService, RegistryServices } from './services.js';
import { createSignatureCheck, type SignatureChecker } from './signature-check.js';
import type { BlobStore } from './storage/blob-store.js';
import { FilesystemBlobStore } from './storage/filesystem.js';
import { newInternalToken, withInternalToken } from './auth/internal-token.js';
import type { HtpasswdAuthenticator } from './auth/htpasswd.js';
import { startMetricsListener } from './metrics-listener.js';
import { UploadPurger } from './upload-purge.js';
import { UploadSessions } from './upload-sessions.js';
import { GcService } from './gc/index.js';
import { gcApiPlugin } from './api/v1/gc.js';

export interface RunningRegistry {
  readonly url: string;
  readonly port: number;
  readonly services: RegistryServices;
  readonly scanner?: ScanService;
  readonly gc: GcService;
  /** With `metricsAddr`: where `/metrics` is served. */
  readonly metricsUrl?: string;
  close(): Promise<void>;
}

/** The blob store a configuration names (also what `portcullis registry gc` opens offline). */
export async function openBlobStore(config: Pick<RegistryConfig, 'root' | 'storage'>): Promise<BlobStore> {
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
  });
}

/** The metadata store a configuration names. */
export async function openMetadata(config: Pick<RegistryConfig, 'root' | 'metadataUrl'>): Promise<MetadataStore> {
  if (config.metadataUrl) {
    const { PostgresMetadataStore } = await import('./metadata/postgres.js');
    return PostgresMetadataStore.open(config.metadataUrl);
  }
  const { SqliteMetadataStore } = await import('./metadata/sqlite.js');
  return new SqliteMetadataStore(join(config.root, 'registry.sqlite'));
}

async function openAuthenticator(config: RegistryConfig): Promise<HtpasswdAuthenticator | undefined> {
  if (!config.htpasswd) return undefined;
  const { HtpasswdAuthenticator } = await import('./auth/htpasswd.js');
  return HtpasswdAuthenticator.load(config.htpasswd, { anonymousPull: config.anonymousPull === true, ...(config.loginLimits ? { failures: config.loginLimits } : {}) });
}

async function openNotary(config: RegistryConfig): Promise<(NotaryService & { close(): Promise<void> }) | undefined> {
  if (!config.notary) return undefined;
  const { openNotaryService } = await import('./notary/index.js');
  return openNotaryService({ root: join(config.root, 'notary') });
}

export async function startRegistry(config: RegistryConfig): Promise<RunningRegistry> {
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close().catch((e: unknown) => config.log.error({ event: 'error', err: e }, 'error while closing'));
  };
  try {
    const blobs = await openBlobStore(config);
    closers.push(() => blobs.close());
    const metadata = await openMetadata(config);
    closers.push(() => metadata.close());

    const htpasswd = await openAuthenticator(config);
    if (htpasswd) closers.push(() => htpasswd.close());
    let auth: Authenticator | undefined = htpasswd;
    const uploads = new UploadSessions();
    const purger = new UploadPurger({ blobs, sessions: uploads, log: config.log, ...(config.uploadPurgeAgeMs !== undefined ? { ageMs: config.uploadPurgeAgeMs } : {}) });
    purger.start();
    closers.push(() => purger.stop());
    let selfAddress = `127.0.0.1:${config.port}`;
    // Until it listens, the port may be 0 (any free port); names use the real one.
    let publicName = config.publicName ?? `${config.host}:${config.port}`;
    let signatures: SignatureChecker | undefined;
    if (config.requireSignature) {
      const token = newInternalToken();
      if (auth) auth = withInternalToken(auth, token);
      signatures = createSignatureCheck({
        blobs,
        metadata,
        keys: config.requireSignature.keys,
        ...(config.requireSignature.policy ? { policy: config.requireSignature.policy } : {}),
        ...(config.requireSignature.policyKeys ? { policyKeys: config.requireSignature.policyKeys } : {}),
        selfAddress: () => selfAddress,
        publicName: () => publicName,
        ...(auth ? { internalToken: token } : {}),
      });
      const checker = signatures;
      closers.push(() => checker.close());
    }
    const classifier = new ManifestClassifier(blobs);
    let scanner: ScanService | undefined;
    const metrics = new Metrics({ source: storeGauges(metadata, () => scanner?.queueLength ?? 0) });
    if (config.scan) {
      scanner = new ScanService({
        blobs,
        metadata,
        classifier,
        dbPath: config.scan.dbPath,
        concurrency: config.scan.concurrency,
        rescanIntervalMs: config.scan.rescanIntervalMs,
        onScanned: (record) => metrics.countScan(record.state),
        log: config.log,
      });
      const s = scanner;
      closers.push(() => s.close());
    }
    const pullPolicy = createPullPolicy({
      classifier,
      metadata,
      ...(config.denySeverity ? { denySeverity: config.denySeverity } : {}),
      allowUnscanned: config.allowUnscanned === true,
      ...(signatures ? { requireSignature: signatures.check } : {}),
    });
    const notary = await openNotary(config);
    if (notary) closers.push(() => notary.close());

    const gc = new GcService({
      stores: { blobs, metadata },
      log: config.log,
      ...(config.gc?.intervalMs !== undefined ? { intervalMs: config.gc.intervalMs } : {}),
      ...(config.gc?.observer ? { observer: config.gc.observer } : {}),
      defaults: {
        ...(config.gc?.graceMs !== undefined ? { graceMs: config.gc.graceMs } : {}),
        ...(config.gc?.untaggedRetentionMs !== undefined ? { untaggedRetentionMs: config.gc.untaggedRetentionMs } : {}),
        ...(config.projectSettings ? { projects: config.projectSettings } : {}),
      },
    });
    gc.start();
    closers.push(() => gc.stop());

    const services: RegistryServices = {
      blobs,
      metadata,
      ...(config.projectSettings ? { projects: config.projectSettings } : {}),
      ...(config.gc?.graceMs !== undefined ? { pushGuard: { graceMs: config.gc.graceMs } } : {}),
      events: {
        manifestPushed(record, tag) {
          scanner?.manifestPushed(record);
          signatures?.manifestPushed(record, tag);
        },
      },
      ...(pullPolicy ? { pullPolicy } : {}),
      ...(auth ? { auth } : {}),
      ...(notary ? { notary } : {}),
      uploads,
      ...(config.maxUploadsPerClient !== undefined ? { limits: { maxUploadsPerClient: config.maxUploadsPerClient } } : {}),
    };
    const plugins: RegistryPlugin[] = [gcApiPlugin({ gc, ...(auth ? { auth } : {}) })];
    if (config.ui || config.metricsAddr) plugins.push(metricsPlugin(metrics, { serve: config.ui && !config.metricsAddr, ...(auth ? { auth } : {}) }));
    if (config.ui) {
      const { uiPlugin } = await import('./ui/plugin.js');
      plugins.push(uiPlugin({ metadata, ...(auth ? { auth } : {}) }));
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
    return { url: server.url, port: server.port, services, gc, ...(scanner ? { scanner } : {}), ...(metricsUrl ? { metricsUrl } : {}), close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
