/**
 * Attacks on the OIDC sign-in of `portcullis serve --accounts`, each in
 * real Chromium against panva's oidc-provider on loopback (oidc-idp.ts),
 * and each refused with the page's message, an audit `login` event with
 * `via: oidc` and the reason, and no session:
 * - the callback without the sign-in's cookie (a code and state carried to
 *   another browser: login CSRF), without `state`, with another `state`,
 *   replayed after it signed in (with its old cookie put back too);
 * - a code replayed into a new sign-in (the provider refuses it: used, and
 *   bound to the first sign-in's PKCE verifier);
 * - a dishonest provider's ID token (oidc-idp-worker.ts `tamper`): another
 *   nonce, another issuer signing with its own key (a second provider), an
 *   audience of another client, HS256 signed with the client secret, `none`;
 * - an ID token expired by the provider's own clock and TTL;
 * - a username claim equal to the local `admin`;
 * - a return path to another origin (open redirect): the sign-in lands on
 *   the registry's own start page.
 */
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { missingPeer } from '../../support/require-peer.js';
import { CHROMIUM } from '../ui/browser.js';
import { ADMIN, freshPage, heldSignIn, logEvents, loginEvents, refusal, signIn, startWorld, throughProvider, type OidcWorld } from './oidc-support.js';

let world: OidcWorld;

before(async () => {
  world = await startWorld();
  await world.idp.accounts({ 'sub-carol': { preferred_username: 'carol' }, 'sub-mallory': { preferred_username: 'admin' } });
});

after(async () => {
  await world?.close();
});

function held(page: Page, login: string): Promise<{ url: URL; cookie: string }> {
  return heldSignIn(world, page, login);
}

/** The callback's status; a success moves on by itself (meta refresh), so only the answer is waited for, then the page that follows. */
async function visit(page: Page, url: URL | string): Promise<number> {
  const status = (await page.goto(String(url), { waitUntil: 'commit' }))?.status() ?? 0;
  if (status === 200) await page.waitForURL((u) => !u.pathname.startsWith('/ui/oidc/'));
  await page.waitForLoadState('load');
  return status;
}

async function noSession(): Promise<void> {
  const cookies = await world.browser!.context.cookies(`${world.base}/ui/`);
  assert.equal(cookies.find((c) => c.name === 'portcullis_session'), undefined, 'no session was opened');
}

async function audited(reason: string, principal = '<anonymous>'): Promise<void> {
  const events = await loginEvents(world, (e) => e.detail?.via === 'oidc' && e.detail?.reason === reason && e.principal === principal);
  assert.ok(events.length > 0, `an audit login event via oidc with reason ${reason} for ${principal}`);
  assert.notEqual(events[0]!.outcome, 'success');
  assert.ok(logEvents(world, 'auth.failed').some((l) => l.via === 'oidc' && l.reason === reason), `a log line auth.failed via oidc ${reason}`);
}

function needsBrowser(t: TestContext): boolean {
  if (world.browser) return true;
  missingPeer(t, `no Chromium at ${CHROMIUM}`);
  return false;
}

test('the callback without the sign-in cookie (carried to another browser) is refused', async (t) => {
  if (!needsBrowser(t)) return;
  const page = await freshPage(world);
  const { url } = await held(page, 'sub-carol');
  await world.browser!.context.clearCookies();
  assert.equal(await visit(page, url), 400);
  assert.match(await refusal(page), /not started in this browser/);
  await noSession();
  await audited('state-missing');
});

test('a callback without state, or with another state, is refused', async (t) => {
  if (!needsBrowser(t)) return;
  for (const change of [(u: URL) => u.searchParams.delete('state'), (u: URL) => u.searchParams.set('state', `${u.searchParams.get('state')}x`)]) {
    const page = await freshPage(world);
    const { url } = await held(page, 'sub-carol');
    change(url);
    assert.equal(await visit(page, url), 400);
    assert.match(await refusal(page), /does not belong to this sign-in/);
    await noSession();
  }
  await audited('state-mismatch');
});

test('a callback replayed after it signed in is refused, even with its cookie put back', async (t) => {
  if (!needsBrowser(t)) return;
  const page = await freshPage(world);
  const { url, cookie } = await held(page, 'sub-carol');
  assert.equal(await visit(page, url), 200, 'the first use signs in');
  await world.browser!.context.clearCookies();
  await world.browser!.context.addCookies([{ name: 'portcullis_oidc', value: cookie, url: `${world.base}/ui/oidc/` }]);
  assert.equal(await visit(page, url), 400);
  assert.match(await refusal(page), /finished already/);
  await noSession();
});

