/**
 * `portcullis registry user admin NAME --set|--unset` against a real
 * `portcullis serve --accounts` process (its admin API over 127.0.0.1):
 * the role is given and taken (read back with `user list --format json`),
 * the new administrator can then use the admin commands and no longer after,
 * the last administrator is kept (exit 9 with the server's reason), and the
 * usage, permission and not-found errors exit with their documented codes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, runCliProcess, type CliResult } from '../support/cli.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';

const ADMIN_PASSWORD = 'admin-password-role-1';
const BEA_PASSWORD = 'bea-password-role-12';
let serve: ServeProcess;
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-admin-role-'));
  serve = await startServeProcess(['--accounts', '--root', join(work, 'root'), '--no-scan'], { env: { PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  env = { ...process.env, PORTCULLIS_SERVER: serve.url, PORTCULLIS_USERNAME: 'admin', PORTCULLIS_PASSWORD: ADMIN_PASSWORD, REGISTRY_AUTH_FILE: join(work, 'auth.json') };
});

after(async () => {
  await serve?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function cli(args: string[], as: 'admin' | 'bea' = 'admin'): Promise<CliResult> {
  return runCli(['registry', ...args], as === 'admin' ? env : { ...env, PORTCULLIS_USERNAME: 'bea', PORTCULLIS_PASSWORD: BEA_PASSWORD });
}

async function admins(): Promise<string[]> {
  const listed = await cli(['user', 'list', '--format', 'json']);
  assert.equal(listed.code, 0, listed.stderr);
  return (JSON.parse(listed.stdout) as Array<{ name: string; admin: boolean }>).filter((u) => u.admin).map((u) => u.name);
}

test('user admin --set and --unset change the role; the last administrator is kept (exit 9); errors exit with their codes', async () => {
  const added = await runCliProcess(['registry', 'user', 'add', 'bea', '--password-stdin'], env, `${BEA_PASSWORD}\n`);
  assert.equal(added.code, 0, added.stderr);
  assert.deepEqual(await admins(), ['admin']);
  assert.equal((await cli(['user', 'list'], 'bea')).code, 4, 'bea is no administrator yet');
  assert.equal((await cli(['user', 'admin', 'admin', '--unset'], 'bea')).code, 4, 'nor may she change roles');

  const usage = await cli(['user', 'admin', 'bea']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /registry user admin takes --set .* or --unset/);
  assert.equal((await cli(['user', 'admin', 'bea', '--set', '--unset'])).code, 2);

  const set = await cli(['user', 'admin', 'bea', '--set', '--format', 'json']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stderr, /bea is now a registry administrator/);
  assert.deepEqual({ name: (JSON.parse(set.stdout) as { name: string }).name, admin: (JSON.parse(set.stdout) as { admin: boolean }).admin }, { name: 'bea', admin: true });
  assert.deepEqual(await admins(), ['admin', 'bea']);
  assert.equal((await cli(['user', 'list'], 'bea')).code, 0, 'bea uses the admin commands now');

  // bea takes the role from admin, then cannot give up her own: she is the last one.
  const unset = await cli(['user', 'admin', 'admin', '--unset'], 'bea');
  assert.equal(unset.code, 0, unset.stderr);
  assert.match(unset.stderr, /admin is no longer a registry administrator/);
  assert.equal(unset.stdout, '', 'nothing on stdout without --format json');
  const last = await cli(['user', 'admin', 'bea', '--unset'], 'bea');
  assert.equal(last.code, 9, last.stderr);
  assert.match(last.stderr, /bea is the last administrator: make another user a registry administrator first/);
  assert.equal((await cli(['user', 'list'])).code, 4, 'admin lost the role at once');

  assert.equal((await cli(['user', 'admin', 'admin', '--set'], 'bea')).code, 0);
  assert.equal((await cli(['user', 'admin', 'bea', '--unset'])).code, 0, 'with another administrator she may go');
  assert.deepEqual(await admins(), ['admin']);
  assert.equal((await cli(['user', 'admin', 'nobody', '--set'])).code, 3, 'no such user');
});
