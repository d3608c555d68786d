/**
 * OIDC sign-in with two `portcullis serve` processes on one data folder
 * (one SQLite file: the metadata store they share) and one public name, as
 * behind a load balancer without sticky sessions; real Chromium against
 * panva's oidc-provider on loopback (oidc-idp.ts). What it proves:
 * - a sign-in started on one process is finished by the other: the
 *   provider's callback finds its record in the shared store, and the
 *   session it opens is seen by the first process too;
 * - a flood of `/ui/oidc/login` from one address is refused with 429
 *   (Retry-After, an `auth.failed` log line with reason
 *   `too-many-sign-ins`) past 64 sign-ins in progress, while another
 *   address is still served and a sign-in the flooding address had in
 *   progress still completes (nothing was evicted).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { missingPeer } from '../../support/require-peer.js';
import { CHROMIUM } from '../ui/browser.js';
import { freshPage, heldSignIn, logEvents, startWorld, type OidcWorld } from './oidc-support.js';

let world: OidcWorld;

before(async () => {
  world = await startWorld({}, { processes: 2 });
  await world.idp.accounts({ 'sub-carol': { preferred_username: 'carol' }, 'sub-dave': { preferred_username: 'dave' } });
});

after(async () => {
  await world?.close();
});

function needsBrowser(t: TestContext): boolean {
  if (world.browser) return true;
  missingPeer(t, `no Chromium at ${CHROMIUM}`);
  return false;
}

/** The same callback, sent to the second process (the browser's cookies go with it: cookies do not depend on the port). */
function onSecond(url: URL): URL {
  const moved = new URL(url);
  moved.port = String(world.second!.port);
  return moved;
}

/** Visits the callback: its status, and once it moved on by itself, the page it landed on. */
async function finish(page: Page, url: URL): Promise<number> {
  const status = (await page.goto(url.href, { waitUntil: 'commit' }))?.status() ?? 0;
  if (status === 200) await page.waitForURL((u) => !u.pathname.startsWith('/ui/oidc/'));
  await page.waitForLoadState('load');
  return status;
}

/** GET /ui/oidc/login from `localAddress`: the status and the Retry-After header. */
function startFrom(localAddress: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${world.base}/ui/oidc/login`, { localAddress }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a sign-in started on one process is finished on the other; both see the session', async (t) => {
  if (!needsBrowser(t)) return;
  const page = await freshPage(world);
  const { url } = await heldSignIn(world, page, 'sub-carol');
  assert.equal(await finish(page, onSecond(url)), 200, 'the second process found the record');
  assert.equal(new URL(page.url()).port, String(world.second!.port));
  const session = (await world.browser!.context.cookies(`${world.base}/ui/`)).find((c) => c.name === 'portcullis_session');
  assert.ok(session, 'a session was opened');
  const first = await fetch(`${world.base}/ui/account`, { headers: { cookie: `portcullis_session=${session.value}` }, redirect: 'manual' });
  assert.equal(first.status, 200, 'the first process sees the session');
  assert.match(await first.text(), /carol/);
  assert.equal(await finish(page, url), 400, 'taken once: the first process no longer finds it');
});

test('a flood from one address is refused past 64 sign-ins in progress; another address is served, and nothing was evicted', async (t) => {
  if (!needsBrowser(t)) return;
  const page = await freshPage(world);
  const { url } = await heldSignIn(world, page, 'sub-dave');
  const started: number[] = [];
  for (let i = 0; i < 63; i++) started[started.length] = (await startFrom('127.0.0.1')).status;
  assert.deepEqual(new Set(started), new Set([303]), '63 more after the browser\'s: 64 in progress');
  const refused = await startFrom('127.0.0.1');
  assert.deepEqual(refused, { status: 429, retryAfter: '60' });
  const line = logEvents(world, 'auth.failed').find((l) => l.via === 'oidc' && l.reason === 'too-many-sign-ins');
  assert.equal(line?.ip, '127.0.0.1');
  assert.match(String(line?.detail), /64 sign-ins in progress from this client/);
  assert.equal((await startFrom('127.0.0.2')).status, 303, 'another address starts a sign-in');
  assert.equal(await finish(page, onSecond(url)), 200, 'the sign-in started before the flood still completes');
  assert.match((await page.textContent('body')) ?? '', /dave/);
});
