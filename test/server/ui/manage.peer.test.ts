/**
 * Running a project from the UI in real Chromium, over the in-process
 * registry of manage-ui.ts listening on 127.0.0.1 (its forms, no
 * JavaScript, under the strict Content-Security-Policy): the project's
 * admin is sent to sign in by the project page, adds a member with a role,
 * creates a robot and sees its secret on the answer page — then, back on
 * the project page and after a reload, nowhere — changes the project's
 * settings, and a refused value comes back as a message on the page; then
 * makes the project public, and on a webhook's own page changes its URL,
 * events and state and rotates its secret (shown once, the one the store
 * holds). A registry administrator creates a project on /ui/admin and
 * deletes it through its confirmation page, makes dave an administrator
 * and takes the role back through its confirmation page, and is refused
 * (409, the reason on the page) removing the last one. Any console error
 * or CSP violation (a blocked form post, say) fails the test; one
 * screenshot per page.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { missingPeer } from '../../support/require-peer.js';
import { api, basic, ADMIN_PASSWORD } from '../auth/accounts-registry.js';
import { CHROMIUM, launchBrowser, read, screenshot, type UiBrowser } from './browser.js';
import { manageUi, MANAGE_PASSWORDS, type ManageUi } from './manage-ui.js';

let ui: ManageUi;
let base: string;
let browser: UiBrowser | undefined;

before(async () => {
  ui = await manageUi();
  base = await ui.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await ui?.close();
});

async function submit(page: Page, button: string): Promise<number | undefined> {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(button)]);
  return response?.status();
}

/** CSP violations the page saw (browser.ts records them in `window.__csp`). */
function cspViolations(page: Page): Promise<string[]> {
  return read<string[]>(page, 'window.__csp');
}

async function signIn(page: Page, user: 'alice' | 'admin', url: string): Promise<void> {
  await page.goto(url);
  assert.equal(new URL(page.url()).pathname, '/ui/login');
  await page.fill('#username', user);
  await page.fill('#password', MANAGE_PASSWORDS[user]);
  assert.equal(await submit(page, '#sign-in-submit'), 200);
}

