/**
 * `portcullis serve`: maps flags onto a RegistryConfig, starts the registry
 * and runs until SIGINT/SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { SEVERITY_LEVELS, type SeverityLevel } from '../../core/advisory.js';
import type { RegistryConfig, StorageConfig } from '../../server/config.js';
import type { ConnectionLimits } from '../../server/connection-limits.js';
import { parseProjectSettings, type ProjectSettingsProvider } from '../../server/gc/index.js';
import { createLog, LOG_FORMATS, LOG_LEVELS } from '../../server/log.js';
import { defaultDbPath } from '../../vuln/db.js';
import { UsageError } from '../context.js';
import type { OutputStreams } from '../output.js';
import { describeStartup } from './serve-banner.js';
import { loadPolicy, openKeyStoreFromEnv } from './trust-shared.js';

export interface ServeOptions {
  addr?: string;
  root?: string;
  tlsCert?: string;
  tlsKey?: string;
  publicName?: string;
  storage?: string;
  s3Endpoint?: string;
  s3Region?: string;
  metadata?: string;
  htpasswd?: string;
  anonymousPull?: boolean;
  db?: string;
  scan?: boolean;
  rescanInterval?: string;
  scanWorkers?: string;
  denySeverity?: string;
  /** Accepted for compatibility: refusing unscanned images is the default now. */
  denyUnscanned?: boolean;
  allowUnscanned?: boolean;
  logLevel?: string;
  logFormat?: string;
  headersTimeout?: string;
  requestTimeout?: string;
  idleTimeout?: string;
  maxConnsPerIp?: string;
  maxConns?: string;
  minBodyRate?: string;
  /** Serve from a temporary folder with the bundled example image pushed and scanned. */
  demo?: boolean;
  maxLoginFailuresPerUser?: string;
  maxLoginFailuresPerIp?: string;
  loginFailureWindow?: string;
  uploadPurgeAge?: string;
  maxUploadsPerClient?: string;
  metricsAddr?: string;
  gcInterval?: string;
  gcGrace?: string;
  untaggedRetention?: string;
  projectSettings?: string;
  requireSignature?: boolean;
  policy?: string;
  notary?: boolean;
  ui?: boolean;
  /** Tests: resolves when the command should stop (instead of a signal). */
  stop?: Promise<void>;
  /** Tests: told the listening URL. */
  onListening?: (url: string) => void;
}

export function parseAddr(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--addr takes HOST:PORT (e.g. 127.0.0.1:5000), not "${value}"`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** `--storage` (and `--s3-*`) as a StorageConfig; `portcullis registry gc` reads the same flags. */
export function storageConfig(options: Pick<ServeOptions, 'storage' | 's3Endpoint' | 's3Region'>, env: NodeJS.ProcessEnv): StorageConfig {
  const url = options.storage;
  if (url === undefined || !url.startsWith('s3://')) {
    if (options.s3Endpoint) throw new UsageError('--s3-endpoint needs --storage s3://BUCKET[/PREFIX]');
    return { kind: 'filesystem' };
  }
  const rest = url.slice('s3://'.length);
  const [bucket = '', ...prefix] = rest.split('/');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new UsageError(`--storage: "${bucket}" is not a valid S3 bucket name`);
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new UsageError('--storage s3://… needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment');
  const endpoint = options.s3Endpoint ?? env.AWS_ENDPOINT_URL;
  return {
    kind: 's3',
    bucket,
    prefix: prefix.filter(Boolean).join('/'),
    ...(endpoint ? { endpoint } : {}),
    region: options.s3Region ?? env.AWS_REGION ?? 'us-east-1',
    accessKeyId,
    secretAccessKey,
    // Custom endpoints (MinIO, Swift, Ceph) rarely do virtual-hosted buckets.
    forcePathStyle: endpoint !== undefined,
  };
}

function severity(value: string | undefined): SeverityLevel | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  const level = SEVERITY_LEVELS.find((s) => s === upper);
  if (!level) throw new UsageError(`--deny-severity takes one of ${SEVERITY_LEVELS.join(', ')}, not "${value}"`);
  return level;
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--${flag} takes a whole number from 1 to 64, not "${value}"`);
  return n;
}

