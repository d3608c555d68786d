/**
 * `portcullis serve`'s settings, from where the operator gave them, into the
 * RegistryConfig the server runs on. Four layers, each checked on its own so
 * a mistake is named where it was made (docs/serve.md, "Configuration
 * reference"):
 *
 *   flag > environment (AWS_*, PORTCULLIS_DB) > file (--config) > default
 *
 * Flags map onto keys through the schema (`flag` of each key), with four
 * flags that need more than that: `--storage s3://BUCKET/PREFIX` (three
 * keys), `--no-scan`/`--no-notary`/`--no-ui` (switches), `--deny-unscanned`
 * (the old spelling of the default). Checks that involve two keys run on the
 * effective settings and name each key the way it was given.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { durationMs, fromText, keyEntry, KEYS, networkList, parseAddress, parseProjectSettings, problemWith, rateBytes, readConfigFile, redactUrlPassword, resolveSettings, type ConfigFile, type KeyEntry, type Layer, type ProjectSettingsProvider, type ResolvedSettings, type Source } from '../../server/config-file/index.js';
import type { RegistryConfig, StorageConfig } from '../../server/index.js';
import { createLog, type RegistryLog } from '../../server/log.js';
import { readRegularFile } from '../../core/index.js';
import { defaultDbPath, isPostgresLocation } from '../../vuln/index.js';
import { UsageError } from '../flags.js';
import type { OutputStreams } from '../output.js';
import { oidcSettings } from './serve-config-oidc.js';
import { loadPolicy, openKeyStoreFromEnv } from './trust-shared.js';

/** The flags of `portcullis serve`, as commander hands them over (only those given on the command line). */
export interface ServeOptions {
  config?: string;
  printConfig?: boolean;
  addr?: string;
  root?: string;
  tlsCert?: string;
  tlsKey?: string;
  publicName?: string;
  storage?: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3Redirect?: boolean;
  metadata?: string;
  htpasswd?: string;
  anonymousPull?: boolean;
  /** Accounts, projects, roles and token authentication (docs/serve.md "Accounts, projects and roles"). */
  accounts?: boolean;
  tokenLifetime?: string;
  db?: string;
  scan?: boolean;
  rescanInterval?: string;
  scanWorkers?: string;
  scanLease?: string;
  scanAttempts?: string;
  scanTimeout?: string;
  role?: string;
  dbFrom?: string;
  dbFromInterval?: string;
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
  auditRetention?: string;
  auditQueue?: string;
  requireSignature?: boolean;
  policy?: string;
  notary?: boolean;
  ui?: boolean;
  /** Tests: resolves when the command should stop (instead of a signal). */
  stop?: Promise<void>;
  /** Tests: told the listening URL. */
  onListening?: (url: string) => void;
}

/** Reads the file (when given) and the environment, and resolves every setting with the flags on top. */
export async function resolveServeSettings(options: ServeOptions, env: NodeJS.ProcessEnv): Promise<ResolvedSettings> {
  const file = options.config !== undefined ? await readConfigFile(options.config) : undefined;
  const resolved = resolveSettings([computedDefaults(env), ...(file ? [fileLayer(file)] : []), envLayer(env), flagLayer(options)]);
  checkCombinations(resolved);
  return resolved;
}

/** Flags (and the file they name) → a RegistryConfig ready for startRegistry. */
export async function buildConfig(options: ServeOptions, io: OutputStreams): Promise<RegistryConfig> {
  return toRegistryConfig(await resolveServeSettings(options, io.env), io);
}

/** Defaults that depend on the environment (where the data and the advisory database live by default). */
function computedDefaults(env: NodeJS.ProcessEnv): Layer {
  const values = new Map<string, unknown>([
    ['root', resolve(join(env.XDG_DATA_HOME ?? join(env.HOME ?? homedir(), '.local', 'share'), 'portcullis', 'registry'))],
    ['scan.db', defaultDbPath({ ...env, PORTCULLIS_DB: undefined })],
  ]);
  return { values, source: () => ({ kind: 'default' }) };
}

