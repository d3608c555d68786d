/**
 * `portcullis serve`: maps flags onto a RegistryConfig, starts the registry
 * and runs until SIGINT/SIGTERM.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { SEVERITY_LEVELS, type SeverityLevel } from '../../core/advisory.js';
import type { RegistryConfig, StorageConfig } from '../../registry/config.js';
import { defaultDbPath } from '../../vuln/db.js';
import { UsageError } from '../context.js';
import type { OutputStreams } from '../output.js';
import { loadPolicy, openStore } from './trust-shared.js';

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
  denyUnscanned?: boolean;
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

function storageConfig(options: ServeOptions, env: NodeJS.ProcessEnv): StorageConfig {
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

export async function buildConfig(options: ServeOptions, io: OutputStreams): Promise<RegistryConfig> {
  const env = io.env;
  const { host, port } = parseAddr(options.addr ?? '127.0.0.1:5000');
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (options.anonymousPull && !options.htpasswd) throw new UsageError('--anonymous-pull only makes sense with --htpasswd');
  if (options.denyUnscanned && !options.denySeverity) throw new UsageError('--deny-unscanned needs --deny-severity');
  if (options.policy && !options.requireSignature) throw new UsageError('--policy needs --require-signature');
  const root = resolve(options.root ?? join(env.XDG_DATA_HOME ?? join(env.HOME ?? homedir(), '.local', 'share'), 'portcullis', 'registry'));
  let requireSignature: RegistryConfig['requireSignature'];
  if (options.requireSignature) {
    const loaded = await loadPolicy(options.policy, env);
    requireSignature = { keys: openStore(env), ...(loaded.policy ? { policy: loaded.policy } : {}), policyKeys: loaded.keys };
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
    denyUnscanned: options.denyUnscanned === true,
    ...(requireSignature ? { requireSignature } : {}),
    notary: options.notary !== false,
    ui: options.ui !== false,
    log: (line) => io.stderr.write(`${line}\n`),
  };
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
  const config = await buildConfig(options, io);
  const { startRegistry } = await import('../../registry/open.js');
  const registry = await startRegistry(config);
  io.stderr.write(`portcullis serve: listening on ${registry.url} (data in ${config.root})\n`);
  options.onListening?.(registry.url);
  await (options.stop ?? untilSignal());
  io.stderr.write('portcullis serve: stopping\n');
  await registry.close();
  return 0;
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