/** `--root`, or the default data folder (`$XDG_DATA_HOME/portcullis/registry`). */
export function defaultRoot(root: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(root ?? join(env.XDG_DATA_HOME ?? join(env.HOME ?? homedir(), '.local', 'share'), 'portcullis', 'registry'));
}

export async function buildConfig(options: ServeOptions, io: OutputStreams): Promise<RegistryConfig> {
  const env = io.env;
  const { host, port } = parseAddr(options.addr ?? '127.0.0.1:5000');
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (options.anonymousPull && !options.htpasswd) throw new UsageError('--anonymous-pull only makes sense with --htpasswd');
  if ((options.denyUnscanned || options.allowUnscanned) && !options.denySeverity) {
    throw new UsageError(`--${options.allowUnscanned ? 'allow' : 'deny'}-unscanned needs --deny-severity`);
  }
  if (options.denyUnscanned && options.allowUnscanned) throw new UsageError('--deny-unscanned and --allow-unscanned contradict each other (refusing unscanned images is the default)');
  if (options.denySeverity && options.scan === false) {
    throw new UsageError('--deny-severity refuses every image without a complete scan, and --no-scan scans nothing: drop one of them');
  }
  if (options.policy && !options.requireSignature) throw new UsageError('--policy needs --require-signature');
  const root = defaultRoot(options.root, env);
  let requireSignature: RegistryConfig['requireSignature'];
  if (options.requireSignature) {
    const loaded = await loadPolicy(options.policy, env);
    requireSignature = { keys: openKeyStoreFromEnv(env), ...(loaded.policy ? { policy: loaded.policy } : {}), policyKeys: loaded.keys };
  }
  const deny = severity(options.denySeverity);
  return {
    root,
    host,
    port,
    ...(options.tlsCert && options.tlsKey ? { tls: { certFile: resolve(options.tlsCert), keyFile: resolve(options.tlsKey) } } : {}),
    ...(options.publicName ? { publicName: options.publicName } : {}),
    storage: storageConfig(options, env),
    ...(options.metadata ? { metadataUrl: metadataUrl(options.metadata) } : {}),
    ...(options.htpasswd ? { htpasswd: resolve(options.htpasswd) } : {}),
    anonymousPull: options.anonymousPull === true,
    scan:
      options.scan === false
        ? false
        : { dbPath: options.db ?? defaultDbPath(), rescanIntervalMs: parseInterval(options.rescanInterval ?? '60s'), concurrency: positiveInt(options.scanWorkers, 'scan-workers', 1) },
    ...(deny ? { denySeverity: deny } : {}),
    allowUnscanned: options.allowUnscanned === true,
    ...(requireSignature ? { requireSignature } : {}),
    notary: options.notary !== false,
    ui: options.ui !== false,
    connections: connectionLimits(options),
    ...authAndUploadLimits(options),
    ...(await lifecycleConfig(options)),
    log: createLog({ level: choice(options.logLevel, LOG_LEVELS, '--log-level', 'info'), format: choice(options.logFormat, LOG_FORMATS, '--log-format', 'json'), destination: io.stdout }),
  };
}

function choice<T extends string>(value: string | undefined, allowed: readonly T[], flag: string, fallback: T): T {
  if (value === undefined) return fallback;
  const found = allowed.find((a) => a === value.toLowerCase());
  if (!found) throw new UsageError(`${flag} takes one of ${allowed.join(', ')}, not "${value}"`);
  return found;
}

