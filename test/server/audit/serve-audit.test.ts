/**
 * The audit log as `portcullis serve` wires it (startRegistry from the
 * CLI's configuration), over loopback, with the CLI in process: with
 * `--accounts`, a project made by the admin CLI and an image copied in by
 * `portcullis copy` (token flow) are events that `portcullis registry
 * audit` prints, as JSON and as a table, and a bad filter exits 2; without
 * accounts the log's `audit` lines are the whole trail and `/api/v1/audit`
 * does not exist.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../../src/server/open.js';
import { runCli } from '../../support/cli.js';
import { REPO_ROOT } from '../../support/paths.js';
import { captureLog } from '../../support/registry-log.js';

const ADMIN_PASSWORD = 'admin-password-serve-1';
const HELLO = `oci:${join(REPO_ROOT, 'examples', 'hello')}:latest`;
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-serve-audit-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function serve(flags: Record<string, unknown>, log = captureLog('info')): Promise<{ registry: RunningRegistry; log: ReturnType<typeof captureLog> }> {
  const env = { ...process.env, PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD };
  const config = await buildConfig({ addr: '127.0.0.1:0', scan: false, notary: false, ...flags }, { stdout: new PassThrough(), stderr: new PassThrough(), env });
  return { registry: await startRegistry({ ...config, log: log.log }), log };
}

test('serve --accounts: the admin CLI and a copy are events that "registry audit" prints', async () => {
  const { registry, log } = await serve({ accounts: true, root: join(work, 'accounts'), auditRetention: '30d', auditQueue: '500' });
  try {
    const host = new URL(registry.url).host;
    const env = { PORTCULLIS_SERVER: registry.url, PORTCULLIS_USERNAME: 'admin', PORTCULLIS_PASSWORD: ADMIN_PASSWORD, REGISTRY_AUTH_FILE: join(work, 'auth.json') };
    assert.equal((await runCli(['registry', 'project', 'create', 'team'], env)).code, 0);
    const copy = await runCli(['copy', HELLO, `docker://${host}/team/hello:1`, '--dest-creds', `admin:${ADMIN_PASSWORD}`], env);
    assert.equal(copy.code, 0, copy.stderr);
    const wrong = await runCli(['registry', 'user', 'list'], { ...env, PORTCULLIS_PASSWORD: 'not-the-password' });
    assert.equal(wrong.code, 4);
    const gc = await fetch(`${registry.url}/api/v1/gc?dryRun=true`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } });
    assert.equal(gc.status, 200);
    const json = await runCli(['registry', 'audit', '--format', 'json'], env);
    assert.equal(json.code, 0, json.stderr);
    const events = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    const actions = events.map((e) => `${e.action}/${e.outcome}/${e.principal}`).reverse();
    assert.equal(actions[0], 'login/success/admin', 'the first token of the admin CLI');
    assert.ok(actions.includes('project.created/success/admin'));
    assert.ok(actions.includes('login/failure/admin'), 'the wrong password');
    const push = events.find((e) => e.action === 'push');
    assert.deepEqual([push?.repository, push?.tag, push?.principal, push?.ip], ['team/hello', '1', 'admin', '127.0.0.1']);
    assert.match(String(push?.digest), /^sha256:[0-9a-f]{64}$/);
    assert.ok(actions.indexOf('project.created/success/admin') < actions.lastIndexOf('login/failure/admin'), 'newest first from the API, oldest first here');
    const collection = events.find((e) => e.action === 'gc');
    assert.deepEqual([collection?.principal, collection?.outcome, (collection?.detail as { dryRun?: unknown } | undefined)?.dryRun], ['admin', 'success', true]);
    assert.equal(typeof (collection?.detail as { manifestsDeleted?: unknown }).manifestsDeleted, 'number');
    const table = await runCli(['registry', 'audit', '--action', 'push', '--repository', 'team/hello'], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^TIME\s+ACTION\s+OUTCOME\s+PRINCIPAL\s+IP\s+WHAT\s+DETAIL$/);
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /push\s+success\s+admin\s+127\.0\.0\.1\s+team\/hello:1@sha256:/);
    const limited = JSON.parse((await runCli(['registry', 'audit', '--format', 'json', '--limit', '2'], env)).stdout) as unknown[];
    assert.equal(limited.length, 2);
    const bad = await runCli(['registry', 'audit', '--action', 'nonsense'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /action must be one of push, pull/);
    assert.equal((await runCli(['registry', 'audit', '--limit', '0'], env)).code, 2);
    assert.ok(log.events('audit').length >= events.length, 'every stored event is in the log too');
  } finally {
    await registry.close();
  }
});

test('serve without accounts: the log is the audit trail, and there is no /api/v1/audit', async () => {
  const { registry, log } = await serve({ root: join(work, 'plain') });
  try {
    const copy = await runCli(['copy', HELLO, `docker://${new URL(registry.url).host}/demo/hello:1`], {});
    assert.equal(copy.code, 0, copy.stderr);
    assert.equal((await fetch(`${registry.url}/api/v1/audit`)).status, 404);
    const pushes = log.events('audit').filter((l) => l.action === 'push');
    assert.deepEqual(
      pushes.map((l) => [l.repository, l.tag, l.principal, l.principalKind, l.ip, typeof l.reqId]),
      [['demo/hello', '1', '<anonymous>', 'anonymous', '127.0.0.1', 'string']],
    );
  } finally {
    await registry.close();
  }
});
