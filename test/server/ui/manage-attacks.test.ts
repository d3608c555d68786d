/**
 * The UI's forms attacked as a hostile signed-in user would, on a registry
 * with accounts in process (manage-ui.ts), for what manage-permissions.test.ts
 * does not already try: a session's cookie and form token after sign-out, after
 * its account is deleted, and after its password is reset (an attacker holding
 * a stolen session loses it at the reset); a project admin aiming the
 * administration forms at others' accounts, with a confirmation token made from
 * their own session; ids of another project's robot, webhook, delivery and
 * member on this project's forms; a robot's credentials on a form; an oversized
 * form and a repeated token field; and a project trust policy nested deeper than
 * a policy can be (it made the parsers overflow the stack: a 500). Each
 * asserts the refusal and that the store did not change; the refusals the
 * operator log promises (docs/serve.md, "Logs") are there with their path.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { confirmToken } from '../../../src/server/ui/confirm.js';
import { api, basic, ADMIN_PASSWORD } from '../auth/accounts-registry.js';
import { captureLog } from '../../support/registry-log.js';
import { signInAs } from './accounts-ui.js';
import { manageUi, post, signedInManageUi, signInManage } from './manage-ui.js';

const fx = signedInManageUi();
const ADMIN = basic('admin', ADMIN_PASSWORD);
const PASSWORD = 'a-long-password-123';

function page(cookie: string, url: string): Promise<LightMyRequestResponse> {
  return fx.ui.app.inject({ method: 'GET', url, headers: { cookie } });
}

async function members(project: string): Promise<Array<{ user: string; role: string }>> {
  const res = await api(fx.ui.app, 'GET', `/projects/${project}/members`, ADMIN);
  assert.equal(res.statusCode, 200, res.body);
  return (JSON.parse(res.body) as { members: Array<{ user: string; role: string }> }).members;
}

/** A new account, admin of `team`, signed in to the UI. */
async function teamAdmin(name: string): Promise<{ cookie: string; csrf: string }> {
  assert.equal((await api(fx.ui.app, 'POST', '/users', ADMIN, { name, password: PASSWORD })).statusCode, 201);
  assert.equal((await api(fx.ui.app, 'PUT', `/projects/team/members/${name}`, ADMIN, { role: 'admin' })).statusCode, 200);
  return signInAs(fx.ui.app, name, PASSWORD);
}

/** Posts a member form with the session and expects the session to be gone: 403 "Sign in", and `target` not added. */
async function assertSessionEnded(session: { cookie: string; csrf: string }, target: string, what: string): Promise<void> {
  const res = await post(fx.ui.app, '/ui/p/team/members', session, [['csrf', session.csrf], ['user', target], ['role', 'admin']]);
  assert.equal(res.statusCode, 403, what);
  assert.match(res.body, /Sign in to the UI to make changes here/, what);
  const shown = await page(session.cookie, '/ui/p/team');
  assert.equal(shown.statusCode, 303, `${what}: the project page sends the browser to sign in`);
  assert.match(String(shown.headers.location), /^\/ui\/login/, what);
  assert.equal((await members('team')).some((m) => m.user === target), false, `${what}: ${target} was added`);
}

describe('sessions that ended stay ended', () => {
  test('after sign-out the old cookie and form token open nothing and post nothing', async () => {
    const session = await teamAdmin('leaver');
    const out = await post(fx.ui.app, '/ui/logout', session, [['csrf', session.csrf]]);
    assert.equal(out.statusCode, 303);
    await assertSessionEnded(session, 'dave', 'signed out');
  });

  test('a deleted account\'s open session ends at its next request', async () => {
    const session = await teamAdmin('doomed');
    assert.equal((await api(fx.ui.app, 'DELETE', '/users/doomed', ADMIN)).statusCode, 204);
    await assertSessionEnded(session, 'dave', 'deleted');
  });

  test('a password reset ends every session opened before it; the new password opens a working one', async () => {
    const stolen = await teamAdmin('victim');
    const own = await signInAs(fx.ui.app, 'victim', PASSWORD);
    assert.equal((await page(stolen.cookie, '/ui/p/team')).statusCode, 200, 'open before the reset');
    const admin = fx.sessions.get('admin')!;
    const reset = await post(fx.ui.app, '/ui/admin/password', admin, [['csrf', admin.csrf], ['user', 'victim']]);
    assert.equal(reset.statusCode, 200, reset.body);
    const password = /<code id="reset-password">([^<]+)<\/code>/.exec(reset.body)?.[1];
    assert.ok(password, 'the reset page shows the new password');
    await assertSessionEnded(stolen, 'dave', 'the stolen session');
    await assertSessionEnded(own, 'dave', 'the user\'s other session');
    const fresh = await signInAs(fx.ui.app, 'victim', password);
    const done = await post(fx.ui.app, '/ui/p/team/members', fresh, [['csrf', fresh.csrf], ['user', 'dave'], ['role', 'pull']]);
    assert.equal(done.statusCode, 303, done.body);
    assert.ok((await members('team')).some((m) => m.user === 'dave' && m.role === 'pull'));
    assert.equal((await api(fx.ui.app, 'DELETE', '/projects/team/members/dave', ADMIN)).statusCode, 204);
  });
});