function connectionLimits(options: ServeOptions): Partial<ConnectionLimits> {
  const limits: { -readonly [K in keyof ConnectionLimits]?: ConnectionLimits[K] } = {};
  if (options.headersTimeout !== undefined) limits.headersTimeoutMs = duration(options.headersTimeout, '--headers-timeout', 1_000);
  if (options.requestTimeout !== undefined) limits.requestTimeoutMs = duration(options.requestTimeout, '--request-timeout', 1_000);
  if (options.idleTimeout !== undefined) limits.idleTimeoutMs = duration(options.idleTimeout, '--idle-timeout', 1_000);
  if (options.maxConnsPerIp !== undefined) limits.maxConnectionsPerAddress = count(options.maxConnsPerIp, '--max-conns-per-ip');
  if (options.maxConns !== undefined) limits.maxConnections = count(options.maxConns, '--max-conns');
  if (options.minBodyRate !== undefined) limits.minBodyBytesPerSecond = byteRate(options.minBodyRate);
  return limits;
}

/** Failed-login limits, upload purging and caps, and the metrics listener (docs/serve.md "Authentication and uploads"). */
function authAndUploadLimits(options: ServeOptions): Pick<RegistryConfig, 'loginLimits' | 'uploadPurgeAgeMs' | 'maxUploadsPerClient' | 'metricsAddr'> {
  const login: { perUser?: number; perAddress?: number; windowMs?: number } = {};
  if (options.maxLoginFailuresPerUser !== undefined) login.perUser = count(options.maxLoginFailuresPerUser, '--max-login-failures-per-user');
  if (options.maxLoginFailuresPerIp !== undefined) login.perAddress = count(options.maxLoginFailuresPerIp, '--max-login-failures-per-ip');
  if (options.loginFailureWindow !== undefined) login.windowMs = duration(options.loginFailureWindow, '--login-failure-window', 1_000);
  if (Object.keys(login).length > 0 && !options.htpasswd) throw new UsageError('--max-login-failures-* and --login-failure-window only make sense with --htpasswd');
  let metricsAddr: RegistryConfig['metricsAddr'];
  if (options.metricsAddr !== undefined) {
    // `:9090` means loopback: metrics are the operator's.
    const value = options.metricsAddr.startsWith(':') ? `127.0.0.1${options.metricsAddr}` : options.metricsAddr;
    try {
      metricsAddr = parseAddr(value);
    } catch {
      throw new UsageError(`--metrics-addr takes HOST:PORT (e.g. 127.0.0.1:9090, or :9090 for loopback), not "${options.metricsAddr}"`);
    }
  }
  return {
    ...(Object.keys(login).length > 0 ? { loginLimits: login } : {}),
    ...(options.uploadPurgeAge !== undefined ? { uploadPurgeAgeMs: duration(options.uploadPurgeAge, '--upload-purge-age', 60_000) } : {}),
    ...(options.maxUploadsPerClient !== undefined ? { maxUploadsPerClient: count(options.maxUploadsPerClient, '--max-uploads-per-client') } : {}),
    ...(metricsAddr ? { metricsAddr } : {}),
  };
}

/** Garbage collection and per-project settings (docs/serve.md "Garbage collection", "Retention and quotas"). */
async function lifecycleConfig(options: ServeOptions): Promise<Pick<RegistryConfig, 'gc' | 'projectSettings'>> {
  const gc: { intervalMs?: number; graceMs?: number; untaggedRetentionMs?: number } = {};
  if (options.gcInterval !== undefined) gc.intervalMs = options.gcInterval.trim() === '0' ? 0 : duration(options.gcInterval, '--gc-interval', 60_000);
  if (options.gcGrace !== undefined) gc.graceMs = options.gcGrace.trim() === '0' ? 0 : duration(options.gcGrace, '--gc-grace', 1_000);
  if (options.untaggedRetention !== undefined) gc.untaggedRetentionMs = options.untaggedRetention.trim() === '0' ? 0 : duration(options.untaggedRetention, '--untagged-retention', 1_000);
  return {
    ...(Object.keys(gc).length > 0 ? { gc } : {}),
    ...(options.projectSettings !== undefined ? { projectSettings: await loadProjectSettings(options.projectSettings) } : {}),
  };
}

/** Reads a `--project-settings` file (YAML or JSON): CONFIG_INVALID naming the key when it is wrong. */
export async function loadProjectSettings(path: string): Promise<ProjectSettingsProvider> {
  let text: string;
  try {
    text = await readFile(resolve(path), 'utf8');
  } catch (error) {
    throw new UsageError(`--project-settings: cannot read ${path}: ${(error as Error).message}`);
  }
  return parseProjectSettings(text, path);
}

