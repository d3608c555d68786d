/**
 * Real Chromium for the UI tests: Debian's /usr/bin/chromium driven by
 * playwright-core, headless, with a new empty profile directory and the
 * background services off (the same flags as `test/report/html.peer.test.ts`), so
 * the only traffic is to the server under test. Screenshots, one per page a
 * test looks at, go to `$PORTCULLIS_UI_SCREENSHOTS` or else a
 * `portcullis-ui-screenshots` folder in the OS temp dir (never the
 * repository); each path is printed as a test diagnostic. Each page records what a
 * human would not see but a test must: console errors and warnings (CSP
 * violations are reported there), `securitypolicyviolation` events, uncaught
 * page errors, dialogs, and every request URL.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.PORTCULLIS_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Runs before any page script: CSP violations are collected in `window.__csp` (init scripts are not subject to the page's CSP). */
const RECORD_CSP = `window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`;

export interface UiBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Undefined when there is no Chromium on this machine (the tests skip). */
export async function launchBrowser(): Promise<UiBrowser | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  const profile = mkdtempSync(join(tmpdir(), 'portcullis-ui-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 1000 } });
  await context.addInitScript(RECORD_CSP);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface OpenedPage {
  readonly page: Page;
  readonly status: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** Console errors and warnings, page errors, dialogs and CSP violations: should stay empty. */
  problems(): Promise<string[]>;
  readonly requests: string[];
}

/** `headers` go with every request of the page (e.g. Basic credentials). */
export async function openPage(browser: UiBrowser, url: string, headers?: Readonly<Record<string, string>>): Promise<OpenedPage> {
  const page = await browser.context.newPage();
  if (headers) await page.setExtraHTTPHeaders({ ...headers });
  const console: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => console.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    console.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => requests.push(r.url()));
  const response = await page.goto(url, { waitUntil: 'load' });
  return {
    page,
    status: response?.status(),
    headers: response ? await response.allHeaders() : {},
    requests,
    async problems() {
      const csp = (await page.evaluate('window.__csp')) as string[];
      return [...console, ...csp.map((c) => `csp: ${c}`)];
    },
  };
}

/** Evaluates a string expression (the test project compiles without the DOM library) and types the answer. */
export async function read<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

/** Where screenshots go: `$PORTCULLIS_UI_SCREENSHOTS`, else `<tmp>/portcullis-ui-screenshots`. */
export function screenshotDir(): string {
  const dir = process.env.PORTCULLIS_UI_SCREENSHOTS || join(tmpdir(), 'portcullis-ui-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A full-page screenshot as `<dir>/<name>.png`, its path printed in the test output. */
export async function screenshot(t: TestContext, page: Page, name: string): Promise<string> {
  const path = join(screenshotDir(), `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.png`);
  await page.screenshot({ path, fullPage: true });
  t.diagnostic(`screenshot: ${path}`);
  return path;
}
