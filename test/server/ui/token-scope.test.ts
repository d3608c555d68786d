/**
 * A Bearer token on the UI is held to the access it was issued for, as on
 * /v2/ and the admin API: a pull token for one repository (what a client or CI
 * job holds) opens that repository's pages and lists it alone; the project
 * pages and the audit log, which the admin API serves, need `registry:admin:*`
 * (401 insufficient_scope otherwise) — before, the UI dropped the token's
 * scope and showed its holder the account's members, robots, webhooks and
 * audit log. Basic credentials and the admin-scoped token still stand for the
 * account. In process, on the registry of manage-ui.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { pushImage } from '../api/helpers.js';
import { ADMIN_PASSWORD, basic, tokenFor } from '../auth/accounts-registry.js';
import { MANAGE_PASSWORDS, signedInManageUi } from './manage-ui.js';

const fx = signedInManageUi();

function get(url: string, authorization: string): Promise<LightMyRequestResponse> {
  return fx.ui.app.inject({ method: 'GET', url, headers: { authorization } });
}

test('a pull token for one repository opens that repository only: no other repository, project page or audit log', async () => {
  await pushImage(fx.ui.app, 'team/lib', 'v1', { headers: { authorization: basic('admin', ADMIN_PASSWORD) } });
  const alice = basic('alice', MANAGE_PASSWORDS.alice);
  for (const [who, credentials] of [['alice', alice], ['the administrator', basic('admin', ADMIN_PASSWORD)]] as const) {
    const token = `Bearer ${await tokenFor(fx.ui.app, credentials, ['repository:team/app:pull'])}`;
    for (const url of ['/ui/audit', '/ui/p/team']) {
      const res = await get(url, token);
      assert.equal(res.statusCode, 401, `${who} ${url}`);
      assert.match(String(res.headers['www-authenticate']), /scope="registry:admin:\*",error="insufficient_scope"/, `${who} ${url}`);
      assert.doesNotMatch(res.body, /data-member|<table/, `${who} ${url}: nothing of the page`);
    }
    assert.equal((await get('/ui/r/team/app', token)).statusCode, 200, who);
    assert.equal((await get('/ui/r/team/lib', token)).statusCode, 403, `${who}: a repository the token was not issued for`);
    const list = await get('/ui/', token);
    assert.equal(list.statusCode, 200, who);
    assert.match(list.body, /href="\/ui\/r\/team\/app"/, who);
    assert.doesNotMatch(list.body, /team\/lib/, `${who}: the list shows only what the token may pull`);
  }
  // The same user with Basic credentials, or a token for the admin API, sees the account's pages.
  const adminToken = `Bearer ${await tokenFor(fx.ui.app, alice, ['registry:admin:*'])}`;
  for (const credentials of [alice, adminToken]) {
    const project = await get('/ui/p/team', credentials);
    assert.equal(project.statusCode, 200);
    assert.match(project.body, /data-member="alice"/);
    assert.equal((await get('/ui/audit', credentials)).statusCode, 200);
    assert.match((await get('/ui/', credentials)).body, /team\/lib/);
  }
});
