/**
 * The UI's project visibility form, project and user deletion behind a
 * confirmation page, the user list and password reset (manage.ts,
 * manage-pages.ts, confirm.ts), on a registry with accounts in process
 * (manage-ui.ts). Each: who may (and who gets 403 or 404), the form token
 * refused when missing or wrong, a destructive form refused without the
 * confirmation page's own token (or with another target's), the effect
 * read back through the admin API, the audit record naming the UI's user.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { confirmToken } from '../../../src/server/ui/confirm.js';
import { api, basic, ADMIN_PASSWORD } from '../auth/accounts-registry.js';
import { post, signedInManageUi, type ManageUser } from './manage-ui.js';

const fx = signedInManageUi();
const sessions = fx.sessions;
const ADMIN = basic('admin', ADMIN_PASSWORD);

type Fields = ReadonlyArray<readonly [string, string]>;

function send(user: ManageUser | undefined, url: string, fields: Fields, csrf?: string): Promise<LightMyRequestResponse> {
  const session = user ? sessions.get(user) : undefined;
  return post(fx.ui.app, url, session, [['csrf', csrf ?? session?.csrf ?? ''], ...fields]);
}

function get(user: ManageUser | undefined, url: string): Promise<LightMyRequestResponse> {
  return fx.ui.app.inject({ method: 'GET', url, headers: user ? { cookie: sessions.get(user)!.cookie } : {} });
}

async function isPublic(project: string): Promise<boolean> {
  return (JSON.parse((await api(fx.ui.app, 'GET', `/projects/${project}`, ADMIN)).body) as { public: boolean }).public;
}

async function actions(principal: string): Promise<string[]> {
  await fx.ui.settle();
  return (await fx.ui.audit.query({ principal, limit: 200 })).map((r) => `${r.action} ${r.outcome} ${r.project ?? ''} ${JSON.stringify(r.detail ?? {})}`);
}

describe('project visibility', () => {
  test('the project admin and a registry administrator may; pull, push and delete members get 403; strangers 404; a wrong token 403', async () => {
    for (const user of ['pia', 'pete', 'dora'] as const) {
      const res = await send(user, '/ui/p/team/visibility', [['public', 'true']]);
      assert.equal(res.statusCode, 403, user);
      assert.match(res.body, /managing project team needs its admin role/);
    }
    for (const [user, project] of [['dave', 'team'], ['carol', 'team'], ['alice', 'other'], ['admin', 'nosuch']] as const) {
      assert.equal((await send(user, `/ui/p/${project}/visibility`, [['public', 'true']])).statusCode, 404, `${user} ${project}`);
    }
    assert.equal((await send(undefined, '/ui/p/team/visibility', [['public', 'true']])).statusCode, 403);
    assert.equal((await send('alice', '/ui/p/team/visibility', [['public', 'true']], 'A'.repeat(43))).statusCode, 403);
    assert.equal(await isPublic('team'), false, 'nothing changed');

    const res = await send('alice', '/ui/p/team/visibility', [['public', 'true']]);
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/ui/p/team?done=project.visibility');
    assert.equal(await isPublic('team'), true);
    const page = await get('alice', String(res.headers.location));
    assert.match(page.body, /data-meta="Visibility">public/);
    assert.match(page.body, /<option value="true" selected>public/);
    assert.equal((await send('admin', '/ui/p/team/visibility', [['public', 'false']])).statusCode, 303);
    assert.equal(await isPublic('team'), false);
    const bad = await send('alice', '/ui/p/team/visibility', [['public', 'maybe']]);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /&quot;public&quot; must be true or false/);
    assert.ok((await actions('alice')).includes('project.changed success team {"public":true}'));
  });
});

describe('deleting a project', () => {
  test('the confirmation page: registry administrators only (a project admin 403, strangers 404, anonymous to sign in)', async () => {
    const page = await get('admin', '/ui/p/team/delete');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1>Delete project team\?<\/h1>/);
    assert.match(page.body, new RegExp(`name="confirm" value="${confirmToken(sessions.get('admin')!.csrf, 'project:team')}"`));
    assert.equal((await get('alice', '/ui/p/team/delete')).statusCode, 403);
    assert.equal((await get('dave', '/ui/p/team/delete')).statusCode, 404);
    assert.equal((await get('admin', '/ui/p/nosuch/delete')).statusCode, 404);
    assert.equal((await get(undefined, '/ui/p/team/delete')).statusCode, 303);
    assert.match((await get('admin', '/ui/p/team')).body, /<a href="\/ui\/p\/team\/delete" id="delete-project">/);
    assert.doesNotMatch((await get('alice', '/ui/p/team')).body, /id="delete-project"/);
  });

  test('refused without the confirmation token, with another project\'s, by a project admin and while repositories remain; done when confirmed', async () => {
    assert.equal((await api(fx.ui.app, 'POST', '/projects', ADMIN, { name: 'empty' })).statusCode, 201);
    assert.equal((await api(fx.ui.app, 'PUT', '/projects/empty/members/alice', ADMIN, { role: 'admin' })).statusCode, 200);
    const admin = sessions.get('admin')!;
    const unconfirmed = await send('admin', '/ui/p/empty/delete', []);
    assert.equal(unconfirmed.statusCode, 403);
    assert.match(unconfirmed.body, /must be confirmed on its own page/);
    assert.equal((await send('admin', '/ui/p/empty/delete', [['confirm', confirmToken(admin.csrf, 'project:team')]])).statusCode, 403, "another project's token");
    assert.equal((await send('admin', '/ui/p/empty/delete', [['confirm', confirmToken(admin.csrf, 'project:empty')]], 'A'.repeat(43))).statusCode, 403, 'a wrong form token');
    const byAlice = await send('alice', '/ui/p/empty/delete', [['confirm', confirmToken(sessions.get('alice')!.csrf, 'project:empty')]]);
    assert.equal(byAlice.statusCode, 403);
    assert.match(byAlice.body, /deleting projects needs a registry administrator/);
    assert.equal((await api(fx.ui.app, 'GET', '/projects/empty', ADMIN)).statusCode, 200, 'still there');

    const holding = await send('admin', '/ui/p/team/delete', [['confirm', confirmToken(admin.csrf, 'project:team')]]);
    assert.equal(holding.statusCode, 409);
    assert.match(holding.body, /project team still holds repositories: delete them first/);
    const done = await send('admin', '/ui/p/empty/delete', [['confirm', confirmToken(admin.csrf, 'project:empty')]]);
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/ui/admin?done=project.deleted');
    assert.equal((await api(fx.ui.app, 'GET', '/projects/empty', ADMIN)).statusCode, 404);
    assert.match((await get('admin', String(done.headers.location))).body, /Project deleted\./);
    assert.ok((await actions('admin')).some((a) => a.startsWith('project.deleted success empty')));
  });
});

describe('users on the administration page', () => {
  test('listed for registry administrators, a page at a time after a name', async () => {
    const page = await get('admin', '/ui/admin');
    for (const name of ['admin', 'alice', 'pia', 'dave']) assert.match(page.body, new RegExp(`<tr data-user="${name}">`), name);
    assert.match(page.body, /<tr data-user="admin"><td class="name">admin<\/td><td class="admin">registry administrator<\/td>/);
    const after = await get('admin', '/ui/admin?users=pete');
    assert.deepEqual([...after.body.matchAll(/<tr data-user="([^"]+)">/g)].map((m) => m[1]), ['pia']);
    assert.match(after.body, /id="first-users"/);
    assert.equal((await get('alice', '/ui/admin?users=pete')).statusCode, 404);
  });

  test('reset password: registry administrators only; the generated password is shown once and works, the old one no longer', async () => {
    assert.equal((await api(fx.ui.app, 'POST', '/users', ADMIN, { name: 'gina', password: 'gina-password-0123' })).statusCode, 201);
    for (const user of ['alice', 'dave'] as const) assert.equal((await send(user, '/ui/admin/password', [['user', 'gina']])).statusCode, 404, user);
    assert.equal((await send(undefined, '/ui/admin/password', [['user', 'gina']])).statusCode, 403);
    assert.equal((await send('admin', '/ui/admin/password', [['user', 'gina']], 'A'.repeat(43))).statusCode, 403);
    assert.equal((await api(fx.ui.app, 'GET', '/users/gina', basic('gina', 'gina-password-0123'))).statusCode, 200, 'unchanged so far');
    const res = await send('admin', '/ui/admin/password', [['user', 'gina']]);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const password = /<code id="reset-password">([^<]+)<\/code>/.exec(res.body)?.[1];
    assert.ok(password && password.length >= 20);
    assert.equal((await api(fx.ui.app, 'GET', '/users/gina', basic('gina', password))).statusCode, 200);
    assert.equal((await api(fx.ui.app, 'GET', '/users/gina', basic('gina', 'gina-password-0123'))).statusCode, 401);
    assert.doesNotMatch((await get('admin', '/ui/admin')).body, new RegExp(password));
    const missing = await send('admin', '/ui/admin/password', [['user', 'nobody<i>']]);
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /user nobody&lt;i&gt; does not exist/);
    const audit = await actions('admin');
    assert.ok(audit.includes('user.password success  {"user":"gina"}'), audit.join('\n'));
    assert.ok(!audit.some((a) => a.includes(password)));
  });

  test('deleting a user: a confirmation page first, its token needed (for that user), never the last administrator', async () => {
    assert.equal((await api(fx.ui.app, 'POST', '/users', ADMIN, { name: 'hank', password: 'hank-password-0123' })).statusCode, 201);
    const admin = sessions.get('admin')!;
    const confirm = await get('admin', '/ui/admin/remove-user?user=hank');
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /<h1>Delete user hank\?<\/h1>/);
    assert.equal((await get('alice', '/ui/admin/remove-user?user=hank')).statusCode, 404);
    assert.equal((await get('admin', '/ui/admin/remove-user?user=nobody')).statusCode, 404);
    const token = /name="confirm" value="([^"]+)"/.exec(confirm.body)?.[1];
    assert.equal(token, confirmToken(admin.csrf, 'user:hank'));

    assert.equal((await send('admin', '/ui/admin/remove-user', [['user', 'hank']])).statusCode, 403, 'no confirmation');
    assert.equal((await send('admin', '/ui/admin/remove-user', [['user', 'hank'], ['confirm', confirmToken(admin.csrf, 'user:gina')]])).statusCode, 403, "another user's");
    assert.equal((await send('alice', '/ui/admin/remove-user', [['user', 'hank'], ['confirm', confirmToken(sessions.get('alice')!.csrf, 'user:hank')]])).statusCode, 404, 'not an administrator');
    assert.equal((await api(fx.ui.app, 'GET', '/users/hank', ADMIN)).statusCode, 200, 'still there');

    const done = await send('admin', '/ui/admin/remove-user', [['user', 'hank'], ['confirm', token!]]);
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/ui/admin?done=user.deleted');
    assert.equal((await api(fx.ui.app, 'GET', '/users/hank', ADMIN)).statusCode, 404);
    const last = await send('admin', '/ui/admin/remove-user', [['user', 'admin'], ['confirm', confirmToken(admin.csrf, 'user:admin')]]);
    assert.equal(last.statusCode, 409);
    assert.match(last.body, /admin is the last administrator/);
    assert.ok((await actions('admin')).includes('user.deleted success  {"user":"hank"}'));
  });
});