test('a code replayed into a new sign-in is refused by the provider', async (t) => {
  if (!needsBrowser(t)) return;
  const first = await freshPage(world);
  const used = await held(first, 'sub-carol');
  assert.equal(await visit(first, used.url), 200);
  const page = await freshPage(world);
  const { url } = await held(page, 'sub-carol');
  url.searchParams.set('code', used.url.searchParams.get('code')!);
  assert.equal(await visit(page, url), 400);
  assert.match(await refusal(page), /answer was refused/);
  await noSession();
  await audited('token-refused');
  const details = logEvents(world, 'auth.failed').filter((l) => l.via === 'oidc' && l.reason === 'token-refused').map((l) => String(l.detail));
  assert.ok(details.some((d) => /invalid_grant/.test(d)), `the log says why: invalid_grant (${details.join('; ')})`);
});

const TAMPERED: ReadonlyArray<readonly [string, () => Parameters<OidcWorld['idp']['tamper']>[0], RegExp]> = [
  ['another nonce', () => ({ claims: { nonce: 'not-this-sign-ins-nonce' } }), /nonce/],
  ['another issuer, signed with its own key (a second provider)', () => ({ key: world.other.privateJwk, claims: { iss: world.other.issuer } }), /./],
  ['the audience of another client', () => ({ claims: { aud: 'other-app', azp: 'other-app' } }), /aud/],
  ['authorized party of another client', () => ({ claims: { aud: ['portcullis', 'other-app'], azp: 'other-app' } }), /azp/],
  ['HS256 signed with the client secret', () => ({ alg: 'HS256' }), /./],
  ['no signature (alg none)', () => ({ alg: 'none' }), /./],
];

for (const [what, tamper, detail] of TAMPERED) {
  test(`an ID token with ${what} is refused`, async (t) => {
    if (!needsBrowser(t)) return;
    await world.idp.tamper(tamper());
    try {
      const page = await freshPage(world);
      const before = logEvents(world, 'auth.failed').length;
      const callback = await throughProvider(world, page, 'sub-carol');
      assert.equal(callback.status(), 400);
      await page.waitForLoadState('load');
      assert.match(await refusal(page), /answer was refused/);
      await noSession();
      const line = logEvents(world, 'auth.failed').slice(before).find((l) => l.via === 'oidc');
      assert.equal(line?.reason, 'token-refused');
      assert.match(String(line?.detail), detail);
    } finally {
      await world.idp.tamper(undefined);
    }
  });
}

test('an ID token expired by the provider\'s clock is refused', async (t) => {
  if (!needsBrowser(t)) return;
  // The provider's clock 10 minutes behind and a 60 s ID token lifetime: it expired 9 minutes ago.
  await world.idp.clock(-600, 60);
  try {
    const page = await freshPage(world);
    const callback = await throughProvider(world, page, 'sub-carol');
    assert.equal(callback.status(), 400);
    await page.waitForLoadState('load');
    assert.match(await refusal(page), /answer was refused/);
    await noSession();
    assert.ok(logEvents(world, 'auth.failed').some((l) => l.via === 'oidc' && /exp/.test(String(l.detail))), 'the log says the token expired');
  } finally {
    await world.idp.clock(0);
  }
});

test('a username claim equal to the local admin does not sign in as admin', async (t) => {
  if (!needsBrowser(t)) return;
  const page = await freshPage(world);
  const callback = await throughProvider(world, page, 'sub-mallory');
  assert.equal(callback.status(), 403);
  await page.waitForLoadState('load');
  assert.match(await refusal(page), /The user name "admin" belongs to another account of this registry/);
  await noSession();
  await audited('name-taken', 'admin');
  const admin = (await (await fetch(`${world.base}/api/v1/users/admin`, { headers: { authorization: ADMIN } })).json()) as { admin: boolean };
  assert.equal(admin.admin, true, 'the local admin is untouched');
});

test('a return path to another origin lands on the registry\'s own start page', async (t) => {
  if (!needsBrowser(t)) return;
  for (const next of ['https://evil.example/', '//evil.example/ui/', '/\\evil.example', '/ui/login?next=https://evil.example/']) {
    const page = await freshPage(world);
    const callback = page.waitForResponse((r) => r.url().startsWith(`${world.base}/ui/oidc/callback`));
    await page.goto(`${world.base}/ui/oidc/login?next=${encodeURIComponent(next)}`);
    await page.fill('input[name="login"]', 'sub-carol');
    await page.fill('input[name="password"]', 'provider-password');
    await page.click('button[type="submit"]');
    assert.equal((await callback).status(), 200);
    await page.waitForURL((u) => !u.pathname.startsWith('/ui/oidc/'), { timeout: 10_000 });
    assert.equal(page.url(), `${world.base}/ui/`, `next=${next}`);
  }
  // And a return path of this origin is kept (the way every sign-in above came back).
  const page = await freshPage(world);
  assert.equal((await signIn(world, page, 'sub-carol', '/ui/account')).pathname, '/ui/account');
});
