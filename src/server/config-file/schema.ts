/**
 * Every setting of `portcullis serve`, in one place: its key in the
 * configuration file, its type and range, its default, the flag and the
 * environment variables that set it too, whether a reload (SIGHUP) applies it
 * without a restart, and whether it is a secret. Adding a setting is adding
 * one `key(…)` here, then using it (`src/cli/commands/serve-config.ts` maps
 * the effective settings onto a RegistryConfig).
 *
 * Why zod (4): the schema is TypeScript, so the type of the effective
 * settings (`Settings`) is inferred from it and cannot drift from it; its
 * issues carry the path of the offending key, which `read.ts` turns into a
 * line and column with the yaml package's node ranges; strict objects report
 * unknown keys; and `z.toJSONSchema` writes the same schema as JSON Schema for
 * editors (docs/serve-config.schema.json, checked against this file by a test).
 * Messages are ours, not zod's: every key says what it expects in words
 * ("a whole number from 1 to 64"), used for the file, flags and environment alike.
 */
import { z } from 'zod';
import { SEVERITY_LEVELS } from '../../core/index.js';
import { DEFAULT_MAX_ENTRIES, DEFAULT_MAX_LAYERS } from '../../layers/index.js';
import { checkIssuer, DEFAULT_OIDC_SCOPES, DEFAULT_USERNAME_CLAIM } from '../auth/oidc-settings.js';
import { isNetworkEntry } from '../webhooks/targets.js';
import { address, BUCKET, count, countWords, duration, durationWords, MANY, path, RATE_TEXT, switchWords } from './values.js';

/** How a value is read from a flag or an environment variable, and whether a file's relative path is resolved. */
export type KeyKind = 'path' | 'count' | 'duration' | 'rate' | 'switch' | 'text' | 'choice' | 'address' | 'url';
/** `live`: a reload applies it; `restart`: a reload reports that it changed and keeps the running value. */
export type Reload = 'live' | 'restart';

export interface KeyInfo {
  readonly kind: KeyKind;
  /** One line for the reference, `--help` and editors. */
  readonly description: string;
  /** What a valid value is, in words: "a whole number from 1 to 64". */
  readonly expected: string;
  /** The default, as the reference shows it (undefined: unset). */
  readonly shownDefault?: string;
  /** The command-line flag, `--scan-workers` (`--no-scan` for a switch that is on by default). */
  readonly flag?: string;
  /** Environment variables that set it, first one set wins. */
  readonly env?: readonly string[];
  readonly reload: Reload;
  /** Printed as `***` by --print-config. */
  readonly secret?: boolean;
}

export interface KeyEntry extends KeyInfo {
  /** `scan.workers` */
  readonly key: string;
  readonly path: readonly string[];
  readonly schema: z.ZodType;
}

const LEAVES = new WeakMap<z.ZodType, KeyInfo>();
const SECTIONS = new WeakMap<z.ZodType, Readonly<Record<string, z.ZodType>>>();

function key<T extends z.ZodType>(schema: T, info: KeyInfo): T {
  const described = schema.meta({
    description: info.description,
    ...(info.flag ? { 'x-flag': info.flag } : {}),
    ...(info.env ? { 'x-env': [...info.env] } : {}),
    'x-reload': info.reload,
    ...(info.secret ? { 'x-secret': true } : {}),
  }) as T;
  LEAVES.set(described, info);
  return described;
}

function section<S extends Record<string, z.ZodType>>(shape: S, description: string) {
  // Absent sections are empty ones, so the defaults inside them apply.
  const schema = z.strictObject(shape).prefault({} as never).meta({ description });
  SECTIONS.set(schema, shape);
  return schema;
}

export const LOG_LEVEL_CHOICES = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export const LOG_FORMAT_CHOICES = ['json', 'text'] as const;
const SEVERITIES = SEVERITY_LEVELS as unknown as readonly [string, ...string[]];

