/**
 * The accounts pages in real Chromium, over the in-process registry of
 * accounts-ui.ts listening on 127.0.0.1: a project admin is sent to sign
 * in by the project page, signs in with the form and lands back on it
 * (members, robots, webhooks shown), opens the audit log and filters it with
 * its GET form (only their project's events), then presses "Scan now" on an
 * image page: the browser follows the 303 back to a page saying the scan is
 * queued, and the scan service double received exactly that image. Any
 * console error (a Content-Security-Policy violation blocking a form, say)
 * fails the test. One screenshot per page.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { missingPeer } from '../../support/require-peer.js';
import { accountsUi, PASSWORDS, type AccountsUi } from './accounts-ui.js';
import { CHROMIUM, launchBrowser, read, screenshot, type UiBrowser } from './browser.js';

let ui: AccountsUi;
let base: string;
let browser: UiBrowser | undefined;

before(async () => {
  ui = await accountsUi();
  base = await ui.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await ui?.close();
});

test('a project admin signs in, reads the project page and the audit log, and queues a scan', async (t) => {
  if (!browser) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });

  await page.goto(`${base}/ui/p/team`);
  assert.equal(new URL(page.url()).pathname, '/ui/login');
  await page.fill('#username', 'alice');
  await page.fill('#password', PASSWORDS.alice);
  const [signedIn] = await Promise.all([page.waitForNavigation(), page.click('#sign-in-submit')]);
  assert.equal(signedIn?.status(), 200);
  assert.equal(new URL(page.url()).pathname, '/ui/p/team');
  assert.equal(await read<string>(page, `document.querySelector('h1').textContent`), 'Project team');
  assert.deepEqual(await read<string[]>(page, `[...document.querySelectorAll('#members tr[data-member]')].map((r) => r.dataset.member + ':' + r.querySelector('.role').textContent)`), ['alice:admin', 'bob:pull']);
  assert.deepEqual(await read<string[]>(page, `[...document.querySelectorAll('#robots tr[data-robot]')].map((r) => r.dataset.robot)`), ['robot$team+ci']);
  assert.equal(await read<string>(page, `document.querySelector('#webhooks td.url code').textContent`), 'https://hooks.example/deliver/here');
  assert.equal((await page.content()).includes(ui.robotSecret), false);
  await screenshot(t, page, 'project-team');

  await ui.settle();
  await page.click('nav.sections a[href="/ui/audit"]');
  await page.waitForLoadState();
  assert.equal(await read<string>(page, `document.querySelector('h1').textContent`), 'Audit log');
  const repositories = await read<string[]>(page, `[...document.querySelectorAll('#audit td.repository')].map((c) => c.textContent)`);
  assert.ok(repositories.length > 0);
  for (const r of repositories) assert.match(r, /^team/);
  await page.selectOption('#f-action', 'push');
  const [filtered] = await Promise.all([page.waitForNavigation(), page.click('#audit-apply')]);
  assert.equal(filtered?.status(), 200);
  assert.equal(new URL(page.url()).searchParams.get('action'), 'push');
  const actions = await read<string[]>(page, `[...document.querySelectorAll('#audit tr[data-action]')].map((r) => r.dataset.action)`);
  assert.ok(actions.length > 0);
  assert.deepEqual([...new Set(actions)], ['push']);
  await screenshot(t, page, 'audit-project-admin');

  await page.goto(`${base}/ui/r/team/app/m/${ui.digest}`);
  assert.equal(await read<boolean>(page, `document.querySelector('#scan-queued') === null`), true);
  const [queued] = await Promise.all([page.waitForNavigation(), page.click('#scan-now-submit')]);
  assert.equal(queued?.status(), 200);
  assert.equal(page.url(), `${base}/ui/r/team/app/m/${ui.digest}?scan=queued`);
  assert.match(await read<string>(page, `document.querySelector('#scan-queued').textContent`), /A scan of this image is queued/);
  assert.deepEqual(ui.rescans, [{ repository: 'team/app', digest: ui.digest }]);
  await screenshot(t, page, 'scan-now-queued');
  assert.deepEqual(problems, []);
  await page.close();
});
