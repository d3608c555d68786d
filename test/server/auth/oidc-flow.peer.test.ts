/**
 * OIDC sign-in to `portcullis serve --accounts`, end to end, in real
 * Chromium against panva's oidc-provider on loopback (oidc-idp.ts): the
 * sign-in page's "Sign in with Test IdP" button, the provider's login, the
 * way back with a session; the account made at the first sign-in and bound
 * to the provider's subject (a rename at the provider keeps it); roles in
 * projects given to it by an administrator apply; the administrators' group
 * makes a registry administrator and its loss takes the role back; the
 * audit log and the registry's log record each sign-in with the method, and
 * hold no code or token.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { missingPeer } from '../../support/require-peer.js';
import { CHROMIUM } from '../ui/browser.js';
import { ADMIN, freshPage, logEvents, loginEvents, signIn, startWorld, type OidcWorld } from './oidc-support.js';

let world: OidcWorld;

before(async () => {
  world = await startWorld({ groupsClaim: 'groups', adminGroup: 'registry-admins' });
  await world.idp.accounts({
    'sub-alice': { preferred_username: 'alice', name: 'Alice', groups: ['dev'] },
    'sub-boss': { preferred_username: 'boss', groups: ['dev', 'registry-admins'] },
  });
});

after(async () => {
  await world?.close();
});

test('sign in with the provider: the account is made, bound to the subject, and keeps its roles and name', async (t) => {
  if (!world.browser) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const page = await freshPage(world);
  await page.goto(`${world.base}/ui/login`);
  assert.equal(await page.textContent('#oidc-sign-in'), 'Sign in with Test IdP');

  const landed = await signIn(world, page, 'sub-alice', '/ui/p/team');
  assert.equal(landed.pathname, '/ui/p/team', 'back to the page that asked');
  assert.equal(await page.textContent('h1'), 'Project not found', 'signed in, but alice is no member of a project that does not exist yet');
  const cookies = await world.browser.context.cookies(`${world.base}/ui/`);
  const session = cookies.find((c) => c.name === 'portcullis_session');
  assert.ok(session, 'a UI session');
  assert.equal(session.sameSite, 'Strict');
  assert.equal(session.httpOnly, true);
  assert.equal(cookies.find((c) => c.name === 'portcullis_oidc'), undefined, 'the sign-in record cookie is gone');

  const users = await fetch(`${world.base}/api/v1/users/alice`, { headers: { authorization: ADMIN } });
  assert.equal(users.status, 200, 'the account alice was made');
  assert.equal(((await users.json()) as { admin: boolean }).admin, false);

  // An administrator gives alice a role in a project: it applies to her session.
  assert.equal((await fetch(`${world.base}/api/v1/projects`, { method: 'POST', headers: { authorization: ADMIN, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'team' }) })).status, 201);
  assert.equal((await fetch(`${world.base}/api/v1/projects/team/members/alice`, { method: 'PUT', headers: { authorization: ADMIN, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'pull' }) })).status, 200);
  await page.goto(`${world.base}/ui/p/team`);
  assert.equal(await page.textContent('h1'), 'Project team', 'a member sees the project page');
  const roleText = await page.textContent('body');
  assert.match(roleText ?? '', /pull/);

  // Renamed at the provider: the same subject opens the same account, no new one.
  await world.idp.accounts({ 'sub-alice': { preferred_username: 'alice-renamed', groups: ['dev'] }, 'sub-boss': { preferred_username: 'boss', groups: ['dev', 'registry-admins'] } });
  const again = await freshPage(world);
  await signIn(world, again, 'sub-alice');
  await again.goto(`${world.base}/ui/account`);
  assert.equal(await again.textContent('#account-name'), 'alice');
  assert.equal((await fetch(`${world.base}/api/v1/users/alice-renamed`, { headers: { authorization: ADMIN } })).status, 404, 'no account for the new name');

  const logins = await loginEvents(world, (e) => e.principal === 'alice' && e.detail?.via === 'oidc' && e.outcome === 'success');
  assert.ok(logins.length >= 2, `two audit login events for alice via oidc: ${JSON.stringify(logins)}`);
  assert.ok(logins.some((e) => e.detail?.created === true), 'the first says it made the account');
  const lines = logEvents(world, 'ui.login').filter((l) => l.via === 'oidc' && l.user === 'alice');
  assert.equal(lines.length, 2);
  assert.doesNotMatch(world.log(), /[?&]code=|id_token|eyJ[A-Za-z0-9_-]{10,}\./, 'no code or token in the log');
});

test('the administrators group makes a registry administrator at each sign-in, and its loss takes the role back', async (t) => {
  if (!world.browser) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const page = await freshPage(world);
  await signIn(world, page, 'sub-boss');
  const boss = await fetch(`${world.base}/api/v1/users/boss`, { headers: { authorization: ADMIN } });
  assert.equal(((await boss.json()) as { admin: boolean }).admin, true, 'boss is in registry-admins');
  await page.goto(`${world.base}/ui/admin`);
  assert.equal(page.url(), `${world.base}/ui/admin`);
  assert.notEqual(await page.textContent('h1'), 'Not found');

  await world.idp.accounts({ 'sub-alice': { preferred_username: 'alice', groups: ['dev'] }, 'sub-boss': { preferred_username: 'boss', groups: ['dev'] } });
  const again = await freshPage(world);
  await signIn(world, again, 'sub-boss');
  const demoted = await fetch(`${world.base}/api/v1/users/boss`, { headers: { authorization: ADMIN } });
  assert.equal(((await demoted.json()) as { admin: boolean }).admin, false, 'out of the group: no longer an administrator');
  const events = await loginEvents(world, (e) => e.principal === 'boss' && e.detail?.via === 'oidc' && e.detail?.admin === false);
  assert.equal(events.length, 1, 'the audit says the role was taken at that sign-in');
});

test('the CLI secret: made on the account page, shown once, the password of Basic and the token flow, revoked by a new one', async (t) => {
  if (!world.browser) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const page = await freshPage(world);
  await signIn(world, page, 'sub-alice', '/ui/account');
  assert.equal(await page.textContent('#cli-secret-state'), 'You have no CLI secret yet.');
  assert.equal(await page.getAttribute('nav.sections a[href="/ui/account"]', 'href'), '/ui/account', 'the header links the account page');
  const basic = (secret: string): string => `Basic ${Buffer.from(`alice:${secret}`).toString('base64')}`;
  const service = new URL(world.base).host;
  const token = async (secret: string): Promise<number> => (await fetch(`${world.base}/token?service=${service}&scope=repository:team/app:pull&offline_token=true`, { headers: { authorization: basic(secret) } })).status;
  assert.equal(await token(''), 401, 'an OIDC account has no password');

  await Promise.all([page.waitForNavigation(), page.click('#cli-secret-submit')]);
  const first = (await page.textContent('#cli-secret'))!;
  assert.match(first, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(await token(first), 200, 'the token flow takes it');
  const refresh = ((await (await fetch(`${world.base}/token?service=${service}&offline_token=true`, { headers: { authorization: basic(first) } })).json()) as { refresh_token: string }).refresh_token;
  assert.equal((await fetch(`${world.base}/v2/_catalog`, { headers: { authorization: basic(first) } })).status, 200, 'and Basic credentials');

  await page.goto(`${world.base}/ui/account`);
  assert.equal(await page.textContent('#cli-secret-state'), 'You have a CLI secret. Making a new one revokes it.');
  assert.equal(await page.$('#cli-secret'), null, 'shown once: not on the page again');

  // A token's iat is in whole seconds and the check allows one of them: the new secret comes in a later second.
  await new Promise((r) => setTimeout(r, 2100));
  await Promise.all([page.waitForNavigation(), page.click('#cli-secret-submit')]);
  const second = (await page.textContent('#cli-secret'))!;
  assert.notEqual(second, first);
  assert.equal(await token(first), 401, 'the old secret is refused at once');
  assert.equal((await fetch(`${world.base}/v2/_catalog`, { headers: { authorization: basic(first) } })).status, 401);
  const refreshed = await fetch(`${world.base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, service, client_id: 'test' }).toString() });
  assert.equal(refreshed.status, 400, 'and so is a refresh token issued with it');
  assert.equal(((await refreshed.json()) as { error: string }).error, 'invalid_grant');
  assert.equal(await token(second), 200);
  await page.goto(`${world.base}/ui/account`);
  assert.equal(await page.textContent('#account-name'), 'alice', 'this browser stays signed in under a new session');
  // The UI form does not take a CLI secret from another site.
  const forged = await fetch(`${world.base}/ui/account/cli-secret`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=x' });
  assert.equal(forged.status, 401);
});