test('a project admin adds a member, creates a robot (its secret shown once), and changes the settings', async (t) => {
  if (!browser) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));

  await signIn(page, 'alice', `${base}/ui/p/team`);
  assert.equal(new URL(page.url()).pathname, '/ui/p/team');
  await screenshot(t, page, 'manage-project-forms');

  await page.fill('#member-user', 'dave');
  await page.selectOption('#member-role', 'push');
  assert.equal(await submit(page, '#submit-members'), 200);
  assert.equal(page.url(), `${base}/ui/p/team?done=member.set`);
  assert.equal(await read<string>(page, `document.querySelector('#form-done').textContent`), 'Member saved.');
  assert.equal(await read<string>(page, `document.querySelector('#members tr[data-member="dave"] .role').textContent`), 'push');
  await screenshot(t, page, 'manage-member-added');

  await page.fill('#robot-name', 'ci-bot');
  await page.check('#robot-action-push');
  await page.fill('#robot-expiry', '30');
  assert.equal(await submit(page, '#submit-robots'), 200);
  const secret = await read<string>(page, `document.querySelector('#robot-secret').textContent`);
  assert.ok(secret.length >= 32);
  assert.equal(await read<string>(page, `document.querySelector('#created-robot-name').textContent`), 'robot$team+ci-bot');
  assert.match(await read<string>(page, `document.querySelector('#robot-expires time').getAttribute('datetime')`), /^\d{4}-\d\d-\d\dT/);
  await screenshot(t, page, 'manage-robot-secret-once');
  const pull = await fetch(`${base}/v2/team/app/tags/list`, { headers: { authorization: basic('robot$team+ci-bot', secret) } });
  assert.equal(pull.status, 200, 'the secret shown works');

  await page.click('#back-to-project');
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/ui/p/team');
  assert.equal((await page.content()).includes(secret), false, 'the project page does not show the secret');
  assert.deepEqual(await read<string[]>(page, `[...document.querySelectorAll('#robots tr[data-robot]')].map((r) => r.dataset.robot)`), ['robot$team+ci-bot']);
  await page.reload();
  assert.equal((await page.content()).includes(secret), false, 'nor after a reload');
  await screenshot(t, page, 'manage-robot-listed');

  await page.fill('#setting-untagged', '4d');
  await page.selectOption('#setting-deny', 'HIGH');
  await page.fill('#setting-retention', '[{"tags":"v*","keepLast":3}]');
  assert.equal(await submit(page, '#submit-settings'), 200);
  assert.equal(page.url(), `${base}/ui/p/team?done=project.settings`);
  assert.equal(await read<string>(page, `document.querySelector('dd[data-setting="untaggedRetention"]').textContent`), '4d');
  assert.equal(await read<string>(page, `document.querySelector('dd[data-setting="denySeverity"]').textContent`), 'HIGH');
  const stored = JSON.parse(await (await api(ui.app, 'GET', '/projects/team/settings', basic('admin', ADMIN_PASSWORD))).body) as Record<string, unknown>;
  assert.deepEqual(stored, { quota: null, untaggedRetention: '4d', retention: [{ tags: 'v*', keepLast: 3 }], denySeverity: 'HIGH', trustPolicy: null });
  await screenshot(t, page, 'manage-settings-saved');

  await page.fill('#setting-untagged', '<img src=x onerror=alert(1)>');
  assert.equal(await submit(page, '#submit-settings'), 400);
  assert.match(await read<string>(page, `document.querySelector('#form-error').textContent`), /^untaggedRetention: /);
  assert.equal(await read<string>(page, `document.querySelector('#setting-untagged').value`), '<img src=x onerror=alert(1)>', 'the form is filled again, the value as text');
  assert.equal(await read<number>(page, `document.querySelectorAll('main img').length`), 0, 'the hostile value is text, not an element');
  await screenshot(t, page, 'manage-settings-refused');
  assert.deepEqual(await cspViolations(page), []);
  // Chromium logs the refusal's own status (400) as a failed resource load: the one expected line.
  assert.deepEqual(problems, ['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  await page.close();
});

test('a registry administrator creates a project on the administration page', async (t) => {
  if (!browser) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const context = browser.context;
  await context.clearCookies();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  await signIn(page, 'admin', `${base}/ui/admin`);
  assert.equal(new URL(page.url()).pathname, '/ui/admin');
  await page.fill('#project-name', 'made-in-ui');
  await page.check('#project-public');
  assert.equal(await submit(page, '#submit-create-projects'), 200);
  assert.equal(page.url(), `${base}/ui/p/made-in-ui?done=project.created`);
  assert.match(await read<string>(page, `document.querySelector('dd[data-meta="Visibility"]').textContent`), /^public/);
  await screenshot(t, page, 'manage-project-created');

  await page.click('#delete-project');
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/ui/p/made-in-ui/delete');
  assert.equal(await read<string>(page, `document.querySelector('h1').textContent`), 'Delete project made-in-ui?');
  await screenshot(t, page, 'manage-project-delete-confirm');
  assert.equal(await submit(page, '#submit-confirm'), 200);
  assert.equal(page.url(), `${base}/ui/admin?done=project.deleted`);
  assert.equal((await api(ui.app, 'GET', '/projects/made-in-ui', basic('admin', ADMIN_PASSWORD))).statusCode, 404);

  // The administrator role: given with one click, taken through its confirmation page, never from the last one.
  const role = (user: string): Promise<string> => read<string>(page, `document.querySelector('tr[data-user="${user}"] td.admin').textContent`);
  assert.equal(await role('dave'), 'user');
  assert.equal(await submit(page, '[data-promote="dave"]'), 200);
  assert.equal(page.url(), `${base}/ui/admin?done=user.promoted`);
  assert.equal(await read<string>(page, `document.querySelector('#form-done').textContent`), 'The user is now a registry administrator.');
  assert.equal(await role('dave'), 'registry administrator');
  await screenshot(t, page, 'manage-admin-promoted');
  await page.click('[data-demote="dave"]');
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/ui/admin/remove-admin');
  assert.equal(await read<string>(page, `document.querySelector('h1').textContent`), 'Remove dave as registry administrator?');
  await screenshot(t, page, 'manage-admin-demote-confirm');
  assert.equal(await submit(page, '#submit-confirm'), 200);
  assert.equal(page.url(), `${base}/ui/admin?done=user.demoted`);
  assert.equal(await role('dave'), 'user');
  await page.click('[data-demote="admin"]');
  await page.waitForLoadState();
  assert.equal(await submit(page, '#submit-confirm'), 409);
  assert.equal(await read<string>(page, `document.querySelector('#form-error').textContent`), 'admin is the last administrator: make another user a registry administrator first');
  assert.equal(await role('admin'), 'registry administrator');
  await screenshot(t, page, 'manage-admin-last-refused');
  assert.deepEqual(problems, ['Failed to load resource: the server responded with a status of 409 (Conflict)'], 'the refusal only: no CSP violation');
  await page.close();
});

