/**
 * Project settings set through the admin API, as `portcullis serve
 * --accounts` wires them (startRegistry from the CLI's configuration, over
 * loopback, the CLI in process): a registry admin's 1 KiB quota refuses the
 * next push with 403 DENIED and the figures; a retention rule set with
 * `registry project settings --retention-file` is applied by the next GC
 * run; a project without stored settings keeps the operator's file; a push
 * member cannot change them (403) and a stranger does not see them (404);
 * each change is a `project.settings` audit event.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../../src/server/open.js';
import { runCli } from '../../support/cli.js';
import { REPO_ROOT } from '../../support/paths.js';
import { captureLog } from '../../support/registry-log.js';

const ADMIN_PASSWORD = 'admin-password-settings-1';
const HELLO = `oci:${join(REPO_ROOT, 'examples', 'hello')}:latest`;
const PASSWORDS: Record<string, string> = { alice: 'alice-password-0001', bob: 'bob-password-00001', carol: 'carol-password-001' };
let work: string;
let registry: RunningRegistry;

function basic(user: string): string {
  const password = user === 'admin' ? ADMIN_PASSWORD : PASSWORDS[user]!;
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function api(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${registry.url}${path}`, {
    method,
    headers: { authorization: basic(user), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** A monolithic blob upload of `size` bytes into `repository`. */