/** A duration of at least `minMs`: 500ms, 10s, 5m, 1h, 7d, 2w. */
export function duration(value: string, flag: string, minMs: number): number {
  const m = /^(\d+)\s*(ms|s|m|h|d|w)?$/.exec(value.trim());
  const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
  const ms = m ? Number(m[1]) * units[(m[2] ?? 's') as keyof typeof units] : NaN;
  if (!Number.isSafeInteger(ms) || ms < minMs) throw new UsageError(`${flag} takes a duration of at least ${minMs / 1000}s, such as 10s, 5m, 1h or 7d, not "${value}"`);
  return ms;
}

function count(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} takes a whole number of at least 1, not "${value}"`);
  return n;
}

/** Bytes per second: 0 (off), 512, 1KiB, 64KiB, 1MiB. */
function byteRate(value: string): number {
  const m = /^(\d+)\s*(B|KiB|MiB)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`--min-body-rate takes a rate in bytes per second such as 1KiB or 0 (off), not "${value}"`);
  const unit = (m[2] ?? 'B').toLowerCase();
  return Number(m[1]) * (unit === 'mib' ? 1024 * 1024 : unit === 'kib' ? 1024 : 1);
}

/** `30s`, `5m`, `1h`, `0` → milliseconds. */
export function parseInterval(value: string): number {
  const m = /^(\d+)\s*(s|m|h)?$/.exec(value.trim());
  if (!m) throw new UsageError(`--rescan-interval takes a duration such as 30s, 5m or 1h, not "${value}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : 1000);
}

function metadataUrl(value: string): string {
  if (!/^postgres(ql)?:\/\//.test(value)) throw new UsageError(`--metadata takes a postgres:// URL, not "${value.replace(/:[^:@/]*@/, ':***@')}"`);
  return value;
}

export async function serve(options: ServeOptions, io: OutputStreams): Promise<number> {
  const demo = options.demo ? await import('./serve-demo.js') : undefined;
  const demoData = demo && options.root === undefined ? await demo.demoRoot() : undefined;
  const effective: ServeOptions = {
    ...options,
    ...(demoData ? { root: demoData.root } : {}),
    ...(demo && options.addr === undefined ? { addr: await demo.demoAddr() } : {}),
  };
  try {
    const config = await buildConfig(effective, io);
    const { startRegistry } = await import('../../server/open.js');
    let registry;
    try {
      registry = await startRegistry(config);
    } catch (error) {
      throw listenError(error, effective.addr ?? '127.0.0.1:5000') ?? error;
    }
    const banner = await describeStartup(config, registry.url);
    config.log.info({ event: 'startup', ...banner.fields }, `listening on ${registry.url}`);
    io.stderr.write(banner.text);
    if (demo) {
      const outcome = await demo.loadDemo(registry);
      io.stderr.write(`${outcome.lines.join('\n')}\n`);
    }
    options.onListening?.(registry.url);
    await (options.stop ?? untilSignal());
    config.log.info({ event: 'shutdown' }, 'stopping');
    io.stderr.write('portcullis serve: stopping\n');
    await registry.close();
    config.log.flush();
    return 0;
  } finally {
    await demoData?.remove();
  }
}

/** A port in use or not ours to take is the caller's to fix, not a bug. */
function listenError(error: unknown, addr: string): UsageError | undefined {
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE') return new UsageError(`cannot listen on ${addr}: the address is already in use (another registry running?); stop it or choose another --addr`);
  if (code === 'EACCES') return new UsageError(`cannot listen on ${addr}: permission denied (ports below 1024 need privileges); choose a port above 1024 with --addr`);
  if (code === 'EADDRNOTAVAIL') return new UsageError(`cannot listen on ${addr}: no such local address; use 127.0.0.1, 0.0.0.0 or an address of this machine`);
  return undefined;
}

function untilSignal(): Promise<void> {
  return new Promise((resolveStop) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
