/**
 * What the OIDC browser tests share: `portcullis serve --accounts` with an
 * `oidc` section pointing at a test provider (oidc-idp.ts) on loopback, the
 * registry's log kept as JSON lines, real Chromium, and the steps of a
 * sign-in: the registry's "Sign in with …" button, the provider's
 * development login page (any login is the account id, the `sub`), and the
 * way back. Also the audit log read through the admin API, waiting for the
 * recorder's queue to write.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Page, Response } from 'playwright-core';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../../src/server/open.js';
import { launchBrowser, type UiBrowser } from '../ui/browser.js';
import { TestProvider } from './oidc-idp.js';

export const ADMIN_PASSWORD = 'admin-password-oidc-1';
export const CLIENT_SECRET = 'portcullis-client-secret-for-the-oidc-tests-0123456789';
export const ADMIN = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

export interface OidcWorld {
  readonly registry: RunningRegistry;
  /** With `processes: 2`: a second registry on the same data folder and public name (another process behind one load balancer). */
  readonly second?: RunningRegistry;
  readonly idp: TestProvider;
  /** A second provider, with its own issuer and key. */
  readonly other: TestProvider;
  readonly browser: UiBrowser | undefined;
  readonly base: string;
  /** The registry's log so far, one JSON object a line. */
  log(): string;
  close(): Promise<void>;
}

export async function startWorld(oidc: Readonly<Record<string, string | boolean>> = {}, options: { readonly processes?: 1 | 2 } = {}): Promise<OidcWorld> {
  const work = await mkdtemp(join(tmpdir(), 'portcullis-oidc-'));
  const idp = await TestProvider.start();
  const other = await TestProvider.start();
  await writeFile(join(work, 'client-secret'), `${CLIENT_SECRET}\n`);
  const settings = { issuer: idp.issuer, clientId: 'portcullis', clientSecretFile: join(work, 'client-secret'), displayName: 'Test IdP', ...oidc };
  await writeFile(join(work, 'serve.yaml'), `oidc:\n${Object.entries(settings).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`).join('\n')}\n`);
  let logged = '';
  const stdout = new PassThrough();
  stdout.on('data', (chunk: Buffer) => (logged += chunk.toString('utf8')));
  const config = await buildConfig(
    { config: join(work, 'serve.yaml'), addr: '127.0.0.1:0', root: join(work, 'data'), scan: false, accounts: true },
    { stdout, stderr: new PassThrough(), env: { ...process.env, PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD } },
  );
  const registry = await startRegistry(config);
  const second = options.processes === 2 ? await startRegistry({ ...config, publicName: new URL(registry.url).host }) : undefined;
  const clients = [
    { clientId: 'portcullis', clientSecret: CLIENT_SECRET, redirectUris: [`${registry.url}/ui/oidc/callback`] },
    { clientId: 'other-app', clientSecret: `${CLIENT_SECRET}-other`, redirectUris: [`${registry.url}/ui/oidc/callback`] },
  ];
  await idp.clients(clients);
  await other.clients(clients);
  const browser = await launchBrowser();
  return {
    registry,
    ...(second ? { second } : {}),
    idp,
    other,
    browser,
    base: registry.url,
    log: () => logged,
    async close() {
      await browser?.close();
      await second?.close();
      await registry.close();
      await idp.close();
      await other.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** A fresh page with no cookies at all (neither the registry's nor the provider's session). */
export async function freshPage(world: OidcWorld): Promise<Page> {
  await world.browser!.context.clearCookies();
  for (const page of world.browser!.context.pages()) await page.close();
  return world.browser!.context.newPage();
}

/** From the registry's sign-in page through the provider's login as `login`, to the callback's answer (not followed further). */
export async function throughProvider(world: OidcWorld, page: Page, login: string, next?: string): Promise<Response> {
  await page.goto(`${world.base}/ui/login${next !== undefined ? `?next=${encodeURIComponent(next)}` : ''}`);
  const callback = page.waitForResponse((r) => r.url().startsWith(`${world.base}/ui/oidc/callback`), { timeout: 20_000 });
  await page.click('#oidc-sign-in');
  await page.waitForURL((u) => u.href.startsWith(world.idp.issuer), { timeout: 10_000 });
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'provider-password');
  await page.click('button[type="submit"]');
  return callback;
}

/** Runs the flow as `login` but the provider holds its redirect back (oidc-idp.ts `hold`): the callback URL and the sign-in cookie, unused. */
export async function heldSignIn(world: OidcWorld, page: Page, login: string): Promise<{ url: URL; cookie: string }> {
  await world.idp.hold(true);
  try {
    await page.goto(`${world.base}/ui/login`);
    await page.click('#oidc-sign-in');
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', 'provider-password');
    await Promise.all([page.waitForURL((u) => u.href.startsWith(`${world.idp.issuer}/auth/`)), page.click('button[type="submit"]')]);
    const url = new URL((await page.textContent('body'))!.trim());
    assert.equal(`${url.origin}${url.pathname}`, `${world.base}/ui/oidc/callback`);
    const cookie = (await world.browser!.context.cookies(`${world.base}/ui/oidc/`)).find((c) => c.name === 'portcullis_oidc')?.value;
    assert.ok(cookie, 'the sign-in cookie is set');
    return { url, cookie };
  } finally {
    await world.idp.hold(false);
  }
}

/** Signs in as `login` and waits for the page the sign-in returns to. */
export async function signIn(world: OidcWorld, page: Page, login: string, next?: string): Promise<URL> {
  const callback = await throughProvider(world, page, login, next);
  if (callback.status() !== 200) {
    await page.waitForLoadState('load');
    assert.fail(`the callback did not sign ${login} in: ${callback.status()} ${await page.textContent('body')}`);
  }
  await page.waitForURL((u) => u.origin === world.base && !u.pathname.startsWith('/ui/oidc/'), { timeout: 10_000 });
  await page.waitForLoadState('load');
  return new URL(page.url());
}

/** The text of the callback page's refusal. */
export async function refusal(page: Page): Promise<string> {
  return (await page.textContent('#problem')) ?? '';
}

export interface AuditRow {
  action: string;
  outcome: string;
  principal: string;
  detail?: Record<string, unknown>;
}

/** Login events of the audit log that match, waiting up to 5 s for the recorder to write them. */
export async function loginEvents(world: OidcWorld, match: (row: AuditRow) => boolean): Promise<AuditRow[]> {
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${world.base}/api/v1/audit?action=login&n=500`, { headers: { authorization: ADMIN } });
    assert.equal(res.status, 200);
    const rows = ((await res.json()) as { events: AuditRow[] }).events.filter(match);
    if (rows.length) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  return [];
}

/** The registry's JSON log lines with this event. */
export function logEvents(world: OidcWorld, event: string): Array<Record<string, unknown>> {
  return world
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.event === event);
}