function fileLayer(file: ConfigFile): Layer {
  const values = new Map<string, unknown>();
  for (const entry of KEYS) {
    let value: unknown = file.values;
    for (const part of entry.path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
    if (value !== undefined) values.set(entry.key, value);
  }
  return { values, source: (entry) => ({ kind: 'file', where: file.where(entry.path) }) };
}

function envLayer(env: NodeJS.ProcessEnv): Layer {
  const values = new Map<string, unknown>();
  const names = new Map<string, string>();
  for (const entry of KEYS) {
    const name = entry.env?.find((n) => (env[n] ?? '') !== '');
    if (!name) continue;
    const value = fromText(entry, env[name]!);
    const problem = problemWith(entry, value);
    if (problem) throw new UsageError(`${name} (${entry.key}): ${entry.secret ? `expected ${entry.expected}` : problem}`);
    values.set(entry.key, value);
    names.set(entry.key, name);
  }
  return { values, source: (entry) => ({ kind: 'env', name: names.get(entry.key) ?? '' }) };
}

const SPECIAL_FLAGS = new Set(['--storage', '--no-scan', '--no-notary', '--no-ui']);

function camel(flag: string): keyof ServeOptions {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof ServeOptions;
}

function flagLayer(options: ServeOptions): Layer {
  const values = new Map<string, unknown>();
  const names = new Map<string, string>();
  const set = (key: string, value: unknown, flag: string): void => {
    values.set(key, value);
    names.set(key, flag);
  };
  for (const entry of KEYS) {
    if (!entry.flag || SPECIAL_FLAGS.has(entry.flag)) continue;
    const given = options[camel(entry.flag)];
    if (given === undefined || typeof given === 'function' || typeof given === 'object') continue;
    const value = typeof given === 'boolean' ? given : fromText(entry, normalise(entry, given));
    const problem = problemWith(entry, value);
    if (problem) throw new UsageError(`${entry.flag} takes ${entry.expected}, not "${entry.secret ? redactUrlPassword(String(given)) : String(given)}"`);
    set(entry.key, value, entry.flag);
  }
  if (options.scan === false) set('scan.enabled', false, '--no-scan');
  if (options.notary === false) set('notary.enabled', false, '--no-notary');
  if (options.ui === false) set('ui.enabled', false, '--no-ui');
  if (options.denyUnscanned) {
    if (options.allowUnscanned) throw new UsageError('--deny-unscanned and --allow-unscanned contradict each other (refusing unscanned images is the default)');
    set('policy.allowUnscanned', false, '--deny-unscanned');
  }
  if (options.storage !== undefined) {
    if (options.storage.startsWith('s3://')) {
      const [bucket = '', ...prefix] = options.storage.slice('s3://'.length).split('/');
      if (problemWith(keyEntry('storage.s3.bucket')!, bucket)) throw new UsageError(`--storage: "${bucket}" is not a valid S3 bucket name`);
      set('storage.kind', 's3', '--storage');
      set('storage.s3.bucket', bucket, '--storage');
      set('storage.s3.prefix', prefix.filter(Boolean).join('/'), '--storage');
    } else {
      set('storage.kind', 'filesystem', '--storage');
    }
  }
  return { values, source: (entry) => ({ kind: 'flag', name: names.get(entry.key) ?? entry.flag ?? '' }) };
}

/** Flags are forgiving about case where the file is not: `--deny-severity critical`, `--log-level INFO`. */
function normalise(entry: KeyEntry, text: string): string {
  if (entry.key === 'policy.denySeverity') return text.toUpperCase();
  if (entry.key === 'log.level' || entry.key === 'log.format') return text.toLowerCase();
  return text;
}

/** Names a key the way the operator gave it: its flag (or variable), else its key. */
function namer(resolved: ResolvedSettings, style: Source['kind']): (key: string) => string {
  return (key) => {
    const source = resolved.sourceOf(key);
    if (source.kind === 'flag' || source.kind === 'env') return source.name;
    const flag = keyEntry(key)?.flag;
    return style === 'flag' && flag ? flag : key;
  };
}

function complain(resolved: ResolvedSettings, subject: string, message: (name: (key: string) => string, style: Source['kind']) => string): never {
  const source = resolved.sourceOf(subject);
  const prefix = source.kind === 'file' ? `${source.where}: ` : '';
  throw new UsageError(`${prefix}${message(namer(resolved, source.kind), source.kind)}`);
}

function given(resolved: ResolvedSettings, key: string): boolean {
  return resolved.sourceOf(key).kind !== 'default';
}

function checkCombinations(resolved: ResolvedSettings): void {
  const s = resolved.settings;
  if ((s.listen.tls.cert === undefined) !== (s.listen.tls.key === undefined)) {
    complain(resolved, s.listen.tls.cert !== undefined ? 'listen.tls.cert' : 'listen.tls.key', (n) => `${n('listen.tls.cert')} and ${n('listen.tls.key')} go together`);
  }
  if (s.auth.anonymousPull && s.auth.accounts) {
    complain(resolved, 'auth.anonymousPull', (n) => `${n('auth.anonymousPull')} does not apply with ${n('auth.accounts')}: make projects public instead (portcullis registry project create NAME --public)`);
  }
  if (s.auth.anonymousPull && !s.auth.htpasswd) complain(resolved, 'auth.anonymousPull', (n) => `${n('auth.anonymousPull')} only makes sense with ${n('auth.htpasswd')}`);
  // A file may keep these written out while they are off; a flag for them without what they apply to is a mistake.
  const limit = ['auth.loginLimits.failuresPerUser', 'auth.loginLimits.failuresPerAddress', 'auth.loginLimits.window'].find((k) => resolved.sourceOf(k).kind === 'flag');
  if (limit && !s.auth.htpasswd && !s.auth.accounts) complain(resolved, limit, (n) => `${n(limit)} only makes sense with ${n('auth.htpasswd')} or ${n('auth.accounts')}`);
  if (resolved.sourceOf('auth.tokenLifetime').kind === 'flag' && !s.auth.accounts) complain(resolved, 'auth.tokenLifetime', (n) => `${n('auth.tokenLifetime')} only makes sense with ${n('auth.accounts')}`);
  if (given(resolved, 'notary.keyEncryptionKey') && given(resolved, 'notary.keyEncryptionKeyFile')) {
    complain(resolved, 'notary.keyEncryptionKeyFile', (n) => `set ${n('notary.keyEncryptionKey')} or ${n('notary.keyEncryptionKeyFile')}, not both`);
  }
  if (given(resolved, 'auth.adminPassword') && given(resolved, 'auth.adminPasswordFile')) {
    complain(resolved, 'auth.adminPasswordFile', (n) => `set ${n('auth.adminPassword')} or ${n('auth.adminPasswordFile')}, not both`);
  }
  if (s.oidc.issuer !== undefined && !s.auth.accounts) complain(resolved, 'oidc.issuer', (n) => `${n('oidc.issuer')} needs ${n('auth.accounts')}: OIDC users become accounts of the registry`);
  const allowSource = resolved.sourceOf('policy.allowUnscanned');
  if (!s.policy.denySeverity && (s.policy.allowUnscanned || allowSource.kind === 'flag')) {
    complain(resolved, 'policy.allowUnscanned', (n) => `${n('policy.allowUnscanned')} needs ${n('policy.denySeverity')}`);
  }
  if (s.policy.denySeverity && !s.scan.enabled) {
    complain(resolved, 'policy.denySeverity', (n) => `${n('policy.denySeverity')} refuses every image without a complete scan, and ${n('scan.enabled')} ${resolved.sourceOf('scan.enabled').kind === 'flag' ? '' : 'false '}scans nothing: drop one of them`);
  }
  if (s.policy.file && !s.policy.requireSignature && !s.scan.dbFrom) complain(resolved, 'policy.file', (n) => `${n('policy.file')} needs ${n('policy.requireSignature')} (or ${n('scan.dbFrom')}, whose signature it checks)`);
  if (s.scan.dbFrom && s.scan.db && isPostgresLocation(s.scan.db)) complain(resolved, 'scan.dbFrom', (n) => `${n('scan.dbFrom')} pulls a SQLite database file, and ${n('scan.db')} names PostgreSQL: fill that with "portcullis db update --db postgres://…" instead`);
  if (s.scan.dbFrom && !s.scan.enabled) complain(resolved, 'scan.dbFrom', (n) => `${n('scan.dbFrom')} pulls a database for scans, and ${n('scan.enabled')} ${resolved.sourceOf('scan.enabled').kind === 'flag' ? '' : 'false '}scans nothing: drop one of them`);
  if (s.role !== 'all' && !s.metadata.url) complain(resolved, 'role', (n) => `${n('role')} ${s.role} needs ${n('metadata.url')}: the processes share a PostgreSQL database`);
  if (s.role === 'worker' && !s.scan.enabled) complain(resolved, 'role', (n) => `${n('role')} worker takes scans, and ${n('scan.enabled')} ${resolved.sourceOf('scan.enabled').kind === 'flag' ? '' : 'false '}scans nothing: drop one of them`);
  if (s.storage.kind === 's3' && !s.storage.s3.bucket) complain(resolved, 'storage.kind', () => 'storage.kind s3 needs storage.s3.bucket');
  if (s.storage.kind === 'filesystem') {
    const s3Key = KEYS.find((k) => k.key.startsWith('storage.s3.') && ['flag', 'file'].includes(resolved.sourceOf(k.key).kind));
    if (s3Key) complain(resolved, s3Key.key, (n, style) => `${n(s3Key.key)} needs ${style === 'flag' ? '--storage s3://BUCKET[/PREFIX]' : 'storage.kind s3'}`);
  }
  for (const [inline, file] of [['storage.s3.accessKeyId', 'storage.s3.accessKeyIdFile'], ['storage.s3.secretAccessKey', 'storage.s3.secretAccessKeyFile']] as const) {
    if (resolved.sourceOf(inline).kind === 'file' && given(resolved, file)) complain(resolved, file, () => `give ${inline} or ${file}, not both`);
  }
}

/** The effective settings as the server's RegistryConfig; `log` keeps the running log on a reload. */
export async function toRegistryConfig(resolved: ResolvedSettings, io: OutputStreams, log?: RegistryLog): Promise<RegistryConfig> {
  const s = resolved.settings;
  const env = io.env;
  const listen = parseAddress(s.listen.addr)!;
  let requireSignature: RegistryConfig['requireSignature'];
  if (s.policy.requireSignature || s.scan.dbFrom) {
    const loaded = await loadPolicy(s.policy.file, env);
    requireSignature = { keys: openKeyStoreFromEnv(env), ...(loaded.policy ? { policy: loaded.policy } : {}), policyKeys: loaded.keys };
  }
  const dbFrom = s.scan.dbFrom && requireSignature
    ? { reference: s.scan.dbFrom, intervalMs: durationMs(s.scan.dbFromInterval), trust: { store: requireSignature.keys, ...(requireSignature.policy ? { policy: requireSignature.policy } : {}), policyKeys: requireSignature.policyKeys ?? [] } }
    : undefined;
  const metrics = s.metrics.addr !== undefined ? parseAddress(s.metrics.addr)! : undefined;
  return {
    root: s.root!,
    // `:5000` listens on every interface, as Go's and Node's listeners do.
    host: listen.hostGiven ? listen.host : '0.0.0.0',
    port: listen.port,
    ...(s.listen.tls.cert && s.listen.tls.key ? { tls: { certFile: resolve(s.listen.tls.cert), keyFile: resolve(s.listen.tls.key) } } : {}),
    ...(s.listen.publicName ? { publicName: s.listen.publicName } : {}),
    storage: await storageConfig(resolved),
    ...(s.metadata.url ? { metadataUrl: await metadataUrl(s.metadata.url, s.metadata.passwordFile, env) } : {}),
    ...(s.auth.htpasswd ? { htpasswd: resolve(s.auth.htpasswd) } : {}),
    anonymousPull: s.auth.anonymousPull,
    ...(s.auth.accounts ? { accounts: await accountsSettings(s) } : {}),
    ...(s.auth.htpasswd || s.auth.accounts
      ? { loginLimits: { perUser: s.auth.loginLimits.failuresPerUser, perAddress: s.auth.loginLimits.failuresPerAddress, windowMs: durationMs(s.auth.loginLimits.window) } }
      : {}),
    uploadPurgeAgeMs: durationMs(s.uploads.purgeAge),
    maxUploadsPerClient: s.uploads.maxPerClient,
    // `:9090` means loopback: metrics are the operator's.
    ...(metrics ? { metricsAddr: { host: metrics.hostGiven ? metrics.host : '127.0.0.1', port: metrics.port } } : {}),
    role: s.role,
    scan: s.scan.enabled
      ? { dbPath: isPostgresLocation(s.scan.db!) ? s.scan.db! : resolve(s.scan.db!), rescanIntervalMs: durationMs(s.scan.rescanInterval), concurrency: s.scan.workers, leaseTtlMs: durationMs(s.scan.leaseTtl), maxAttempts: s.scan.attempts, timeoutMs: durationMs(s.scan.timeout), limits: { maxLayers: s.scan.maxLayers, maxEntries: s.scan.maxEntries }, ...(dbFrom ? { dbFrom } : {}) }
      : false,
    ...(s.policy.denySeverity ? { denySeverity: s.policy.denySeverity as NonNullable<RegistryConfig['denySeverity']> } : {}),
    allowUnscanned: s.policy.allowUnscanned,
    ...(requireSignature && s.policy.requireSignature ? { requireSignature } : {}),
    gc: { intervalMs: durationMs(s.gc.interval), graceMs: durationMs(s.gc.grace), untaggedRetentionMs: durationMs(s.gc.untaggedRetention) },
    ...(s.gc.projectSettings ? { projectSettings: await loadProjectSettings(s.gc.projectSettings) } : {}),
    audit: { retentionMs: durationMs(s.audit.retention), queueSize: s.audit.queue },
    webhooks: {
      workers: s.webhooks.workers,
      timeoutMs: durationMs(s.webhooks.timeout),
      connectTimeoutMs: durationMs(s.webhooks.connectTimeout),
      maxAttempts: s.webhooks.maxAttempts,
      retentionMs: durationMs(s.webhooks.deliveryRetention),
      allowedNetworks: networkList(s.webhooks.allowedNetworks),
    },
    notary: s.notary.enabled,
    ...(s.notary.keyEncryptionKey !== undefined ? { notaryKeyEncryption: { key: s.notary.keyEncryptionKey } } : {}),
    ...(s.notary.keyEncryptionKeyFile !== undefined ? { notaryKeyEncryption: { file: resolve(s.notary.keyEncryptionKeyFile) } } : {}),
    ui: s.ui.enabled,
    connections: {
      headersTimeoutMs: durationMs(s.limits.headersTimeout),
      requestTimeoutMs: durationMs(s.limits.requestTimeout),
      idleTimeoutMs: durationMs(s.limits.idleTimeout),
      minBodyBytesPerSecond: rateBytes(s.limits.minBodyRate),
      maxConnectionsPerAddress: s.limits.maxConnsPerAddress,
      maxConnections: s.limits.maxConns,
    },
    log: log ?? createLog({ level: s.log.level, format: s.log.format, destination: io.stdout }),
    settings: s,
  };
}

/** `accounts`: the first administrator's password (inline, from the environment, or from a file) and the token lifetime. */
async function accountsSettings(s: ResolvedSettings['settings']): Promise<NonNullable<RegistryConfig['accounts']>> {
  const adminPassword = s.auth.adminPassword ?? (s.auth.adminPasswordFile ? await secretFile(s.auth.adminPasswordFile, 'auth.adminPasswordFile') : undefined);
  if (adminPassword !== undefined && adminPassword.length < 12) throw new UsageError('auth.adminPasswordFile: the administrator password must be at least 12 characters');
  const oidc = await oidcSettings(s, secretFile);
  return { ...(adminPassword !== undefined ? { adminPassword } : {}), tokenTtlSeconds: Math.floor(durationMs(s.auth.tokenLifetime) / 1000), ...(oidc ? { oidc } : {}) };
}

async function storageConfig(resolved: ResolvedSettings): Promise<StorageConfig> {
  const s = resolved.settings.storage;
  if (s.kind === 'filesystem') return { kind: 'filesystem' };
  const accessKeyId = s.s3.accessKeyId ?? (s.s3.accessKeyIdFile ? await secretFile(s.s3.accessKeyIdFile, 'storage.s3.accessKeyIdFile') : undefined);
  const secretAccessKey = s.s3.secretAccessKey ?? (s.s3.secretAccessKeyFile ? await secretFile(s.s3.secretAccessKeyFile, 'storage.s3.secretAccessKeyFile') : undefined);
  if (!accessKeyId || !secretAccessKey) {
    const byFlag = resolved.sourceOf('storage.kind').kind === 'flag';
    throw new UsageError(
      byFlag
        ? '--storage s3://… needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (or storage.s3.accessKeyId and storage.s3.secretAccessKeyFile in the configuration file)'
        : 'storage.kind s3 needs credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or storage.s3.accessKeyId (or accessKeyIdFile) and storage.s3.secretAccessKeyFile in the configuration file',
    );
  }
  return {
    kind: 's3',
    bucket: s.s3.bucket!,
    prefix: s.s3.prefix,
    ...(s.s3.endpoint ? { endpoint: s.s3.endpoint } : {}),
    region: s.s3.region,
    accessKeyId,
    secretAccessKey,
    // Custom endpoints (MinIO, Swift, Ceph) rarely do virtual-hosted buckets.
    forcePathStyle: s.s3.forcePathStyle ?? s.s3.endpoint !== undefined,
    redirect: s.s3.redirect,
  };
}

/** Reads the per-project settings file (YAML or JSON); a mistake names the key (exit 2). */
export async function loadProjectSettings(path: string): Promise<ProjectSettingsProvider> {
  let text: string;
  try {
    text = (await readRegularFile(path, { what: `gc.projectSettings ${path}`, maxBytes: 1024 * 1024 })).toString('utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(`gc.projectSettings: cannot read ${path}: ${typeof code === 'string' ? code : (error as Error).message}`);
  }
  return parseProjectSettings(text, path);
}

/** A secret kept in a file (a mounted Kubernetes or Docker secret): its first line, at most 4 KiB. */
async function secretFile(path: string, key: string): Promise<string> {
  let text: string;
  try {
    text = (await readRegularFile(path, { what: `${key} ${path}`, maxBytes: 4096 })).toString('utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(`${key}: cannot read ${path}: ${typeof code === 'string' ? code : (error as Error).message}`);
  }
  const secret = text.split(/\r?\n/, 1)[0]!.trim();
  if (secret === '') throw new UsageError(`${key}: ${path} is empty`);
  return secret;
}

/** The metadata URL, with the password from `passwordFile` when neither the URL nor PGPASSWORD has one. */
async function metadataUrl(url: string, passwordFile: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  if (!passwordFile || env.PGPASSWORD) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError('metadata.url is not a valid URL');
  }
  if (parsed.password !== '') return url;
  parsed.password = encodeURIComponent(await secretFile(passwordFile, 'metadata.passwordFile'));
  return parsed.toString();
}