async function pushBlob(user: string, repository: string, size: number): Promise<{ status: number; json: Record<string, unknown> }> {
  const bytes = Buffer.alloc(size, repository);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const response = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { authorization: basic(user), 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

function cliEnv(user: string): NodeJS.ProcessEnv {
  return { PORTCULLIS_SERVER: registry.url, PORTCULLIS_USERNAME: user, PORTCULLIS_PASSWORD: user === 'admin' ? ADMIN_PASSWORD : PASSWORDS[user]!, REGISTRY_AUTH_FILE: join(work, 'auth.json') };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-project-settings-'));
  // The operator's file: project `other` has a 1 KiB quota there, and nothing stored.
  await writeFile(join(work, 'projects.yaml'), 'projects:\n  other:\n    quota: 1KiB\n');
  const env = { ...process.env, PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD };
  const config = await buildConfig(
    { addr: '127.0.0.1:0', scan: false, notary: false, ui: false, accounts: true, root: join(work, 'data'), projectSettings: join(work, 'projects.yaml') },
    { stdout: new PassThrough(), stderr: new PassThrough(), env },
  );
  registry = await startRegistry({ ...config, log: captureLog('info').log });
  for (const project of ['team', 'other']) assert.equal((await api('admin', 'POST', '/api/v1/projects', { name: project })).status, 201);
  for (const [name, password] of Object.entries(PASSWORDS)) assert.equal((await api('admin', 'POST', '/api/v1/users', { name, password })).status, 201);
  assert.equal((await api('admin', 'PUT', '/api/v1/projects/team/members/alice', { role: 'admin' })).status, 200);
  assert.equal((await api('admin', 'PUT', '/api/v1/projects/team/members/bob', { role: 'push' })).status, 200);
});
after(async () => {
  await registry?.close();
  await rm(work, { recursive: true, force: true });
});

test('a registry admin sets a 1 KiB quota (a project admin may not): the next push over it is 403 DENIED with the figures; the file still applies to other projects', async () => {
  assert.deepEqual((await api('alice', 'GET', '/api/v1/projects/team/settings')).json, { quota: null, untaggedRetention: null, retention: null, denySeverity: null, trustPolicy: null });
  // The quota is the operator's limit: the project's own admin can neither set nor lift it.
  const own = await runCli(['registry', 'project', 'settings', 'team', '--quota', '1TiB'], cliEnv('alice'));
  assert.equal(own.code, 4, own.stderr);
  assert.match(own.stderr, /the storage quota of project team is set by a registry administrator/);
  const set = await runCli(['registry', 'project', 'settings', 'team', '--quota', '1KiB', '--format', 'json'], cliEnv('admin'));
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(JSON.parse(set.stdout), { quota: '1KiB', untaggedRetention: null, retention: null, denySeverity: null, trustPolicy: null });
  const refused = await pushBlob('alice', 'team/app', 2048);
  assert.equal(refused.status, 403);
  const error = (refused.json.errors as Array<{ code: string; message: string }>)[0]!;
  assert.equal(error.code, 'DENIED');
  assert.match(error.message, /^project team is over its storage quota: 0 B used of 1\.0 KiB, and this push needs 2\.0 KiB more/);
  assert.equal((await pushBlob('alice', 'team/app', 512)).status, 201, 'under the quota passes');

  // `other` has no stored settings: the operator's file (1 KiB) applies.
  assert.equal((await pushBlob('admin', 'other/app', 2048)).status, 403);
  // Lifting the stored quota: the next push passes, no restart.
  assert.equal((await api('alice', 'PUT', '/api/v1/projects/team/settings', { quota: null })).status, 403, 'nor lift it');
  const lifted = await runCli(['registry', 'project', 'settings', 'team', '--quota', 'none'], cliEnv('admin'));
  assert.equal(lifted.code, 0, lifted.stderr);
  assert.match(lifted.stdout, /^QUOTA\s+UNTAGGEDRETENTION\s+RETENTIONRULES\s+DENYSEVERITY\s+TRUSTPOLICY\n-\s+-\s+-\s+-\s+-\n$/);
  assert.equal((await pushBlob('alice', 'team/app', 2048)).status, 201);
});

test('a retention rule set through the CLI is applied by the next GC run', async () => {
  await writeFile(join(work, 'rules.yaml'), '- tags: "v*"\n  keepLast: 1\n- tags: [latest]\n  keepLast: 1\n');
  const set = await runCli(['registry', 'project', 'settings', 'team', '--retention-file', join(work, 'rules.yaml'), '--untagged-retention', '3d', '--format', 'json'], cliEnv('alice'));
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(JSON.parse(set.stdout), { quota: null, untaggedRetention: '3d', retention: [{ tags: 'v*', keepLast: 1 }, { tags: ['latest'], keepLast: 1 }], denySeverity: null, trustPolicy: null });
  const host = new URL(registry.url).host;
  for (const tag of ['v1', 'v2', 'latest']) {
    const copy = await runCli(['copy', HELLO, `docker://${host}/team/hello:${tag}`, '--dest-creds', `alice:${PASSWORDS.alice}`], {});
    assert.equal(copy.code, 0, copy.stderr);
  }
  const tags = async (): Promise<unknown> => ((await api('admin', 'GET', '/v2/team/hello/tags/list')).json.tags as string[]).sort();
  assert.deepEqual(await tags(), ['latest', 'v1', 'v2']);
  const gc = await api('admin', 'POST', '/api/v1/gc');
  assert.equal(gc.status, 200, JSON.stringify(gc.json));
  assert.deepEqual(await tags(), ['latest', 'v2'], 'v1 is not among the newest 1 tag matching v*: removed; latest is kept by its rule');
});

test('who: a push member reads but cannot change (403), a stranger sees nothing (404), a bad value is 400 naming the key; changes are audited', async () => {
  assert.equal((await api('bob', 'GET', '/api/v1/projects/team/settings')).status, 200);
  const bob = await api('bob', 'PUT', '/api/v1/projects/team/settings', { quota: '1GiB' });
  assert.equal(bob.status, 403);
  assert.equal((bob.json.errors as Array<{ code: string }>)[0]!.code, 'DENIED');
  assert.equal((await api('carol', 'GET', '/api/v1/projects/team/settings')).status, 404);
  assert.equal((await api('carol', 'PUT', '/api/v1/projects/team/settings', { quota: '1GiB' })).status, 404);
  const bad = await api('alice', 'PUT', '/api/v1/projects/team/settings', { quota: 'lots' });
  assert.equal(bad.status, 400);
  assert.deepEqual((bad.json.errors as Array<{ code: string; message: string }>)[0], { code: 'INVALID', message: 'quota: a size such as 500MB, 10GiB or a number of bytes' });
  const rule = await api('alice', 'PUT', '/api/v1/projects/team/settings', { retention: [{ tags: 'v*' }] });
  assert.equal((rule.json.errors as Array<{ message: string }>)[0]!.message, 'retention[0]: say keepLast, keepYoungerThan or both');
  const cli = await runCli(['registry', 'project', 'settings', 'team', '--untagged-retention', 'soon'], cliEnv('alice'));
  assert.equal(cli.code, 2);
  assert.match(cli.stderr, /untaggedRetention: a duration such as 30m, 12h, 7d or 2w/);

  const audit = await api('admin', 'GET', '/api/v1/audit?action=project.settings');
  const events = (audit.json.events as Array<Record<string, unknown>>).map((e) => [e.principal, e.project, e.outcome, e.detail]).reverse();
  assert.deepEqual(events.slice(0, 2), [
    ['admin', 'team', 'success', { quota: '1KiB', untaggedRetention: null, retentionRules: null, denySeverity: null, trustPolicy: null }],
    ['admin', 'team', 'success', { quota: null, untaggedRetention: null, retentionRules: null, denySeverity: null, trustPolicy: null }],
  ]);
  // The project admin adds a trust policy with the CLI; the audit record holds the new policy.
  await writeFile(join(work, 'trust.yaml'), 'keys: [abcdef123456]\nattestations:\n  - {type: vuln, maxAge: 7d, condition: no CRITICAL finding}\ncveAllowlist:\n  - {id: CVE-2026-1000, expires: 2027-01-31, reason: not reachable}\n');
  const trusted = await runCli(['registry', 'project', 'settings', 'team', '--trust-policy', join(work, 'trust.yaml'), '--format', 'json'], cliEnv('alice'));
  assert.equal(trusted.code, 0, trusted.stderr);
  const policy = { keys: ['abcdef123456'], attestations: [{ type: 'vuln', maxAge: '7d', condition: 'no CRITICAL finding' }], cveAllowlist: [{ id: 'CVE-2026-1000', expires: '2027-01-31', reason: 'not reachable' }] };
  assert.deepEqual((JSON.parse(trusted.stdout) as Record<string, unknown>).trustPolicy, policy);
  const latest = await api('admin', 'GET', '/api/v1/audit?action=project.settings');
  const last = (latest.json.events as Array<Record<string, unknown>>)[0]!;
  // Audit details are flat: the policy is there as its JSON (cut short past the detail's string limit).
  assert.deepEqual([last.principal, last.project, last.outcome, JSON.parse((last.detail as Record<string, string>).trustPolicy!)], ['alice', 'team', 'success', policy]);
  const loosen = await runCli(['registry', 'project', 'settings', 'team', '--trust-policy', join(work, 'rules.yaml')], cliEnv('alice'));
  assert.equal(loosen.code, 2, 'a list is not a trust policy');
  assert.match(loosen.stderr, /trustPolicy: must be a mapping/);
});
