/**
 * The HTML report opened in real Chromium (playwright-core driving Debian's
 * /usr/bin/chromium, headless, fresh profile): the findings table shows the
 * expected rows in severity order, hostile advisory text renders as text (no
 * injected element, no script run), and the page makes no request.
 * A screenshot lands in the temp dir for a human to look at.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { SEVERITY_ORDER } from '../../src/core/finding.js';
import { htmlWriter } from '../../src/report/formats/html.js';
import { activeFindings, DEBIAN_RESULT, EMPTY_RESULT, HOSTILE_DESCRIPTION, HOSTILE_TITLE, NOW, TOOL } from './fixtures.js';
import { missingPeer } from '../support/require-peer.js';

const CHROMIUM = process.env.PORTCULLIS_CHROMIUM ?? '/usr/bin/chromium';
const work = mkdtempSync(join(tmpdir(), 'portcullis-html-'));
let browser: Browser | undefined;
let context: BrowserContext | undefined;

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1500, height: 1000 },
  });
  browser = context.browser() ?? undefined;
});

after(async () => {
  await context?.close();
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

async function open(html: string, name: string) {
  const file = join(work, name);
  writeFileSync(file, html);
  const page = await context!.newPage();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, requests, dialogs, url: pathToFileURL(file).href };
}

test('the findings table has one row per active finding, in severity order', async (t) => {
  if (!context) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const { page, requests, url } = await open(htmlWriter.write(DEBIAN_RESULT, { now: NOW, tool: TOOL }), 'report.html');
  const rows = await page.$$eval('#findings tbody tr[data-severity]', (trs) =>
    trs.map((tr) => ({
      severity: tr.getAttribute('data-severity'),
      id: tr.getAttribute('data-id'),
      pkg: tr.querySelector('td.pkg')!.textContent,
      fixed: tr.querySelector('td.fixed')!.textContent,
      href: tr.querySelector('td.id a')?.getAttribute('href') ?? null,
    })),
  );
  const active = activeFindings(DEBIAN_RESULT);
  assert.equal(rows.length, active.length);
  const order = rows.map((r) => SEVERITY_ORDER.indexOf(r.severity as never));
  assert.deepEqual(order, [...order].sort((a, b) => a - b), 'most severe first');
  assert.deepEqual(
    rows.map((r) => `${r.severity} ${r.id} ${r.pkg}`),
    [
      'CRITICAL CVE-2023-38545 curl',
      'CRITICAL CVE-2023-45853 zlib1g',
      'HIGH CVE-2023-44487 golang.org/x/net',
      'HIGH CVE-2021-23337 lodash',
      'HIGH CVE-2023-39325 stdlib',
      'MEDIUM CVE-2023-5678 libssl3',
      'MEDIUM CVE-2023-5678 openssl',
      'LOW CVE-2022-3715 bash',
    ],
  );
  const curl = rows.find((r) => r.pkg === 'curl')!;
  assert.equal(curl.href, 'https://security-tracker.debian.org/tracker/CVE-2023-38545');
  assert.equal(curl.fixed, '7.88.1-10+deb12u5');
  assert.equal(rows.find((r) => r.pkg === 'zlib1g')!.href, null, 'a javascript: link is not linked');
  // Summary counts.
  const summary = await page.$$eval('#summary li', (lis) => lis.map((li) => [li.getAttribute('data-severity'), li.querySelector('b')!.textContent]));
  assert.deepEqual(summary, [['CRITICAL', '2'], ['HIGH', '3'], ['MEDIUM', '2'], ['LOW', '1'], ['NEGLIGIBLE', '0'], ['UNKNOWN', '0']]);
  assert.equal(await page.locator('#suppressed tbody tr').count(), 1);
  assert.deepEqual(requests, [url], 'no request besides the file itself');
  const shot = join(tmpdir(), 'portcullis-report.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);
  await page.close();
});

test('hostile advisory text renders as text: no injected element, no script run', async (t) => {
  if (!context) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const { page, dialogs } = await open(htmlWriter.write(DEBIAN_RESULT, { now: NOW, tool: TOOL }), 'hostile.html');
  // A string expression: the test project compiles without the DOM library.
  const state = (await page.evaluate(`(() => ({
    scripts: document.querySelectorAll('script').length,
    imgs: document.querySelectorAll('img').length,
    pwned: window.__pwned,
    forged: [...document.querySelectorAll('td')].filter((td) => td.textContent === 'forged').length,
    title: document.querySelector('tr[data-id="CVE-2023-45853"] td.title').firstChild.textContent,
    description: document.querySelector('tr[data-id="CVE-2023-45853"] td.title details p').textContent,
  }))()`)) as { scripts: number; imgs: number; pwned: unknown; forged: number; title: string; description: string };
  assert.equal(state.scripts, 0);
  assert.equal(state.imgs, 0);
  assert.equal(state.pwned, undefined);
  assert.equal(state.forged, 0, 'markup in a description makes no table cell');
  assert.equal(state.title, HOSTILE_TITLE);
  assert.equal(state.description, HOSTILE_DESCRIPTION);
  assert.deepEqual(dialogs, []);
  await page.close();
});

test('an empty scan says so', async (t) => {
  if (!context) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const { page } = await open(htmlWriter.write(EMPTY_RESULT), 'empty.html');
  assert.equal(await page.locator('#findings tr[data-severity]').count(), 0);
  assert.equal(await page.locator('#no-findings').textContent(), 'No vulnerabilities found.');
  await page.close();
});

test('the header labels never break inside a word ("Scan ned"), at any width; long values wrap inside their box', async (t) => {
  if (!context) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const { page } = await open(htmlWriter.write(DEBIAN_RESULT, { now: NOW, tool: TOOL }), 'header.html');
  for (const width of [1500, 800, 480, 360]) {
    await page.setViewportSize({ width, height: 800 });
    // A string expression: the test project compiles without the DOM library.
    const layout = (await page.evaluate(`(() => [...document.querySelectorAll('.meta dt')].map((dt) => {
      const range = document.createRange();
      range.selectNodeContents(dt);
      const dd = dt.nextElementSibling.getBoundingClientRect();
      return { label: dt.textContent, lines: new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size, ddRight: dd.right };
    }))()`)) as { label: string; lines: number; ddRight: number }[];
    assert.deepEqual(layout.map((l) => l.label), ['Target', 'Digest', 'Platform', 'OS', 'Scanned', 'Database'].filter((k) => layout.some((l) => l.label === k)));
    for (const l of layout) {
      assert.equal(l.lines, 1, `${width}px: "${l.label}" is on one line`);
      assert.ok(l.ddRight <= width, `${width}px: the value of "${l.label}" stays inside the page (right edge ${l.ddRight})`);
    }
    assert.ok(layout.some((l) => l.label === 'Scanned'));
  }
  await page.close();
});