/** The configuration file, as `portcullis serve --config FILE` reads it. */
export const SETTINGS_SCHEMA = z
  .strictObject({
    root: key(path().optional(), {
      kind: 'path',
      description: 'Data folder: blobs (filesystem storage), registry.sqlite, Notary data.',
      expected: 'a folder path',
      shownDefault: '$XDG_DATA_HOME/portcullis/registry (~/.local/share/portcullis/registry)',
      flag: '--root',
      reload: 'restart',
    }),
    role: key(z.enum(['all', 'api', 'worker']).default('all'), { kind: 'choice', description: 'What this process does among several sharing one PostgreSQL database: api (answer clients, queue scans), worker (take scans; answers only /healthz, /readyz and /metrics), all (both).', expected: 'all, api or worker', shownDefault: 'all', flag: '--role', env: ['PORTCULLIS_ROLE'], reload: 'restart' }),
    listen: section(
      {
        addr: key(address().default('127.0.0.1:5000'), {
          kind: 'address',
          description: 'Address to listen on (HOST:PORT; 0.0.0.0 for every interface).',
          expected: 'HOST:PORT, such as 127.0.0.1:5000',
          shownDefault: '127.0.0.1:5000',
          flag: '--addr',
          reload: 'restart',
        }),
        publicName: key(z.string().min(1).max(255).optional(), {
          kind: 'text',
          description: 'HOST[:PORT] clients use to name this registry (signature identities).',
          expected: 'HOST[:PORT]',
          shownDefault: 'the listen address',
          flag: '--public-name',
          reload: 'restart',
        }),
        tls: section(
          {
            cert: key(path().optional(), { kind: 'path', description: 'TLS certificate (PEM); with tls.key, serve HTTPS.', expected: 'a file path', flag: '--tls-cert', reload: 'restart' }),
            key: key(path().optional(), { kind: 'path', description: 'TLS private key (PEM).', expected: 'a file path', flag: '--tls-key', reload: 'restart' }),
          },
          'HTTPS.',
        ),
      },
      'Where the registry listens.',
    ),
    storage: section(
      {
        kind: key(z.enum(['filesystem', 's3']).default('filesystem'), {
          kind: 'choice',
          description: 'Where blobs are kept: a folder in root, or an S3-compatible bucket.',
          expected: 'filesystem or s3',
          shownDefault: 'filesystem',
          flag: '--storage',
          reload: 'restart',
        }),
        s3: section(
          {
            bucket: key(z.string().regex(BUCKET).optional(), { kind: 'text', description: 'Bucket name.', expected: 'an S3 bucket name (3 to 63 of a-z, 0-9, dots and dashes)', flag: '--storage', reload: 'restart' }),
            prefix: key(z.string().max(512).default(''), { kind: 'text', description: 'Key prefix inside the bucket.', expected: 'a key prefix', shownDefault: '(none)', flag: '--storage', reload: 'restart' }),
            endpoint: key(z.url().optional(), { kind: 'url', description: 'S3 endpoint URL (MinIO, Swift, Ceph…).', expected: 'a URL such as http://127.0.0.1:9000', shownDefault: 'AWS', flag: '--s3-endpoint', env: ['AWS_ENDPOINT_URL'], reload: 'restart' }),
            region: key(z.string().min(1).max(64).default('us-east-1'), { kind: 'text', description: 'S3 region.', expected: 'a region name', shownDefault: 'us-east-1', flag: '--s3-region', env: ['AWS_REGION'], reload: 'restart' }),
            redirect: key(z.boolean().default(false), { kind: 'switch', description: 'Answer blob GETs with a 307 to a presigned S3 URL (valid 20 minutes), as distribution\'s redirect option does: clients fetch the bytes from S3 itself, so the endpoint must be reachable by them.', expected: switchWords, shownDefault: 'false', flag: '--s3-redirect', reload: 'restart' }),
            forcePathStyle: key(z.boolean().optional(), { kind: 'switch', description: 'Path-style bucket URLs (what most non-AWS endpoints need).', expected: switchWords, shownDefault: 'true with an endpoint, else false', reload: 'restart' }),
            accessKeyId: key(z.string().min(1).max(256).optional(), { kind: 'text', description: 'Access key id.', expected: 'an access key id', env: ['AWS_ACCESS_KEY_ID'], reload: 'restart' }),
            accessKeyIdFile: key(path().optional(), { kind: 'path', description: 'File holding the access key id.', expected: 'a file path', reload: 'restart' }),
            secretAccessKey: key(z.string().min(1).max(256).optional(), { kind: 'text', description: 'Secret access key (prefer secretAccessKeyFile or the environment).', expected: 'a secret access key', env: ['AWS_SECRET_ACCESS_KEY'], reload: 'restart', secret: true }),
            secretAccessKeyFile: key(path().optional(), { kind: 'path', description: 'File holding the secret access key (a mounted secret).', expected: 'a file path', reload: 'restart' }),
          },
          'With storage.kind s3: the bucket and its credentials.',
        ),
      },
      'Blob storage.',
    ),
    metadata: section(
      {
        url: key(z.string().regex(/^postgres(ql)?:\/\//).max(2048).optional(), {
          kind: 'url',
          description: 'postgres://USER@HOST/DB for metadata shared by several processes.',
          expected: 'a postgres:// URL',
          shownDefault: 'SQLite in root',
          flag: '--metadata',
          reload: 'restart',
          secret: true,
        }),
        passwordFile: key(path().optional(), { kind: 'path', description: 'File holding the PostgreSQL password (PGPASSWORD wins when set).', expected: 'a file path', reload: 'restart' }),
      },
      'Where the registry keeps what it knows (repositories, tags, scans).',
    ),
    auth: section(
      {
        htpasswd: key(path().optional(), {
          kind: 'path',
          description: 'Require Basic authentication against this htpasswd file (bcrypt); re-read on reload. Turning authentication on or off needs a restart.',
          expected: 'a file path',
          shownDefault: 'none: anyone may push',
          flag: '--htpasswd',
          reload: 'live',
        }),
        anonymousPull: key(z.boolean().default(false), { kind: 'switch', description: 'With htpasswd: allow pulls without credentials.', expected: switchWords, shownDefault: 'false', flag: '--anonymous-pull', reload: 'live' }),
        accounts: key(z.boolean().default(false), {
          kind: 'switch',
          description: 'Users, robots, projects and roles kept in the metadata store, with Docker token auth at /token and the admin API at /api/v1/ (htpasswd users, when given, sign in too).',
          expected: switchWords,
          shownDefault: 'false',
          flag: '--accounts',
          reload: 'restart',
        }),
        tokenLifetime: key(duration(10_000, 86_400_000).default('5m'), { kind: 'duration', description: 'With accounts: how long access tokens last (they cannot be revoked, only outlived).', expected: durationWords(10_000, 86_400_000), shownDefault: '5m', flag: '--token-lifetime', reload: 'restart' }),
        adminPassword: key(z.string().min(12).max(1024).optional(), { kind: 'text', description: 'With accounts: the first administrator\'s password, used only when there is none yet (else one is generated and shown once).', expected: 'at least 12 characters', shownDefault: 'generated', env: ['PORTCULLIS_ADMIN_PASSWORD'], reload: 'restart', secret: true }),
        adminPasswordFile: key(path().optional(), { kind: 'path', description: 'With accounts: a file holding the first administrator\'s password (a mounted secret).', expected: 'a file path', env: ['PORTCULLIS_ADMIN_PASSWORD_FILE'], reload: 'restart' }),
        loginLimits: section(
          {
            failuresPerUser: key(count(1, MANY).default(10), { kind: 'count', description: 'Failed logins per user name within the window before 429.', expected: countWords(1, MANY), shownDefault: '10', flag: '--max-login-failures-per-user', reload: 'live' }),
            failuresPerAddress: key(count(1, MANY).default(30), { kind: 'count', description: 'Failed logins per client address within the window before 429.', expected: countWords(1, MANY), shownDefault: '30', flag: '--max-login-failures-per-ip', reload: 'live' }),
            window: key(duration(1000).default('5m'), { kind: 'duration', description: 'The window failed logins are counted over.', expected: durationWords(1000), shownDefault: '5m', flag: '--login-failure-window', reload: 'live' }),
          },
          'With htpasswd or accounts: how many failed logins before 429.',
        ),
      },
      'Who may push and pull.',
    ),
    scan: section(
      {
        enabled: key(z.boolean().default(true), { kind: 'switch', description: 'Scan pushed images.', expected: switchWords, shownDefault: 'true', flag: '--no-scan', reload: 'restart' }),
        db: key(path().optional(), {
          kind: 'path',
          description: 'The advisory database scans use: a SQLite file, or a PostgreSQL advisory store (postgres://…) that every serve process shares and one db import or db update fills.',
          expected: 'a file path or postgres://USER@HOST/DATABASE',
          shownDefault: '$PORTCULLIS_DB or ~/.cache/portcullis/db/advisories.sqlite',
          flag: '--db',
          env: ['PORTCULLIS_DB'],
          reload: 'restart',
        }),
        workers: key(count(1, 64).default(1), { kind: 'count', description: 'Images scanned in parallel.', expected: countWords(1, 64), shownDefault: '1', flag: '--scan-workers', reload: 'restart' }),
        rescanInterval: key(duration(0).default('60s'), { kind: 'duration', description: 'How often to check the advisory database for changes (0: only at start).', expected: durationWords(0), shownDefault: '60s', flag: '--rescan-interval', reload: 'restart' }),
        dbFrom: key(z.string().regex(/^docker:\/\/\S+$/).max(1024).optional(), { kind: 'text', description: 'Keep the advisory database current by pulling this signed artifact (db push --sign), verified under the trust policy before use.', expected: 'docker://HOST/REPOSITORY[:TAG]', shownDefault: '(none: run db update beside the registry)', flag: '--db-from', env: ['PORTCULLIS_DB_FROM'], reload: 'restart' }),
        dbFromInterval: key(duration(60_000).default('1h'), { kind: 'duration', description: 'With dbFrom: how often to pull it (a digest already pulled is not downloaded again).', expected: durationWords(60_000), shownDefault: '1h', flag: '--db-from-interval', reload: 'restart' }),
        leaseTtl: key(duration(1000, 3_600_000).default('60s'), { kind: 'duration', description: 'How long a worker holds a scan job without renewing its lease (renewed every third of it); a worker that dies loses the job to another after this.', expected: durationWords(1000, 3_600_000), shownDefault: '60s', flag: '--scan-lease', reload: 'restart' }),
        timeout: key(duration(1000, 7 * 86_400_000).default('30m'), { kind: 'duration', description: 'A scan running longer is stopped and recorded as failed with the reason (refused at pull like every failed scan).', expected: durationWords(1000, 7 * 86_400_000), shownDefault: '30m', flag: '--scan-timeout', reload: 'restart' }),
        attempts: key(count(1, 20).default(3), { kind: 'count', description: 'Workers that may take a scan job (one dying mid-scan counts) before the scan is failed.', expected: countWords(1, 20), shownDefault: '3', flag: '--scan-attempts', reload: 'restart' }),
        maxLayers: key(count(1, MANY).default(DEFAULT_MAX_LAYERS), { kind: 'count', description: 'Layers a scan reads at most; an image with more is scanned incomplete (refused at pull), naming this setting.', expected: countWords(1, MANY), shownDefault: '1000', env: ['PORTCULLIS_MAX_LAYERS'], reload: 'restart' }),
        maxEntries: key(count(1, MANY).default(DEFAULT_MAX_ENTRIES), { kind: 'count', description: 'Tar entries a scan visits at most over all layers (a layer listed n times counts n times); past it the scan is incomplete (refused at pull), naming this setting.', expected: countWords(1, MANY), shownDefault: '2000000', env: ['PORTCULLIS_MAX_ENTRIES'], reload: 'restart' }),
      },
      'Scanning of pushed images.',
    ),
    policy: section(
      {
        denySeverity: key(z.enum(SEVERITIES).optional(), {
          kind: 'choice',
          description: 'Refuse images with findings of this severity or worse, and images without a complete scan.',
          expected: `one of ${SEVERITY_LEVELS.join(', ')}`,
          shownDefault: 'none',
          flag: '--deny-severity',
          reload: 'live',
        }),
        allowUnscanned: key(z.boolean().default(false), { kind: 'switch', description: 'With denySeverity: serve images that have no scan result yet (never failed or partial ones).', expected: switchWords, shownDefault: 'false', flag: '--allow-unscanned', reload: 'live' }),
        requireSignature: key(z.boolean().default(false), { kind: 'switch', description: 'Refuse images without a valid signature by a key trusted for the repository, or Docker Content Trust in the registry\'s own Notary data.', expected: switchWords, shownDefault: 'false', flag: '--require-signature', reload: 'live' }),
        file: key(path().optional(), { kind: 'path', description: 'Trust policy file for requireSignature (docs/signing.md), re-read on reload; and for the signature of scan.dbFrom, read at start.', expected: 'a file path', shownDefault: '$PORTCULLIS_HOME/policy.yaml when it exists', flag: '--policy', reload: 'live' }),
      },
      'What the registry refuses to serve.',
    ),
    uploads: section(
      {
        purgeAge: key(duration(60_000, 365 * 86_400_000).default('24h'), { kind: 'duration', description: 'Remove uploads untouched this long (checked hourly).', expected: durationWords(60_000, 365 * 86_400_000), shownDefault: '24h', flag: '--upload-purge-age', reload: 'live' }),
        maxPerClient: key(count(1, MANY).default(1000), { kind: 'count', description: 'Open upload sessions per user (or address, when anonymous) before 429.', expected: countWords(1, MANY), shownDefault: '1000', flag: '--max-uploads-per-client', reload: 'live' }),
      },
      'Upload sessions.',
    ),
    limits: section(
      {
        headersTimeout: key(duration(1000).default('10s'), { kind: 'duration', description: 'Time a client has to send its request headers.', expected: durationWords(1000), shownDefault: '10s', flag: '--headers-timeout', reload: 'restart' }),
        requestTimeout: key(duration(1000).default('1h'), { kind: 'duration', description: 'Time a client has to send a whole request, body included.', expected: durationWords(1000), shownDefault: '1h', flag: '--request-timeout', reload: 'restart' }),
        idleTimeout: key(duration(1000).default('60s'), { kind: 'duration', description: 'Close connections silent this long.', expected: durationWords(1000), shownDefault: '60s', flag: '--idle-timeout', reload: 'restart' }),
        minBodyRate: key(z.union([z.int().min(0), z.string().regex(RATE_TEXT)]).default('1KiB'), { kind: 'rate', description: 'Cut request bodies slower than this per second (0: off).', expected: 'a rate in bytes per second such as 1KiB, 512 or 0 (off)', shownDefault: '1KiB', flag: '--min-body-rate', reload: 'restart' }),
        maxConnsPerAddress: key(count(1, MANY).default(64), { kind: 'count', description: 'Open connections allowed per client address.', expected: countWords(1, MANY), shownDefault: '64', flag: '--max-conns-per-ip', reload: 'restart' }),
        maxConns: key(count(1, MANY).default(4096), { kind: 'count', description: 'Open connections allowed in all.', expected: countWords(1, MANY), shownDefault: '4096', flag: '--max-conns', reload: 'restart' }),
      },
      'Timeouts and connection caps (docs/serve.md, "Security model").',
    ),
    gc: section(
      {
        interval: key(z.union([z.literal(0), z.literal('0'), duration(60_000)]).default('24h'), {
          kind: 'duration',
          description: 'Run garbage collection this often (0: only on demand, POST /api/v1/gc or portcullis registry gc).',
          expected: `0, or ${durationWords(60_000)}`,
          shownDefault: '24h',
          flag: '--gc-interval',
          reload: 'restart',
        }),
        grace: key(duration(0).default('1h'), { kind: 'duration', description: 'Never collect blobs touched (uploaded, linked, checked by a pusher) within this time.', expected: durationWords(0), shownDefault: '1h', flag: '--gc-grace', reload: 'restart' }),
        untaggedRetention: key(duration(0, 3650 * 86_400_000).default('7d'), {
          kind: 'duration',
          description: 'Keep untagged manifests this long before collecting them (projects may set their own).',
          expected: durationWords(0, 3650 * 86_400_000),
          shownDefault: '7d',
          flag: '--untagged-retention',
          reload: 'restart',
        }),
        projectSettings: key(path().optional(), { kind: 'path', description: 'Per-project quotas, tag retention rules and vulnerability thresholds (YAML or JSON; docs/serve.md "Retention and quotas").', expected: 'a file path', shownDefault: 'none: no quotas, every tag kept', flag: '--project-settings', reload: 'restart' }),
      },
      'Garbage collection, retention and quotas (docs/serve.md "Garbage collection").',
    ),
    audit: section(
      {
        retention: key(duration(0, 3650 * 86_400_000).default('90d'), { kind: 'duration', description: 'Keep audit events this long (0: forever); older ones are removed hourly.', expected: durationWords(0, 3650 * 86_400_000), shownDefault: '90d', flag: '--audit-retention', reload: 'restart' }),
        queue: key(count(100, 1_000_000).default(10_000), { kind: 'count', description: 'Audit events waiting to be stored, at most; past it they are counted as dropped (they stay in the log).', expected: countWords(100, 1_000_000), shownDefault: '10000', flag: '--audit-queue', reload: 'restart' }),
      },
      'The audit log (docs/serve.md "Audit log"): kept in the metadata store with accounts, always in the log (event audit).',
    ),
    webhooks: section(
      {
        workers: key(count(1, 64).default(4), { kind: 'count', description: 'Webhook deliveries sent at once.', expected: countWords(1, 64), shownDefault: '4', reload: 'restart' }),
        timeout: key(duration(1000, 300_000).default('10s'), { kind: 'duration', description: 'Deadline for one webhook request, from connecting to the end of the answer.', expected: durationWords(1000, 300_000), shownDefault: '10s', reload: 'restart' }),
        connectTimeout: key(duration(1000, 60_000).default('5s'), { kind: 'duration', description: 'Deadline for connecting to a webhook receiver.', expected: durationWords(1000, 60_000), shownDefault: '5s', reload: 'restart' }),
        maxAttempts: key(count(1, 100).default(8), { kind: 'count', description: 'Attempts before a delivery is marked failed (waits double from 10s, at most 1h, with jitter).', expected: countWords(1, 100), shownDefault: '8', reload: 'restart' }),
        allowedNetworks: key(z.union([z.string().max(4096), z.array(z.string().max(64)).max(256)]).default('').refine((v) => networkList(v).every(isNetworkEntry)), {
          kind: 'text',
          description: 'What webhook targets may be besides public addresses: loopback, private, link-local or CIDR ranges (none by default: no request to the registry\'s own network).',
          expected: 'a list (or comma-separated text) of loopback, private, link-local or CIDR ranges such as 10.1.0.0/16',
          shownDefault: '(none)',
          reload: 'restart',
        }),
        deliveryRetention: key(duration(3_600_000, 3650 * 86_400_000).default('30d'), { kind: 'duration', description: 'Keep delivered and failed deliveries in the log this long.', expected: durationWords(3_600_000, 3650 * 86_400_000), shownDefault: '30d', reload: 'restart' }),
      },
      'Webhooks of projects (docs/serve.md "Webhooks"; with auth.accounts).',
    ),
    notary: section(
      {
        enabled: key(z.boolean().default(true), { kind: 'switch', description: 'Serve the Notary v1 trust service.', expected: switchWords, shownDefault: 'true', flag: '--no-notary', reload: 'restart' }),
        keyEncryptionKey: key(z.string().min(1).max(256).optional(), { kind: 'text', description: 'Key sealing the Notary server keys (timestamp, snapshot) in the metadata store; prefer keyEncryptionKeyFile.', expected: '32 bytes, base64 or hex', shownDefault: 'made in the data folder (SQLite); required with PostgreSQL', env: ['PORTCULLIS_NOTARY_KEY'], reload: 'restart', secret: true }),
        keyEncryptionKeyFile: key(path().optional(), { kind: 'path', description: 'File holding the key that seals the Notary server keys (a mounted secret); every process sharing a PostgreSQL database needs the same one.', expected: 'a file path', env: ['PORTCULLIS_NOTARY_KEY_FILE'], reload: 'restart' }),
      },
      'Docker Content Trust (docs/serve.md "Notary").',
    ),
    oidc: section(
      {
        issuer: key(z.string().max(2048).refine((v) => typeof checkIssuer(v) !== 'string').optional(), { kind: 'url', description: 'With accounts: the web UI offers sign-in through this OpenID Connect provider (its issuer URL); register <public URL>/ui/oidc/callback as the redirect URI.', expected: 'an https URL (http only on a loopback address)', shownDefault: 'none: passwords only', env: ['PORTCULLIS_OIDC_ISSUER'], reload: 'restart' }),
        clientId: key(z.string().min(1).max(512).optional(), { kind: 'text', description: 'With oidc.issuer: this registry\'s client id at the provider.', expected: 'text', env: ['PORTCULLIS_OIDC_CLIENT_ID'], reload: 'restart' }),
        clientSecret: key(z.string().min(1).max(4096).optional(), { kind: 'text', description: 'The client secret at the provider; prefer clientSecretFile.', expected: 'text', env: ['PORTCULLIS_OIDC_CLIENT_SECRET'], reload: 'restart', secret: true }),
        clientSecretFile: key(path().optional(), { kind: 'path', description: 'A file holding the client secret (a mounted secret).', expected: 'a file path', env: ['PORTCULLIS_OIDC_CLIENT_SECRET_FILE'], reload: 'restart' }),
        scopes: key(z.string().min(1).max(1024).default(DEFAULT_OIDC_SCOPES), { kind: 'text', description: 'Scopes asked for, space-separated (openid is always asked for).', expected: 'space-separated scopes', shownDefault: DEFAULT_OIDC_SCOPES, reload: 'restart' }),
        usernameClaim: key(z.string().min(1).max(128).default(DEFAULT_USERNAME_CLAIM), { kind: 'text', description: 'The ID token claim that names a new account (the account stays bound to the issuer and subject, not to this name).', expected: 'a claim name', shownDefault: DEFAULT_USERNAME_CLAIM, reload: 'restart' }),
        groupsClaim: key(z.string().min(1).max(128).optional(), { kind: 'text', description: 'The ID token claim listing the user\'s groups (for oidc.adminGroup).', expected: 'a claim name such as groups', reload: 'restart' }),
        adminGroup: key(z.string().min(1).max(256).optional(), { kind: 'text', description: 'Members of this group are registry administrators, as the provider says at each sign-in (needs oidc.groupsClaim).', expected: 'a group name', shownDefault: 'none: the role is given in the registry', reload: 'restart' }),
        autoOnboard: key(z.boolean().default(true), { kind: 'switch', description: 'Create the account at its first sign-in (off: only accounts already bound may sign in).', expected: switchWords, shownDefault: 'true', reload: 'restart' }),
        displayName: key(z.string().min(1).max(64).optional(), { kind: 'text', description: 'The provider\'s name on the sign-in button ("Sign in with …").', expected: 'text, at most 64 characters', shownDefault: 'the issuer\'s host', reload: 'restart' }),
      },
      'Signing in to the web UI through an OpenID Connect provider (docs/serve.md "Signing in with OpenID Connect"; with auth.accounts).',
    ),
    ui: section({ enabled: key(z.boolean().default(true), { kind: 'switch', description: 'Serve the web UI (and /metrics on the main address).', expected: switchWords, shownDefault: 'true', flag: '--no-ui', reload: 'restart' }) }, 'The web UI.'),
    metrics: section(
      {
        addr: key(address().optional(), {
          kind: 'address',
          description: 'Serve /metrics only on this address (":9090" is loopback), not on the main one.',
          expected: 'HOST:PORT such as 127.0.0.1:9090, or :PORT for loopback',
          shownDefault: 'on listen.addr, with the UI',
          flag: '--metrics-addr',
          reload: 'restart',
        }),
      },
      'Prometheus metrics.',
    ),
    log: section(
      {
        level: key(z.enum(LOG_LEVEL_CHOICES).default('info'), { kind: 'choice', description: 'Lowest level logged.', expected: `one of ${LOG_LEVEL_CHOICES.join(', ')}`, shownDefault: 'info', flag: '--log-level', reload: 'live' }),
        format: key(z.enum(LOG_FORMAT_CHOICES).default('json'), { kind: 'choice', description: 'json (one object per line on stdout) or text.', expected: 'json or text', shownDefault: 'json', flag: '--log-format', reload: 'restart' }),
      },
      'The operator log.',
    ),
  })
  .meta({ title: 'portcullis serve configuration', description: 'The configuration file of `portcullis serve --config FILE` (docs/serve.md, "Configuration reference").' });

