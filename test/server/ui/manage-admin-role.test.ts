/**
 * Making a user a registry administrator and taking the role away, on the
 * UI's administration page (manage.ts, manage-pages.ts: "Make administrator"
 * is a form, "Remove administrator" a confirmation page with its own token)
 * and the admin API's PATCH /users/NAME they share (users.ts setUserAdmin),
 * on a registry with accounts in process (manage-ui.ts). Each: who may
 * (anonymous, a push member, a project admin, a user with no role, a
 * registry administrator), the form token and the confirmation token
 * refused when missing or another's, the last administrator kept (409 with
 * what to do instead), an administrator removing their own role while
 * another remains, the audit record naming who did what, and a demoted
 * administrator's open UI session refused on /ui/admin at its next request.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { confirmToken } from '../../../src/server/ui/confirm.js';
import { api, basic, tokenFor, ADMIN_PASSWORD } from '../auth/accounts-registry.js';
import { MANAGE_PASSWORDS, post, signedInManageUi, type ManageUser } from './manage-ui.js';

const fx = signedInManageUi();
const sessions = fx.sessions;
const ADMIN = basic('admin', ADMIN_PASSWORD);

type Fields = ReadonlyArray<readonly [string, string]>;

function send(user: ManageUser | undefined, url: string, fields: Fields, options: { csrf?: string; headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
  const session = user ? sessions.get(user) : undefined;
  return post(fx.ui.app, url, session, [['csrf', options.csrf ?? session?.csrf ?? ''], ...fields], options.headers);
}

function get(user: ManageUser | undefined, url: string): Promise<LightMyRequestResponse> {
  return fx.ui.app.inject({ method: 'GET', url, headers: user ? { cookie: sessions.get(user)!.cookie } : {} });
}

/** Read by the user themselves: whoever of them is an administrator after a race, each may read their own record. */
async function isAdmin(name: ManageUser): Promise<boolean> {
  const res = await api(fx.ui.app, 'GET', `/users/${name}`, basic(name, MANAGE_PASSWORDS[name]));
  assert.equal(res.statusCode, 200, res.body);
  return (JSON.parse(res.body) as { admin: boolean }).admin;
}

/** The admin API's own PATCH as `user` (Basic credentials). */
function patch(user: ManageUser | undefined, name: string, admin: unknown): Promise<LightMyRequestResponse> {
  return api(fx.ui.app, 'PATCH', `/users/${name}`, user ? basic(user, MANAGE_PASSWORDS[user]) : undefined, { admin });
}

async function actions(principal: string): Promise<string[]> {
  await fx.ui.settle();
  return (await fx.ui.audit.query({ principal, limit: 500 })).map((r) => `${r.action} ${r.outcome} ${JSON.stringify(r.detail ?? {})}`);
}

function demoteToken(user: ManageUser, target: string): string {
  return confirmToken(sessions.get(user)!.csrf, `admin:${target}`);
}

describe('making a registry administrator', () => {
  test('anonymous 403; a push member, a project admin and a user with no role 404 (and 403 on the API); a missing, wrong or cross-site form token 403; nothing changed', async () => {
    assert.equal((await send(undefined, '/ui/admin/make-admin', [['user', 'dave']])).statusCode, 403);
    for (const user of ['pete', 'alice', 'dave'] as const) {
      assert.equal((await send(user, '/ui/admin/make-admin', [['user', 'dave']])).statusCode, 404, user);
      const viaApi = await patch(user, 'dave', true);
      assert.equal(viaApi.statusCode, 403, `${user} on the API`);
      assert.match(viaApi.body, /this needs a registry administrator/);
    }
    assert.equal((await patch(undefined, 'dave', true)).statusCode, 401);
    const noToken = await send('admin', '/ui/admin/make-admin', [['user', 'dave']], { csrf: '' });
    assert.equal(noToken.statusCode, 403);
    assert.match(noToken.body, /The form did not come from this page/);
    assert.equal((await send('admin', '/ui/admin/make-admin', [['user', 'dave']], { csrf: sessions.get('alice')!.csrf })).statusCode, 403, "another session's token");
    assert.equal((await send('admin', '/ui/admin/make-admin', [['user', 'dave']], { headers: { 'sec-fetch-site': 'cross-site' } })).statusCode, 403, 'cross-site');
    assert.equal(await isAdmin('dave'), false, 'nothing changed');
  });

  test('a registry administrator makes dave one: 303 back with the notice, the page offers removal, the audit record says who and what, dave\'s open session gets the page at once', async () => {
    assert.equal((await get('dave', '/ui/admin')).statusCode, 404, 'not yet');
    const before = await get('admin', '/ui/admin');
    assert.match(before.body, /<button type="submit" data-promote="dave">Make administrator<\/button>/);
    assert.doesNotMatch(before.body, /data-promote="admin"/);
    assert.match(before.body, /<a href="\/ui\/admin\/remove-admin\?user=admin" data-demote="admin">Remove administrator…<\/a>/);

    const res = await send('admin', '/ui/admin/make-admin', [['user', 'dave']]);
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/ui/admin?done=user.promoted');
    assert.equal(await isAdmin('dave'), true);
    const page = await get('admin', String(res.headers.location));
    assert.match(page.body, /The user is now a registry administrator\./);
    assert.match(page.body, /<tr data-user="dave"><td class="name">dave<\/td><td class="admin">registry administrator<\/td>/);
    assert.match(page.body, /data-demote="dave"/);
    assert.equal((await get('dave', '/ui/admin')).statusCode, 200, "dave's session, signed in before, is an administrator's now");
    assert.ok((await actions('admin')).includes('user.changed success {"user":"dave","admin":true}'));

    const missing = await send('admin', '/ui/admin/make-admin', [['user', 'nobody<i>']]);
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /user nobody&lt;i&gt; does not exist/);
  });
});