describe('a project admin reaching past their project', () => {
  test('the administration forms answer 404 to a project admin, even with a confirmation token made from their own session; nothing changes', async () => {
    const alice = fx.sessions.get('alice')!;
    const reset = await post(fx.ui.app, '/ui/admin/password', alice, [['csrf', alice.csrf], ['user', 'admin']]);
    assert.equal(reset.statusCode, 404);
    assert.doesNotMatch(reset.body, /reset-password/);
    const remove = await post(fx.ui.app, '/ui/admin/remove-user', alice, [['csrf', alice.csrf], ['user', 'carol'], ['confirm', confirmToken(alice.csrf, 'user:carol')]]);
    assert.equal(remove.statusCode, 404);
    const promote = await post(fx.ui.app, '/ui/admin/users', alice, [['csrf', alice.csrf], ['name', 'alice'], ['password', PASSWORD], ['admin', 'true']]);
    assert.equal(promote.statusCode, 404);
    const drop = await post(fx.ui.app, '/ui/p/other/delete', alice, [['csrf', alice.csrf], ['confirm', confirmToken(alice.csrf, 'project:other')]]);
    assert.equal(drop.statusCode, 404);
    assert.equal((await api(fx.ui.app, 'GET', '/users/admin', ADMIN)).statusCode, 200, 'the administrator\'s password is unchanged');
    assert.equal((await api(fx.ui.app, 'GET', '/users/carol', ADMIN)).statusCode, 200, 'carol still exists');
    assert.equal((JSON.parse((await api(fx.ui.app, 'GET', '/users/alice', ADMIN)).body) as { admin: boolean }).admin, false);
    assert.equal((await api(fx.ui.app, 'GET', '/projects/other', ADMIN)).statusCode, 200);
  });

  test('ids of another project\'s robot, webhook, delivery and member, posted on this project\'s forms, are not found; the other project is unchanged', async () => {
    const robot = await api(fx.ui.app, 'POST', '/projects/other/robots', ADMIN, { name: 'bot', actions: ['pull'] });
    assert.equal(robot.statusCode, 201, robot.body);
    const hook = await api(fx.ui.app, 'POST', '/projects/other/webhooks', ADMIN, { url: 'https://hooks.example/other' });
    assert.equal(hook.statusCode, 201, hook.body);
    const id = (JSON.parse(hook.body) as { id: string }).id;
    const alice = fx.sessions.get('alice')!;
    const tries: Array<[string, ReadonlyArray<readonly [string, string]>]> = [
      ['robots/revoke', [['robot', 'robot$other+bot']]],
      ['webhooks/remove', [['webhook', id]]],
      ['webhooks/edit', [['webhook', id], ['url', 'https://attacker.example/in'], ['enabled', 'true']]],
      ['webhooks/rotate', [['webhook', id]]],
      ['webhooks/redeliver', [['delivery', `${id}/${randomUUID()}`]]],
      ['members/remove', [['user', 'carol']]],
    ];
    for (const [action, fields] of tries) {
      const res = await post(fx.ui.app, `/ui/p/team/${action}`, alice, [['csrf', alice.csrf], ...fields]);
      assert.equal(res.statusCode, 404, `${action}: ${res.body.slice(0, 200)}`);
      assert.doesNotMatch(res.body, /<code id="(robot-secret|webhook-secret-once)">/, action);
    }
    const robots = JSON.parse((await api(fx.ui.app, 'GET', '/projects/other/robots', ADMIN)).body) as { robots: Array<{ name: string; revokedAt: string | null }> };
    assert.equal(robots.robots.find((r) => r.name === 'robot$other+bot')?.revokedAt, null);
    const stored = JSON.parse((await api(fx.ui.app, 'GET', `/projects/other/webhooks/${id}`, ADMIN)).body) as { url: string; updatedAt: string; createdAt: string };
    assert.equal(stored.url, 'https://hooks.example/other');
    assert.equal(stored.updatedAt, stored.createdAt, 'not edited nor rotated');
    assert.ok((await members('other')).some((m) => m.user === 'carol' && m.role === 'admin'));
  });

  test('a robot\'s credentials neither sign in to the UI nor post a form, even the project\'s own robot with every right', async () => {
    const made = await api(fx.ui.app, 'POST', '/projects/team/robots', ADMIN, { name: 'pusher', actions: ['pull', 'push', 'delete'] });
    assert.equal(made.statusCode, 201, made.body);
    const { name, secret } = JSON.parse(made.body) as { name: string; secret: string };
    const res = await fx.ui.app.inject({ method: 'POST', url: '/ui/p/team/members', payload: 'user=carol&role=admin', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(name, secret) } });
    assert.equal(res.statusCode, 403);
    assert.equal((await members('team')).some((m) => m.user === 'carol'), false);
    const form = await fx.ui.app.inject({ method: 'GET', url: '/ui/login' });
    const token = /name="csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    const login = await fx.ui.app.inject({
      method: 'POST',
      url: '/ui/login',
      payload: new URLSearchParams({ csrf: token, next: '/ui/', username: name, password: secret }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portcullis_login=${token}` },
    });
    assert.equal(login.statusCode, 403);
    assert.match(login.body, /Robot accounts sign in with clients/);
    assert.doesNotMatch(String(login.headers['set-cookie']), /portcullis_session=[^;]/, 'no session is opened');
  });
});

describe('hostile form bodies', () => {
  test('a form over 8 KiB is 413 and changes nothing; of a repeated token field only the first counts', async () => {
    const alice = fx.sessions.get('alice')!;
    const big = await post(fx.ui.app, '/ui/p/team/members', alice, [['csrf', alice.csrf], ['user', 'dave'], ['role', 'admin'], ['pad', 'x'.repeat(9 * 1024)]]);
    assert.equal(big.statusCode, 413);
    const twice = await post(fx.ui.app, '/ui/p/team/members', alice, [['csrf', 'A'.repeat(43)], ['csrf', alice.csrf], ['user', 'dave'], ['role', 'admin']]);
    assert.equal(twice.statusCode, 403);
    assert.equal((await members('team')).some((m) => m.user === 'dave'), false);
  });

  test('a trust policy nested deeper than a policy can be is refused with 400 through the API and the form, and nothing is stored', async () => {
    const alice = basic('alice', 'alice-password-0123');
    const before = (await api(fx.ui.app, 'GET', '/projects/team/settings', alice)).body;
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const res = await fx.ui.app.inject({ method: 'PUT', url: '/api/v1/projects/team/settings', payload: `{"trustPolicy":{"keys":${deep}}}`, headers: { authorization: alice, 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 400, res.body);
    assert.match(res.body, /trustPolicy: nested deeper than 16 levels/);
    const session = fx.sessions.get('alice')!;
    const form = await post(fx.ui.app, '/ui/p/team/settings', session, [['csrf', session.csrf], ['trustPolicy', `{"keys":${'['.repeat(1300)}${']'.repeat(1300)}}`]]);
    assert.equal(form.statusCode, 400);
    assert.match(form.body, /trustPolicy: nested deeper than 16 levels/);
    assert.equal((await api(fx.ui.app, 'GET', '/projects/team/settings', alice)).body, before);
  });
});

describe('the operator log', () => {
  test('a refused form token is ui.csrf and an unconfirmed delete ui.unconfirmed, each with its path; sign-in and sign-out are logged with the user', async (t) => {
    const log = captureLog('info');
    const ui = await manageUi({ log: log.log });
    t.after(() => ui.close());
    const admin = await signInManage(ui.app, 'admin');
    assert.equal((await post(ui.app, '/ui/p/team/members', admin, [['csrf', 'A'.repeat(43)], ['user', 'dave'], ['role', 'admin']])).statusCode, 403);
    assert.equal((await post(ui.app, '/ui/admin/remove-user', admin, [['csrf', admin.csrf], ['user', 'dave'], ['confirm', 'forged']])).statusCode, 403);
    assert.equal((await post(ui.app, '/ui/logout', admin, [['csrf', admin.csrf]])).statusCode, 303);
    const wanted = ['ui.login', 'ui.csrf', 'ui.unconfirmed', 'ui.logout'];
    // pino writes through a stream: wait (bounded) until the lines are in.
    for (let i = 0; i < 100 && wanted.some((e) => log.events(e).length === 0); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(log.events('ui.csrf').map((l) => [l.level, l.path]), [['warn', '/ui/p/team/members']]);
    assert.deepEqual(log.events('ui.unconfirmed').map((l) => l.path), ['/ui/admin/remove-user']);
    assert.deepEqual(log.events('ui.login').map((l) => l.user), ['admin']);
    assert.deepEqual(log.events('ui.logout').map((l) => l.user), ['admin']);
    assert.ok((await api(ui.app, 'GET', '/users/dave', ADMIN)).statusCode === 200, 'dave was not deleted');
  });
});