/** `webhooks.allowedNetworks` as entries, from a list or comma-separated text. */
export function networkList(value: string | readonly string[]): string[] {
  return (typeof value === 'string' ? value.split(',') : [...value]).map((e) => e.trim()).filter((e) => e !== '');
}

/** The effective settings: defaults filled in, every value checked. */
export type Settings = z.output<typeof SETTINGS_SCHEMA>;

/** Every key, depth first in schema order. */
export const KEYS: readonly KeyEntry[] = collectKeys(SETTINGS_SCHEMA.shape, []);

const BY_KEY = new Map(KEYS.map((k) => [k.key, k]));

export function keyEntry(name: string): KeyEntry | undefined {
  return BY_KEY.get(name);
}

/** The section's key names at `path` (for did-you-mean), or undefined when `path` is no section. */
export function sectionKeys(path: readonly (string | number)[]): readonly string[] | undefined {
  let shape: Readonly<Record<string, z.ZodType>> | undefined = SETTINGS_SCHEMA.shape;
  for (const part of path) {
    const next: z.ZodType | undefined = shape?.[String(part)];
    shape = next ? SECTIONS.get(next) : undefined;
    if (!shape) return undefined;
  }
  return Object.keys(shape);
}

function collectKeys(shape: Readonly<Record<string, z.ZodType>>, prefix: readonly string[]): KeyEntry[] {
  const out: KeyEntry[] = [];
  // The schema is ours and a few levels deep: recursion here never sees input.
  for (const [name, schema] of Object.entries(shape)) {
    const path = [...prefix, name];
    const inner = SECTIONS.get(schema);
    if (inner) {
      for (const entry of collectKeys(inner, path)) out.push(entry);
      continue;
    }
    const info = LEAVES.get(schema);
    if (!info) throw new Error(`setting ${path.join('.')} has no key() description`);
    out.push({ ...info, key: path.join('.'), path, schema });
  }
  return out;
}

/** The schema as JSON Schema (draft 2020-12) for editors: docs/serve-config.schema.json. */
export function settingsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(SETTINGS_SCHEMA, { io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
}
