/**
 * UI sessions live in the metadata store: a registry started as `portcullis
 * serve --config` starts it (accounts, SQLite under the root) signs a user
 * in over HTTP; the registry is closed and started again on the same root,
 * and the same cookie still opens the project page and posts a form (the
 * form token, derived from the id, is the same); a second registry process
 * on the same root at the same time knows the session too; after signing
 * out, the cookie opens nothing on either, and the stored row is gone.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { parse as parseCookies } from 'cookie';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../../src/server/open.js';
import { silentLog } from '../../../src/server/log.js';

const ADMIN_PASSWORD = 'admin-password-restart';
const running: RunningRegistry[] = [];
let work = '';

after(async () => {
  for (const registry of running) await registry.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function start(config: string): Promise<RunningRegistry> {
  const built = await buildConfig({ config }, { stdout: new PassThrough(), stderr: new PassThrough(), env: { ...process.env, PORTCULLIS_ADMIN_PASSWORD: '' } });
  const registry = await startRegistry({ ...built, log: silentLog() });
  running.push(registry);
  return registry;
}

function cookieFrom(response: Response, name: string): string {
  for (const line of response.headers.getSetCookie()) {
    const value = parseCookies(line)[name];
    if (value) return value;
  }
  throw new Error(`no ${name} cookie`);
}

async function signIn(base: string): Promise<string> {
  const form = await fetch(`${base}/ui/login`);
  const login = cookieFrom(form, 'portcullis_login');
  const body = new URLSearchParams({ csrf: login, next: '/ui/', username: 'admin', password: ADMIN_PASSWORD });
  const res = await fetch(`${base}/ui/login`, { method: 'POST', body, redirect: 'manual', headers: { cookie: `portcullis_login=${login}`, 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(res.status, 303);
  return `portcullis_session=${cookieFrom(res, 'portcullis_session')}`;
}

async function projectPage(base: string, cookie: string): Promise<{ status: number; csrf?: string; signedIn: boolean }> {
  const res = await fetch(`${base}/ui/p/team`, { headers: { cookie }, redirect: 'manual' });
  const text = await res.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(text)?.[1];
  return { status: res.status, signedIn: /<span id="signed-in-as">admin<\/span>/.test(text), ...(csrf ? { csrf } : {}) };
}

test('a UI session survives a restart and is shared by two processes; signing out ends it everywhere', async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-ui-restart-'));
  const config = join(work, 'portcullis.yaml');
  await writeFile(config, ['root: ./data', 'listen:', '  addr: 127.0.0.1:0', 'auth:', '  accounts: true', `  adminPassword: ${ADMIN_PASSWORD}`, 'scan:', '  enabled: false', 'notary:', '  enabled: false', ''].join('\n'));
  const first = await start(config);
  const created = await fetch(`${first.url}/api/v1/projects`, { method: 'POST', body: JSON.stringify({ name: 'team' }), headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' } });
  assert.equal(created.status, 201);
  const cookie = await signIn(first.url);
  const before = await projectPage(first.url, cookie);
  assert.equal(before.status, 200);
  assert.ok(before.signedIn && before.csrf);
  await first.close();
  running.splice(running.indexOf(first), 1);

  const second = await start(config);
  const afterRestart = await projectPage(second.url, cookie);
  assert.equal(afterRestart.status, 200, 'still signed in after the restart');
  assert.ok(afterRestart.signedIn);
  assert.equal(afterRestart.csrf, before.csrf, 'the same form token');
  const form = await fetch(`${second.url}/ui/p/team/settings`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ csrf: before.csrf!, untaggedRetention: '2d' }), headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(form.status, 303, 'a form posts with the session after the restart');

  const third = await start(config);
  assert.ok((await projectPage(third.url, cookie)).signedIn, 'another process on the same database knows the session');
  const db = new Database(join(work, 'data', 'registry.sqlite'), { readonly: true });
  try {
    const rows = db.prepare<[], { key: string; user_name: string }>('SELECT key, user_name FROM ui_sessions').all();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.user_name, 'admin');
    assert.equal(cookie.includes(rows[0]!.key), false, 'the stored key is not the cookie');
    const out = await fetch(`${third.url}/ui/logout`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ csrf: before.csrf! }), headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(out.status, 303);
    assert.equal((db.prepare('SELECT count(*) AS n FROM ui_sessions').get() as { n: number }).n, 0, 'sign-out deletes the row');
  } finally {
    db.close();
  }
  for (const registry of [second, third]) {
    const page = await projectPage(registry.url, cookie);
    assert.equal(page.status, 303, 'signed out: sent to sign in');
    assert.equal(page.signedIn, false);
  }
});
