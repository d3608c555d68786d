/**
 * Everything `portcullis serve` can be told, as one plain value. The CLI maps
 * flags onto it; `open.ts` turns it into running services. Secrets (S3 keys,
 * database passwords) come from the environment or URLs, never from flags
 * that `ps` would show.
 */
import type { SeverityLevel } from '../core/index.js';
import type { KeyStore, Policy } from '../trust/index.js';
import type { DbPullSettings } from './scan/db-pull.js';
import type { WalkLimits } from '../layers/index.js';
import type { KeyFile } from '../engine/trust/index.js';
import type { FailureLimits } from './auth/failure-limiter.js';
import type { AccountsSettings } from './auth/open-accounts.js';
import type { ConnectionLimits } from './connection-limits.js';
import type { GcObserver, ProjectSettingsProvider } from './gc/index.js';
import type { RegistryLog } from './log.js';
import type { Settings } from './config-file/index.js';
import type { WebhookSettings } from './webhooks/open.js';

export interface S3StorageConfig {
  readonly kind: 's3';
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint?: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly forcePathStyle: boolean;
  /** Blob GETs redirect to presigned URLs instead of streaming through the registry. */
  readonly redirect?: boolean;
}

export type StorageConfig = { readonly kind: 'filesystem' } | S3StorageConfig;

export type ServeRole = 'all' | 'api' | 'worker';

export interface RegistryConfig {
  /** Data folder: blobs (filesystem storage), registry.sqlite (Notary data included), notary/key-encryption.key. */
  readonly root: string;
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** `host[:port]` clients use to reach the registry (signature identities); default host:port. */
  readonly publicName?: string;
  readonly storage: StorageConfig;
  /** `postgres://…` for shared metadata; SQLite in `root` otherwise. */
  readonly metadataUrl?: string;
  readonly htpasswd?: string;
  readonly anonymousPull?: boolean;
  /**
   * Accounts, projects and roles, with the Docker token flow (auth/accounts.ts,
   * docs/serve.md "Accounts, projects and roles"). With `htpasswd` too, the
   * file is a read-only source of users.
   */
  readonly accounts?: AccountsSettings;
  /** With htpasswd: failed logins allowed per user and per client in a window; defaults in auth/failure-limiter.ts. */
  readonly loginLimits?: Partial<FailureLimits>;
  /** Uploads untouched for longer than this are removed (default 24 h, upload-purge.ts). */
  readonly uploadPurgeAgeMs?: number;
  /** Open upload sessions allowed per client (default 1,000). */
  readonly maxUploadsPerClient?: number;
  /** Serve `/metrics` on this address only, not on the main listener. */
  readonly metricsAddr?: { readonly host: string; readonly port: number };
  /** What this process does among several sharing the registry: answer clients and queue scans (`api`), take scans (`worker`), or both (`all`, the default). */
  readonly role?: ServeRole;
  /** Scanning; false turns it off. `leaseTtlMs` and `maxAttempts`: a worker's lease on a scan job, and the leases a job may take (scan/queue.ts). */
  readonly scan:
    | false
    | { readonly dbPath: string; readonly rescanIntervalMs: number; readonly concurrency: number; readonly leaseTtlMs?: number; readonly maxAttempts?: number; readonly timeoutMs?: number; readonly limits?: WalkLimits; readonly dbFrom?: DbPullSettings };
  readonly denySeverity?: SeverityLevel;
  /** With denySeverity: serve images that have no scan result yet (never failed or partial scans). Default false. */
  readonly allowUnscanned?: boolean;
  readonly requireSignature?: { readonly keys: KeyStore; readonly policy?: Policy; readonly policyKeys?: readonly KeyFile[] };
  /** Notary v1 trust service under `/v2/<gun>/_trust/tuf/`. */
  readonly notary: boolean;
  /** The key sealing the Notary service's private keys (notary/key-sealing.ts): given, or in a file; none makes one under `root` (SQLite only). */
  readonly notaryKeyEncryption?: { readonly key?: string; readonly file?: string };
  /** Web UI under `/ui/` and Prometheus metrics at `/metrics` (on `metricsAddr` instead, when set). */
  readonly ui: boolean;
  /** Timeouts and connection caps; defaults in connection-limits.ts. */
  readonly connections?: Partial<ConnectionLimits>;
  /** Garbage collection: schedule, grace period, untagged retention; defaults in gc/ (daily, 1 h, 7 days). */
  readonly gc?: { readonly intervalMs?: number; readonly graceMs?: number; readonly untaggedRetentionMs?: number; readonly observer?: GcObserver };
  /** Webhook delivery: workers, deadlines, attempts, retention, allowed target networks (webhooks/open.ts); defaults in webhooks/dispatcher.ts. */
  readonly webhooks?: WebhookSettings;
  /** Per-project quotas and retention rules (gc/projects.ts); none when absent. */
  readonly projectSettings?: ProjectSettingsProvider;
  /** The audit log (audit/): retention (0 keeps everything; default 90 days) and the queue of events waiting to be stored (default 10,000). */
  readonly audit?: { readonly retentionMs?: number; readonly queueSize?: number };
  readonly log: RegistryLog;
  /** The effective settings this configuration was made from (`--print-config`, and what a reload compares). */
  readonly settings?: Settings;
  /**
   * Re-reads the configuration (file, environment, flags) into a new one, for
   * `reload()` (SIGHUP, or an admin API call); absent, a reload has nothing to read.
   */
  readonly reread?: () => Promise<RegistryConfig>;
}