describe('removing a registry administrator', () => {
  test('the confirmation page: registry administrators only, for a user that exists', async () => {
    const page = await get('admin', '/ui/admin/remove-admin?user=dave');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1>Remove dave as registry administrator\?<\/h1>/);
    assert.match(page.body, /dave loses the administration page and every registry-wide right from their next request on/);
    assert.match(page.body, new RegExp(`name="confirm" value="${demoteToken('admin', 'dave')}"`));
    assert.notEqual(demoteToken('admin', 'dave'), confirmToken(sessions.get('admin')!.csrf, 'user:dave'), "not the deletion page's token");
    for (const user of ['pete', 'alice'] as const) assert.equal((await get(user, '/ui/admin/remove-admin?user=dave')).statusCode, 404, user);
    assert.equal((await get(undefined, '/ui/admin/remove-admin?user=dave')).statusCode, 303, 'anonymous: to sign in');
    assert.equal((await get('admin', '/ui/admin/remove-admin?user=nobody')).statusCode, 404);
    assert.match((await get('admin', '/ui/admin/remove-admin?user=admin')).body, /You lose the administration page and every registry-wide right at once/);
  });

  test('refused without its confirmation token, with the deletion page\'s or another user\'s, by non-administrators; done when confirmed, and dave\'s open session loses /ui/admin at its next request', async () => {
    assert.equal(await isAdmin('dave'), true);
    const unconfirmed = await send('admin', '/ui/admin/remove-admin', [['user', 'dave']]);
    assert.equal(unconfirmed.statusCode, 403);
    assert.match(unconfirmed.body, /must be confirmed on its own page/);
    assert.equal((await send('admin', '/ui/admin/remove-admin', [['user', 'dave'], ['confirm', confirmToken(sessions.get('admin')!.csrf, 'user:dave')]])).statusCode, 403, "the deletion page's token");
    assert.equal((await send('admin', '/ui/admin/remove-admin', [['user', 'dave'], ['confirm', demoteToken('admin', 'pia')]])).statusCode, 403, "another user's");
    assert.equal((await send('admin', '/ui/admin/remove-admin', [['user', 'dave'], ['confirm', demoteToken('admin', 'dave')]], { csrf: 'A'.repeat(43) })).statusCode, 403, 'a wrong form token');
    assert.equal((await send(undefined, '/ui/admin/remove-admin', [['user', 'dave'], ['confirm', demoteToken('admin', 'dave')]])).statusCode, 403, 'anonymous');
    for (const user of ['pete', 'alice'] as const) assert.equal((await send(user, '/ui/admin/remove-admin', [['user', 'dave'], ['confirm', demoteToken(user, 'dave')]])).statusCode, 404, user);
    assert.equal(await isAdmin('dave'), true, 'nothing changed');
    assert.equal((await get('dave', '/ui/admin')).statusCode, 200);

    const done = await send('admin', '/ui/admin/remove-admin', [['user', 'dave'], ['confirm', demoteToken('admin', 'dave')]]);
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/ui/admin?done=user.demoted');
    assert.equal(await isAdmin('dave'), false);
    assert.match((await get('admin', String(done.headers.location))).body, /The user is no longer a registry administrator/);
    assert.ok((await actions('admin')).includes('user.changed success {"user":"dave","admin":false}'));

    // The same session cookie as before: refused at once, on the page and on its forms.
    const page = await get('dave', '/ui/admin');
    assert.equal(page.statusCode, 404);
    assert.doesNotMatch(page.body, /href="\/ui\/admin"/, 'no Administration link in the header');
    assert.equal((await send('dave', '/ui/admin/projects', [['name', 'by-dave']])).statusCode, 404);
    assert.equal((await send('dave', '/ui/admin/make-admin', [['user', 'dave']])).statusCode, 404);
    assert.equal((await api(fx.ui.app, 'GET', '/projects/by-dave', ADMIN)).statusCode, 404);
    assert.equal((await patch('dave', 'dave', true)).statusCode, 403, 'nor on the API');
  });

  test('the last registry administrator keeps the role: 409 on the page and the API, saying what to do instead', async () => {
    const res = await send('admin', '/ui/admin/remove-admin', [['user', 'admin'], ['confirm', demoteToken('admin', 'admin')]]);
    assert.equal(res.statusCode, 409);
    assert.match(res.body, /admin is the last administrator: make another user a registry administrator first/);
    assert.match(res.body, /<h1>Administration<\/h1>/, 'the administration page again, with the reason');
    const viaApi = await api(fx.ui.app, 'PATCH', '/users/admin', ADMIN, { admin: false });
    assert.equal(viaApi.statusCode, 409);
    assert.match(viaApi.body, /make another user a registry administrator first/);
    assert.equal(await isAdmin('admin'), true);
    assert.equal((await get('admin', '/ui/admin')).statusCode, 200);
    assert.ok(!(await actions('admin')).includes('user.changed success {"user":"admin","admin":false}'), 'nothing recorded as done');
  });

  test('two administrators removing each other at once: one is refused, one administrator remains', async () => {
    // Bearer tokens (no password hashing on the way), the likeliest to reach the check together.
    const bearer = async (user: ManageUser): Promise<string> => `Bearer ${await tokenFor(fx.ui.app, basic(user, MANAGE_PASSWORDS[user]), ['registry:admin:*'])}`;
    for (let round = 0; round < 5; round++) {
      assert.equal((await patch('admin', 'pia', true)).statusCode, 200);
      const [byAdmin, byPia] = [await bearer('admin'), await bearer('pia')];
      const [a, b] = await Promise.all([api(fx.ui.app, 'PATCH', '/users/pia', byAdmin, { admin: false }), api(fx.ui.app, 'PATCH', '/users/admin', byPia, { admin: false })]);
      // The later one is refused: 409 (the last administrator) or, when the other's change came before its own check, 403.
      const statuses = [a.statusCode, b.statusCode].sort();
      assert.ok(statuses[0] === 200 && (statuses[1] === 403 || statuses[1] === 409), `round ${round}: ${a.body} ${b.body}`);
      const admins = [await isAdmin('admin'), await isAdmin('pia')].filter(Boolean).length;
      assert.equal(admins, 1, `round ${round}`);
      if (!(await isAdmin('admin'))) assert.equal((await patch('pia', 'admin', true)).statusCode, 200);
      if (await isAdmin('pia')) assert.equal((await api(fx.ui.app, 'PATCH', '/users/pia', ADMIN, { admin: false })).statusCode, 200);
    }
  });

  test('an administrator may remove their own role while another remains: back to the repositories, the administration page gone', async () => {
    assert.equal((await patch('admin', 'carol', true)).statusCode, 200);
    const res = await send('admin', '/ui/admin/remove-admin', [['user', 'admin'], ['confirm', demoteToken('admin', 'admin')]]);
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/ui/?done=user.demoted');
    assert.equal(await isAdmin('admin'), false);
    assert.equal((await api(fx.ui.app, 'GET', '/users', ADMIN)).statusCode, 403, 'the API: no longer an administrator');
    assert.equal((await get('admin', '/ui/admin')).statusCode, 404);
    assert.ok((await actions('admin')).includes('user.changed success {"user":"admin","admin":false}'));
    // carol, the one left, gives it back.
    assert.equal((await patch('carol', 'admin', true)).statusCode, 200);
    assert.equal((await get('admin', '/ui/admin')).statusCode, 200);
  });
});
