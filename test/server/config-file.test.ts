/**
 * `portcullis serve --config`: the example file loads into the configuration
 * it says; every mistake is one line naming the file, line, column and key,
 * with did-you-mean for unknown keys, and exits 2 through the real CLI;
 * hostile files (deep nesting that would crash the yaml composer, alias
 * bombs, oversized files) are refused quickly and the process lives on;
 * precedence is flag > environment > file > default; --print-config redacts
 * secrets and prints a file that reads back to the same settings; every flag
 * of `serve` has a key and every key's flag exists; the JSON Schema and the
 * reference table in docs/serve.md are generated from the schema.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { buildConfig, type ServeOptions } from '../../src/cli/commands/serve.js';
import { resolveServeSettings } from '../../src/cli/commands/serve-config.js';
import { UsageError } from '../../src/cli/flags.js';
import { JSON_SCHEMA_PATH, KEYS, parseConfigText, printSettings, renderJsonSchema, SERVE_DOC_PATH, withReference } from '../../src/server/config-file/index.js';
import { ServeError } from '../../src/server/errors.js';
import { runCli } from '../support/cli.js';
import { REPO_ROOT } from '../support/paths.js';

let work: string;
const EXAMPLE = join(REPO_ROOT, 'examples', 'portcullis.yaml');
const io = (env: NodeJS.ProcessEnv = {}) => ({ stdout: new PassThrough(), stderr: new PassThrough(), env: { HOME: '/home/op', XDG_CACHE_HOME: '/home/op/.cache', ...env } });

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-config-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(work, name);
  await writeFile(path, text);
  return path;
}

function parseError(text: string): string {
  try {
    parseConfigText(text, 'portcullis.yaml', '/etc/portcullis');
  } catch (error) {
    assert.ok(error instanceof ServeError, String(error));
    assert.equal(error.code, 'CONFIG_FILE_INVALID');
    return error.message;
  }
  assert.fail('the file was accepted');
}

test('the example file (examples/portcullis.yaml) loads: every value it sets reaches the registry configuration', async () => {
  const config = await buildConfig({ config: EXAMPLE }, io());
  assert.equal(config.root, join(REPO_ROOT, 'examples', 'registry-data'), 'a relative path is relative to the file');
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 5000);
  assert.deepEqual(config.storage, { kind: 'filesystem' });
  assert.equal(config.denySeverity, 'CRITICAL');
  assert.equal(config.allowUnscanned, false);
  assert.equal(config.requireSignature, undefined);
  assert.deepEqual(config.metricsAddr, { host: '127.0.0.1', port: 9090 });
  assert.deepEqual(config.scan, { dbPath: '/home/op/.cache/portcullis/db/advisories.sqlite', rescanIntervalMs: 60_000, concurrency: 1, leaseTtlMs: 60_000, maxAttempts: 3, timeoutMs: 1_800_000, limits: { maxLayers: 1000, maxEntries: 2_000_000 } });
  assert.equal(config.role, 'all');
  assert.equal(config.uploadPurgeAgeMs, 24 * 3_600_000);
  assert.equal(config.maxUploadsPerClient, 1000);
  assert.deepEqual(config.connections, { headersTimeoutMs: 10_000, requestTimeoutMs: 3_600_000, idleTimeoutMs: 60_000, minBodyBytesPerSecond: 1024, maxConnectionsPerAddress: 64, maxConnections: 4096 });
  assert.deepEqual(config.gc, { intervalMs: 24 * 3_600_000, graceMs: 3_600_000, untaggedRetentionMs: 7 * 86_400_000 });
  assert.equal(config.accounts, undefined);
  assert.deepEqual(config.webhooks, { workers: 4, timeoutMs: 10_000, connectTimeoutMs: 5_000, maxAttempts: 8, retentionMs: 30 * 86_400_000, allowedNetworks: [] });
  assert.equal(config.notary, true);
  assert.equal(config.ui, true);
  assert.equal(config.settings?.log.level, 'info');
});

test('mistakes are one line: file, line and column of the key, the key, what was expected and what was given', () => {
  assert.equal(parseError('listen:\n  addr: 127.0.0.1:5000\nscan:\n  enabled: true\n  workers: many\n'), 'portcullis.yaml:5:3: scan.workers: expected a whole number from 1 to 64, got "many"');
  assert.equal(parseError('scan:\n  workers: 65\n'), 'portcullis.yaml:2:3: scan.workers: expected a whole number from 1 to 64, got 65');
  assert.equal(parseError('scan:\n  workers:\n'), 'portcullis.yaml:2:3: scan.workers: expected a whole number from 1 to 64, got nothing');
  assert.equal(parseError('policy:\n  denySeverity: SEVERE\n'), 'portcullis.yaml:2:3: policy.denySeverity: expected one of CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE, UNKNOWN, got "SEVERE"');
  assert.equal(parseError('auth:\n  anonymousPull: yes\n'), 'portcullis.yaml:2:3: auth.anonymousPull: expected true or false, got "yes"', 'YAML 1.2: yes is a string');
  assert.equal(parseError('limits:\n  headersTimeout: 0s\n'), 'portcullis.yaml:2:3: limits.headersTimeout: expected a duration from 1s to 7d, such as 10s, 5m or 1h, got "0s"');
  assert.equal(parseError('limits:\n  idleTimeout: 30d\n'), 'portcullis.yaml:2:3: limits.idleTimeout: expected a duration from 1s to 7d, such as 10s, 5m or 1h, got "30d"', 'past what a timer can hold');
  assert.equal(parseError('listen:\n  addr: nowhere\n'), 'portcullis.yaml:2:3: listen.addr: expected HOST:PORT, such as 127.0.0.1:5000, got "nowhere"');
  assert.equal(parseError('scan: 5\n'), 'portcullis.yaml:1:1: scan: expected a mapping of settings (enabled, db, workers, rescanInterval, …), got 5');
  assert.equal(parseError('- root\n'), 'portcullis.yaml:1:1: expected a mapping of settings (root, listen, storage, …), got a list');
  assert.equal(parseError('scan:\n  workers: 0\n  rescanInterval: soon\n'), 'portcullis.yaml:2:3: scan.workers: expected a whole number from 1 to 64, got 0 (and 1 more problem)', 'the first by position, and how many more');
});

test('unknown keys are errors, with did-you-mean from the keys beside them or the same name elsewhere', () => {
  assert.equal(parseError('scan:\n  wrkers: 2\n'), 'portcullis.yaml:2:3: scan.wrkers: unknown key (did you mean scan.workers?)');
  assert.equal(parseError('workers: 2\n'), 'portcullis.yaml:1:1: workers: unknown key (did you mean scan.workers or webhooks.workers?)');
  assert.equal(parseError('auth:\n  loginLimits:\n    windw: 5m\n'), 'portcullis.yaml:3:5: auth.loginLimits.windw: unknown key (did you mean auth.loginLimits.window?)');
  assert.equal(parseError('ui:\n  theme: dark\n'), 'portcullis.yaml:2:3: ui.theme: unknown key (known here: enabled)');
  assert.equal(parseError('scan:\n  db: x\nscan:\n  workers: 2\n'), 'portcullis.yaml:3:1: not valid YAML: Map keys must be unique');
  assert.match(parseError('scan: [\n'), /^portcullis\.yaml:2:1: not valid YAML: /);
});

test('hostile files are refused quickly, and the process lives on', () => {
  // Composing these with the yaml package kills the process (out of memory in the composer): they are measured first.
  assert.equal(parseError(`${'? '.repeat(30_000)}x`), 'portcullis.yaml:1:65: nested more than 32 levels deep; a configuration needs 4');
  assert.match(parseError(`a: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`), /nested more than 32 levels deep/);
  assert.match(parseError(Array.from({ length: 40 }, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n')), /^portcullis\.yaml:\d+:\d+: nested more than 32 levels deep/);
  const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
  assert.match(parseError(laughs), /^portcullis\.yaml:1:1: not usable YAML: .*alias/i);
  assert.equal(parseError(`# ${'x'.repeat(300 * 1024)}\n`), 'portcullis.yaml:1:1: the file is over 256 KiB');
});

test('through the real CLI: a mistake exits 2 with the one line, a missing file too', async () => {
  const bad = await file('bad.yaml', 'root: /srv/registry\nscan:\n  workers: many\n');
  const r = await runCli(['serve', '--config', bad]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `portcullis: ${bad}:3:3: scan.workers: expected a whole number from 1 to 64, got "many"\n`);
  const missing = await runCli(['serve', '--config', join(work, 'nowhere.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^portcullis: cannot read the configuration file .*nowhere\.yaml: ENOENT\n$/);
  const combination = await runCli(['serve', '--config', await file('anon.yaml', 'auth:\n  anonymousPull: true\n'), '--print-config']);
  assert.equal(combination.code, 2);
  assert.match(combination.stderr, /anon\.yaml:2:3: auth\.anonymousPull only makes sense with auth\.htpasswd\n$/);
});

test('precedence: flag > environment > file > default, each value from where it was given', async () => {
  const path = await file(
    'layers.yaml',
    ['scan:', '  db: ./from-file.sqlite', '  workers: 2', 'storage:', '  kind: s3', '  s3:', '    bucket: from-file', '    region: file-region', '    accessKeyId: file-id', '    secretAccessKey: file-secret', 'log:', '  level: warn'].join('\n'),
  );
  const env = { AWS_REGION: 'env-region', PORTCULLIS_DB: '/env/advisories.sqlite' };
  const fileOnly = await buildConfig({ config: path }, io());
  assert.equal(fileOnly.scan && fileOnly.scan.dbPath, join(work, 'from-file.sqlite'));
  assert.equal(fileOnly.storage.kind === 's3' && fileOnly.storage.region, 'file-region');
  assert.equal(fileOnly.storage.kind === 's3' && fileOnly.storage.secretAccessKey, 'file-secret');
  const withEnv = await buildConfig({ config: path }, io(env));
  assert.equal(withEnv.scan && withEnv.scan.dbPath, '/env/advisories.sqlite', 'environment over file');
  assert.equal(withEnv.storage.kind === 's3' && withEnv.storage.region, 'env-region');
  const withFlags = await buildConfig({ config: path, db: '/flag/advisories.sqlite', s3Region: 'flag-region', scanWorkers: '4', logLevel: 'DEBUG' }, io(env));
  assert.equal(withFlags.scan && withFlags.scan.dbPath, '/flag/advisories.sqlite', 'flag over environment');
  assert.equal(withFlags.storage.kind === 's3' && withFlags.storage.region, 'flag-region');
  assert.equal(withFlags.scan && withFlags.scan.concurrency, 4);
  assert.equal(withFlags.settings?.log.level, 'debug', 'flags take any case');
  const defaults = await buildConfig({}, io());
  assert.equal(defaults.root, '/home/op/.local/share/portcullis/registry');
  assert.equal(defaults.scan && defaults.scan.concurrency, 1);
  // A switch off in the file stays off when the flag is not given (commander's default for --no-scan is not a flag).
  const off = await file('off.yaml', 'scan:\n  enabled: false\nui:\n  enabled: false\n');
  const offConfig = await buildConfig({ config: off }, io());
  assert.equal(offConfig.scan, false);
  assert.equal(offConfig.ui, false);
});

test('flag mistakes name the flag; combinations name each key the way it was given', async () => {
  const usage = (options: ServeOptions, message: string | RegExp) =>
    assert.rejects(buildConfig(options, io()), (e: unknown) => e instanceof UsageError && (typeof message === 'string' ? e.message === message : message.test(e.message)));
  await usage({ scanWorkers: 'many' }, '--scan-workers takes a whole number from 1 to 64, not "many"');
  await usage({ metadata: 'mysql://u:hunter2@db/x' }, '--metadata takes a postgres:// URL, not "mysql://u:***@db/x"');
  await usage({ tlsCert: 'c.pem' }, '--tls-cert and --tls-key go together');
  await usage({ role: 'api' }, '--role api needs --metadata: the processes share a PostgreSQL database');
  await usage({ role: 'worker', scan: false, metadata: 'postgres://u@db/x' }, '--role worker takes scans, and --no-scan scans nothing: drop one of them');
  const role = await file('role.yaml', 'role: worker\n');
  await usage({ config: role }, `${role}:1:1: role worker needs metadata.url: the processes share a PostgreSQL database`);
  const tls = await file('tls.yaml', 'listen:\n  tls:\n    key: key.pem\n');
  await usage({ config: tls }, `${tls}:3:5: listen.tls.cert and listen.tls.key go together`);
  const deny = await file('deny.yaml', 'policy:\n  denySeverity: HIGH\n');
  await usage({ config: deny, scan: false }, `${deny}:2:3: policy.denySeverity refuses every image without a complete scan, and --no-scan scans nothing: drop one of them`);
  const s3 = await file('s3.yaml', 'storage:\n  s3:\n    bucket: images\n');
  await usage({ config: s3 }, `${s3}:3:5: storage.s3.bucket needs storage.kind s3`);
  const both = await file('both.yaml', `storage:\n  kind: s3\n  s3:\n    bucket: images\n    secretAccessKey: x\n    secretAccessKeyFile: ${join(work, 'secret')}\n`);
  await usage({ config: both }, /both\.yaml:6:5: give storage\.s3\.secretAccessKey or storage\.s3\.secretAccessKeyFile, not both/);
  await assert.rejects(buildConfig({}, io({ AWS_ENDPOINT_URL: 'not a url' })), /AWS_ENDPOINT_URL \(storage\.s3\.endpoint\): expected a URL/);
});

test('accounts: flags and keys, the token lifetime, the administrator password from the environment or a file', async () => {
  const usage = (options: ServeOptions, env: NodeJS.ProcessEnv, message: string | RegExp) =>
    assert.rejects(buildConfig(options, io(env)), (e: unknown) => e instanceof UsageError && (typeof message === 'string' ? e.message === message : message.test(e.message)));
  await usage({ accounts: true, htpasswd: 'users.htpasswd', anonymousPull: true }, {}, '--anonymous-pull does not apply with --accounts: make projects public instead (portcullis registry project create NAME --public)');
  await usage({ tokenLifetime: '10m' }, {}, '--token-lifetime only makes sense with --accounts');
  await usage({ accounts: true, tokenLifetime: '2d' }, {}, /^--token-lifetime takes a duration from 10s to 1d/);
  await usage({ accounts: true }, { PORTCULLIS_ADMIN_PASSWORD: 'short' }, /PORTCULLIS_ADMIN_PASSWORD \(auth\.adminPassword\): expected at least 12 characters/);
  await usage({ accounts: true }, { PORTCULLIS_ADMIN_PASSWORD: 'long-enough-password', PORTCULLIS_ADMIN_PASSWORD_FILE: '/nonexistent' }, 'set PORTCULLIS_ADMIN_PASSWORD or PORTCULLIS_ADMIN_PASSWORD_FILE, not both');
  await usage({ maxLoginFailuresPerUser: '5' }, {}, '--max-login-failures-per-user only makes sense with --htpasswd or --accounts');
  const fromEnv = await buildConfig({ accounts: true, tokenLifetime: '10m', maxLoginFailuresPerUser: '5' }, io({ PORTCULLIS_ADMIN_PASSWORD: 'long-enough-password' }));
  assert.deepEqual(fromEnv.accounts, { adminPassword: 'long-enough-password', tokenTtlSeconds: 600 });
  assert.equal(fromEnv.loginLimits?.perUser, 5);
  const secret = await file('admin-password', 'from-a-mounted-secret\n');
  const yaml = await file('accounts.yaml', `auth:\n  accounts: true\n  adminPasswordFile: ${secret}\n`);
  const fromFile = await buildConfig({ config: yaml }, io());
  assert.deepEqual(fromFile.accounts, { adminPassword: 'from-a-mounted-secret', tokenTtlSeconds: 300 });
  const printed = await file('printed.yaml', 'auth:\n  accounts: true\n  adminPassword: do-not-print-this-one\n');
  const shown = await runCli(['serve', '--config', printed, '--print-config'], {});
  assert.equal(shown.code, 0, shown.stderr);
  assert.doesNotMatch(shown.stdout, /do-not-print-this-one/);
  assert.match(shown.stdout, /^ {2}adminPassword: "\*\*\*"$/m);
  assert.match(shown.stdout, /^ {2}accounts: true$/m);
});

test('--print-config: secrets as ***, secrets read from files, flag and environment values marked; the output reads back to the same settings', async () => {
  const secret = await file('s3-secret', 'wJalrXUtnFEMI/K7MDENG\n');
  const pgPassword = await file('pg-password', 'pg-hunter2\n');
  const path = await file(
    'secrets.yaml',
    [
      'storage:',
      '  kind: s3',
      '  s3:',
      '    bucket: images',
      '    endpoint: http://127.0.0.1:9000',
      '    accessKeyId: AKIDEXAMPLE',
      `    secretAccessKeyFile: ${secret}`,
      'metadata:',
      '  url: postgres://portcullis:url-hunter2@db.internal/registry',
      `  passwordFile: ${pgPassword}`,
    ].join('\n'),
  );
  const config = await buildConfig({ config: path }, io());
  assert.equal(config.storage.kind === 's3' && config.storage.secretAccessKey, 'wJalrXUtnFEMI/K7MDENG', 'the first line of the secret file');
  assert.equal(config.storage.kind === 's3' && config.storage.forcePathStyle, true);
  const printed = await runCli(['serve', '--config', path, '--print-config', '--scan-workers', '3'], { AWS_SECRET_ACCESS_KEY: 'env-secret-value', AWS_REGION: 'eu-west-1' });
  assert.equal(printed.code, 0, printed.stderr);
  assert.doesNotMatch(printed.stdout, /env-secret-value|url-hunter2|wJalrXUtnFEMI|pg-hunter2/);
  assert.match(printed.stdout, /^ {4}secretAccessKey: "\*\*\*" # \$AWS_SECRET_ACCESS_KEY$/m);
  assert.match(printed.stdout, /^ {2}url: postgres:\/\/portcullis:\*\*\*@db\.internal\/registry$/m);
  assert.match(printed.stdout, /^ {4}region: eu-west-1 # \$AWS_REGION$/m);
  assert.match(printed.stdout, /^ {2}workers: 3 # --scan-workers$/m);
  assert.match(printed.stdout, /^ {4}secretAccessKeyFile: .*s3-secret$/m, 'the file it names is not a secret');
  assert.equal(printed.stderr, '', 'nothing started');

  const plain = await runCli(['serve', '--config', EXAMPLE, '--print-config', '--deny-severity', 'high']);
  assert.equal(plain.code, 0, plain.stderr);
  const again = await file('printed.yaml', plain.stdout);
  const original = await resolveServeSettings({ config: EXAMPLE, denySeverity: 'high' }, process.env);
  const reread = await resolveServeSettings({ config: again }, process.env);
  assert.deepEqual(reread.settings, original.settings, 'the printed file is the same configuration');
  assert.equal(printSettings(reread).includes('denySeverity: HIGH'), true);
});

test('every flag of serve has a key, and every key names a flag that exists', () => {
  const program = buildProgram(io());
  const serve = program.commands.find((c: Command) => c.name() === 'serve')!;
  const flags = serve.options.map((o) => o.long!).filter(Boolean);
  // Not settings: what to read and what to do with it, the demo, and the old spelling of a default.
  const notSettings = new Set(['--config', '--print-config', '--demo', '--deny-unscanned']);
  const keyed = new Set(KEYS.flatMap((k) => (k.flag ? [k.flag] : [])));
  for (const flag of flags) if (!notSettings.has(flag)) assert.ok(keyed.has(flag), `${flag} has a configuration key`);
  for (const flag of keyed) assert.ok(flags.includes(flag), `${flag} (named by a key) is a flag of serve`);
});

test(`${JSON_SCHEMA_PATH} and the reference in ${SERVE_DOC_PATH} are generated from the schema (regenerate: npx tsx scripts/serve-config-doc.ts)`, async () => {
  assert.equal(await readFile(join(REPO_ROOT, JSON_SCHEMA_PATH), 'utf8'), renderJsonSchema(), `${JSON_SCHEMA_PATH} is out of date`);
  const doc = await readFile(join(REPO_ROOT, SERVE_DOC_PATH), 'utf8');
  assert.equal(doc, withReference(doc), `the reference in ${SERVE_DOC_PATH} is out of date`);
  for (const k of KEYS) assert.ok(doc.includes(`| \`${k.key}\` |`), `${k.key} is in the reference`);
  const schema = JSON.parse(await readFile(join(REPO_ROOT, JSON_SCHEMA_PATH), 'utf8')) as { additionalProperties?: unknown; properties: Record<string, { additionalProperties?: unknown }> };
  assert.equal(schema.additionalProperties, false, 'editors flag unknown keys too');
  assert.equal(schema.properties['scan']?.additionalProperties, false);
});
