/**
 * The limits of "Authentication and uploads" (docs/serve.md) as an operator
 * sets them: `portcullis serve` configured from its flags (buildConfig) and
 * started (startRegistry), then probed with curl on loopback. `/metrics`
 * needs a signed-in user under --htpasswd, or lives on --metrics-addr only;
 * --max-login-failures-per-user and --max-uploads-per-client reach the
 * running server; bad values are usage errors.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { buildConfig, type ServeOptions } from '../../src/cli/commands/serve.js';
import { UsageError } from '../../src/cli/flags.js';
import { startRegistry, type RunningRegistry } from '../../src/server/open.js';
import { runCommand } from '../support/peers.js';

let work: string;
let htpasswd: string;

async function curl(url: string, args: readonly string[] = []): Promise<{ status: number; headers: string; body: string }> {
  const r = await runCommand('curl', ['-sS', '-i', ...args, url], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const split = r.stdout.indexOf('\r\n\r\n');
  const head = r.stdout.slice(0, split);
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: r.stdout.slice(split + 4) };
}

async function start(flags: ServeOptions): Promise<RunningRegistry> {
  const config = await buildConfig({ addr: '127.0.0.1:0', root: join(work, `data-${Math.random().toString(16).slice(2)}`), scan: false, notary: false, logLevel: 'silent', ...flags }, { stdout: new PassThrough(), stderr: new PassThrough(), env: process.env });
  return startRegistry(config);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-serve-limits-'));
  htpasswd = join(work, 'htpasswd');
  await writeFile(htpasswd, `alice:${bcrypt.hashSync('alice-pw', 4)}\n`);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('/metrics with --htpasswd', () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await start({ htpasswd, anonymousPull: true });
  });
  after(() => registry?.close());

  test('anonymous callers (anonymous pull on) and wrong passwords get 401 with the challenge; a signed-in user gets the figures', async () => {
    const anonymous = await curl(`${registry.url}/metrics`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers, /^www-authenticate: basic realm="portcullis"/m);
    assert.doesNotMatch(anonymous.body, /portcullis_/);
    assert.equal((await curl(`${registry.url}/metrics`, ['-u', 'alice:wrong'])).status, 401);
    const signedIn = await curl(`${registry.url}/metrics`, ['-u', 'alice:alice-pw']);
    assert.equal(signedIn.status, 200);
    assert.match(signedIn.body, /^# TYPE portcullis_http_requests_total counter$/m);
    assert.equal(registry.metricsUrl, undefined);
  });
});

describe('--metrics-addr, login and upload limits from flags', () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await start({ htpasswd, metricsAddr: '127.0.0.1:0', maxLoginFailuresPerUser: '2', maxUploadsPerClient: '2', uploadPurgeAge: '2h' });
  });
  after(() => registry?.close());

  test('/metrics is served on its own listener without credentials, and no longer on the main one, even signed in', async () => {
    assert.equal((await curl(`${registry.url}/v2/`, ['-u', 'alice:alice-pw'])).status, 200);
    assert.ok(registry.metricsUrl?.startsWith('http://127.0.0.1:'), registry.metricsUrl);
    assert.equal((await curl(`${registry.url}/metrics`, ['-u', 'alice:alice-pw'])).status, 404);
    const scraped = await curl(`${registry.metricsUrl}/metrics`);
    assert.equal(scraped.status, 200);
    assert.match(scraped.body, /^portcullis_http_requests_total\{method="GET",route="base",status="200"\} [1-9]/m, 'it counts the main listener');
    assert.equal((await curl(`${registry.metricsUrl}/v2/`)).status, 404, 'nothing else is served there');
  });

  test('--max-login-failures-per-user 2: the third guess is 429 with Retry-After', async () => {
    assert.equal((await curl(`${registry.url}/v2/`, ['-u', 'alice:guess-1'])).status, 401);
    assert.equal((await curl(`${registry.url}/v2/`, ['-u', 'alice:guess-2'])).status, 401);
    const limited = await curl(`${registry.url}/v2/`, ['-u', 'alice:guess-3']);
    assert.equal(limited.status, 429);
    assert.match(limited.headers, /^retry-after: \d+$/m);
    assert.match(limited.body, /TOOMANYREQUESTS/);
    assert.equal((await curl(`${registry.url}/v2/`, ['-u', 'alice:alice-pw'])).status, 200, 'her client, signed in before, keeps working');
  });

  test('--max-uploads-per-client 2: the third open upload is 429', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await curl(`${registry.url}/v2/app/blobs/uploads/`, ['-X', 'POST', '-u', 'alice:alice-pw'])).status, 202);
    const refused = await curl(`${registry.url}/v2/app/blobs/uploads/`, ['-X', 'POST', '-u', 'alice:alice-pw']);
    assert.equal(refused.status, 429);
    assert.match(refused.body, /TOOMANYREQUESTS/);
  });
});

test('flags: ":PORT" metrics address means loopback; bad values and login limits without --htpasswd are usage errors', async () => {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: process.env };
  const config = await buildConfig({ metricsAddr: ':9102', uploadPurgeAge: '36h', maxUploadsPerClient: '50', htpasswd, maxLoginFailuresPerIp: '7', loginFailureWindow: '10m' }, io);
  assert.deepEqual(config.metricsAddr, { host: '127.0.0.1', port: 9102 });
  assert.equal(config.uploadPurgeAgeMs, 36 * 3_600_000);
  assert.equal(config.maxUploadsPerClient, 50);
  assert.deepEqual(config.loginLimits, { perUser: 10, perAddress: 7, windowMs: 600_000 }, 'the given limits, the default for the other');
  const usage = (flags: ServeOptions, pattern: RegExp) => assert.rejects(buildConfig(flags, io), (e: unknown) => e instanceof UsageError && pattern.test(e.message));
  await usage({ maxLoginFailuresPerUser: '5' }, /--htpasswd/);
  await usage({ uploadPurgeAge: '10s' }, /--upload-purge-age/);
  await usage({ maxUploadsPerClient: '0' }, /--max-uploads-per-client/);
  await usage({ metricsAddr: 'nowhere' }, /--metrics-addr/);
});