test('a project admin makes the project public, then changes a webhook and rotates its secret on its page', async (t) => {
  if (!browser) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const ADMIN = basic('admin', ADMIN_PASSWORD);
  const made = await api(ui.app, 'POST', '/projects/team/webhooks', ADMIN, { url: 'https://hooks.example/in?token=query-secret-5', events: ['push'] });
  assert.equal(made.statusCode, 201, made.body);
  const id = (JSON.parse(made.body) as { id: string }).id;
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await signIn(page, 'alice', `${base}/ui/p/team`);

  await page.selectOption('#project-visibility', 'true');
  assert.equal(await submit(page, '#submit-visibility'), 200);
  assert.equal(page.url(), `${base}/ui/p/team?done=project.visibility`);
  assert.match(await read<string>(page, `document.querySelector('dd[data-meta="Visibility"]').textContent`), /^public/);
  assert.equal((JSON.parse((await api(ui.app, 'GET', '/projects/team', ADMIN)).body) as { public: boolean }).public, true);
  await screenshot(t, page, 'manage-project-public');

  await page.click(`a[data-webhook-page="${id}"]`);
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, `/ui/p/team/webhooks/${id}`);
  assert.equal((await page.content()).includes('query-secret-5'), false, 'the URL query is not shown');
  await page.fill('#edit-url', 'https://hooks.example/changed');
  await page.check('#edit-event-scan-completed');
  await page.uncheck('#edit-enabled');
  assert.equal(await submit(page, '#submit-webhooks-edit'), 200);
  assert.equal(page.url(), `${base}/ui/p/team/webhooks/${id}?done=webhook.changed`);
  assert.equal(await read<string>(page, `document.querySelector('#webhook-enabled').dataset.enabled`), 'false');
  assert.equal(await read<string>(page, `document.querySelector('#webhook-events').textContent`), 'push, scan.completed');
  const stored = JSON.parse((await api(ui.app, 'GET', `/projects/team/webhooks/${id}`, ADMIN)).body) as { url: string; enabled: boolean; events: string[] };
  assert.deepEqual([stored.url, stored.enabled, stored.events], ['https://hooks.example/changed', false, ['push', 'scan.completed']]);
  await screenshot(t, page, 'manage-webhook-changed');

  assert.equal(await submit(page, '#submit-webhooks-rotate'), 200);
  const secret = await read<string>(page, `document.querySelector('#webhook-secret-once').textContent`);
  assert.ok(secret.length >= 32);
  const sealed = (await ui.webhooks.service.store.getWebhook('team', id))!.sealedSecret;
  assert.equal(ui.webhooks.service.secrets.open(sealed, id), secret, 'the secret shown is the one that signs');
  await screenshot(t, page, 'manage-webhook-secret-rotated');
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(problems, []);
  await page.close();
});
