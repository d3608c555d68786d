/**
 * The UI in real Chromium against a real listening server (`server.ts`: a
 * bare Fastify on 127.0.0.1 with the UI plugin over a real SQLite metadata
 * store filled through the MetadataStore API): what the browser shows — row order by
 * severity, counts, link targets, the severity filter followed by clicking
 * (no JavaScript on the page), hostile strings shown as text — and that no
 * page logs a console error or a CSP violation or requests anything outside
 * the server. Screenshots land in the screenshot folder (browser.ts) for a human to look at.
 */
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { CHROMIUM, launchBrowser, openPage, read, screenshot as saveScreenshot, type OpenedPage, type UiBrowser } from './browser.js';
import { DB_DIGEST, DEBIAN_TAG_ORDER, DIGESTS, M_REPO, REPOSITORY_ORDER } from './fixtures.js';
import { startUiServer, type UiServer } from './server.js';
import { missingPeer } from '../../support/require-peer.js';

let server: UiServer;
let base: string;
let browser: UiBrowser | undefined;

before(async () => {
  server = await startUiServer();
  base = server.base;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(t: TestContext, path: string): Promise<OpenedPage | undefined> {
  if (!browser) {
    missingPeer(t, `no Chromium at ${CHROMIUM}`);
    return undefined;
  }
  return openPage(browser, base + path);
}

/** Nothing went wrong in the browser (but the `expected` console lines) and every request stayed on the server. */
async function clean(opened: OpenedPage, expected: readonly RegExp[] = []): Promise<void> {
  assert.deepEqual((await opened.problems()).filter((p) => !expected.some((e) => e.test(p))), []);
  for (const url of opened.requests) assert.ok(url.startsWith(`${base}/ui/`), `request outside the UI: ${url}`);
}

async function screenshot(t: TestContext, opened: OpenedPage, name: string): Promise<void> {
  await saveScreenshot(t, opened.page, `pages-${name}`);
}

const BADGES = (scope: string): string => `[...${scope}.querySelectorAll('.badge[data-severity]')].map((b) => b.dataset.severity + ' ' + b.dataset.count)`;

test('repositories: worst severity first, with tag counts, last push and the worst tag counts', async (t) => {
  const opened = await open(t, '/ui/');
  if (!opened) return;
  assert.equal(opened.status, 200);
  const rows = await read<Array<{ name: string; href: string; tags: string; pushed: string; badges: string[] }>>(
    opened.page,
    `[...document.querySelectorAll('#repositories tbody tr')].map((tr) => ({
      name: tr.querySelector('td.name a').textContent,
      href: tr.querySelector('td.name a').getAttribute('href'),
      tags: tr.querySelector('td.tags').textContent,
      pushed: tr.querySelector('td.pushed').textContent,
      badges: ${BADGES('tr')},
    }))`,
  );
  assert.deepEqual(rows.map((r) => r.name), REPOSITORY_ORDER);
  const debian = rows[0]!;
  assert.equal(debian.href, '/ui/r/library/debian');
  assert.equal(debian.tags, '8');
  assert.equal(debian.pushed, '2024-03-01 10:09 UTC');
  assert.deepEqual(debian.badges, ['CRITICAL 2', 'HIGH 3', 'MEDIUM 3', 'LOW 2', 'NEGLIGIBLE 1', 'UNKNOWN 1']);
  assert.deepEqual(rows[2]!.badges, ['MEDIUM 1']);
  assert.equal(rows[1]!.href, '/ui/r/evil/%3Cscript%3Ewindow.__pwned%3D1%3C/script%3E%22onmouseover%3D%22window.__pwned%3D2%22%3Fx%3D1%23frag');
  await clean(opened);
  await screenshot(t, opened, 'repositories');
  await opened.page.close();
});

test('tags: most severe images first, with short digest, push time, scan state and coloured badges', async (t) => {
  const opened = await open(t, '/ui/r/library/debian');
  if (!opened) return;
  const rows = await read<Array<{ tag: string; state: string; digest: string; href: string; badges: string[]; clean: boolean; note: string }>>(
    opened.page,
    `[...document.querySelectorAll('#tags tbody tr[data-tag]')].map((tr) => ({
      tag: tr.querySelector('td.tag').textContent,
      state: tr.querySelector('td.state').textContent,
      digest: tr.querySelector('td.digest code').textContent,
      href: tr.querySelector('td.digest a').getAttribute('href'),
      badges: ${BADGES('tr')},
      clean: tr.querySelector('[data-clean]') !== null,
      note: tr.querySelector('td.digest small')?.textContent ?? '',
    }))`,
  );
  assert.deepEqual(rows.map((r) => r.tag), DEBIAN_TAG_ORDER);
  assert.deepEqual(rows.map((r) => r.state), ['done', 'done', 'done', 'done', 'done', 'failed', 'queued', 'not an image']);
  const latest = rows[0]!;
  assert.equal(latest.digest, `sha256:${'a1'.repeat(6)}`);
  assert.equal(latest.href, `/ui/r/library/debian/m/${DIGESTS.debian12}`);
  assert.deepEqual(latest.badges, ['CRITICAL 2', 'HIGH 3', 'MEDIUM 3', 'LOW 2', 'NEGLIGIBLE 1', 'UNKNOWN 1']);
  const multi = rows[2]!;
  assert.deepEqual(multi.badges, ['CRITICAL 1'], 'an index shows its worst platform image');
  assert.equal(multi.note, 'index · 2 images');
  assert.deepEqual(rows[3]!.badges, ['HIGH 1', 'LOW 2']);
  assert.equal(rows[4]!.clean, true);
  // The badges are coloured by severity (the stylesheet is applied: CSP allows 'self').
  const colour = await read<string>(opened.page, `getComputedStyle(document.querySelector('.badge[data-severity="CRITICAL"]')).backgroundColor`);
  assert.equal(colour, 'rgb(139, 0, 0)');
  await clean(opened);
  await screenshot(t, opened, 'tags');
  await opened.page.close();
});

type FindingRow = { severity: string; id: string; pkg: string; href: string | null; fixed: string; layer: string; aliases: Array<[string, string | null]> };
const FINDING_ROWS = `[...document.querySelectorAll('#findings tbody tr')].map((tr) => ({
  severity: tr.dataset.severity,
  id: tr.querySelector('.vuln-id').textContent,
  pkg: tr.querySelector('td.pkg code').textContent,
  href: tr.querySelector('.vuln-id a')?.getAttribute('href') ?? null,
  fixed: tr.querySelector('td.fixed').textContent,
  layer: tr.querySelector('td.layer').textContent,
  aliases: [...tr.querySelectorAll('.aliases a')].map((a) => [a.textContent, a.getAttribute('href')]),
}))`;

test('image: OS, scan time, advisory database, findings by severity then package, linked to their advisories', async (t) => {
  const opened = await open(t, `/ui/r/library/debian/m/${DIGESTS.debian12}`);
  if (!opened) return;
  const meta = await read<Record<string, string>>(opened.page, `Object.fromEntries([...document.querySelectorAll('#meta dd')].map((dd) => [dd.dataset.meta, dd.textContent]))`);
  assert.equal(meta['OS'], 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(meta['Scanned at'], '2024-03-01 12:00 UTC');
  assert.equal(meta['Advisory DB'], `sha256:${'db'.repeat(6)}`);
  assert.equal(meta['DB updated'], '2024-03-01 06:00 UTC');
  assert.equal(meta['Tags'], '12 latest');
  assert.equal(await read<string>(opened.page, `document.querySelector('dd[data-meta="Advisory DB"] code').title`), DB_DIGEST);

  const rows = await read<FindingRow[]>(opened.page, FINDING_ROWS);
  assert.deepEqual(
    rows.map((r) => `${r.severity} ${r.id} ${r.pkg}`),
    [
      'CRITICAL CVE-2023-38545 curl',
      'CRITICAL CVE-2023-45853 zlib1g',
      'HIGH CVE-2023-44487 golang.org/x/net',
      'HIGH CVE-2021-23337 lodash',
      'HIGH CVE-2023-39325 stdlib',
      'MEDIUM CVE-2023-5678 libssl3',
      'MEDIUM GHSA-p6mc-m468-83gw lodash',
      'MEDIUM CVE-2023-5678 openssl',
      'LOW CVE-2022-3715 bash',
      'LOW DLA-3599-1 bash',
      'NEGLIGIBLE TEMP-0290435-0B57B5 bash',
      'UNKNOWN GO-2024-2963 stdlib',
    ],
  );
  const row = (id: string, pkg?: string): FindingRow => rows.find((r) => r.id === id && (!pkg || r.pkg === pkg))!;
  assert.equal(row('CVE-2023-38545').href, 'https://nvd.nist.gov/vuln/detail/CVE-2023-38545', 'a CVE links to NVD even when the finding names the Debian tracker');
  assert.equal(row('CVE-2023-45853').href, 'https://nvd.nist.gov/vuln/detail/CVE-2023-45853', 'a CVE with a javascript: URL still links to NVD');
  assert.equal(row('GHSA-p6mc-m468-83gw').href, 'https://github.com/advisories/GHSA-p6mc-m468-83gw');
  assert.equal(row('GO-2024-2963').href, 'https://pkg.go.dev/vuln/GO-2024-2963', 'other ids use the finding URL');
  assert.equal(row('TEMP-0290435-0B57B5').href, 'https://security-tracker.debian.org/tracker/TEMP-0290435-0B57B5');
  assert.equal(row('DLA-3599-1').href, null, 'a javascript: URL makes no link');
  assert.deepEqual(row('CVE-2021-23337').aliases, [['GHSA-35jh-r3h4-6jhm', 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm']]);
  assert.equal(row('CVE-2023-38545').fixed, '7.88.1-10+deb12u5');
  assert.equal(row('CVE-2022-3715').fixed, 'no fix');
  assert.equal(row('CVE-2023-45853').fixed, 'no fix (will not fix)');
  assert.match(row('CVE-2023-38545').layer, /^#1 sha256:a2a2a2a2a2a2RUN \/bin\/sh -c apt-get update/);
  assert.equal(await read<string>(opened.page, `document.querySelector('#suppressed').textContent`), '1 suppressed finding is not shown.');
  assert.equal(await read<string>(opened.page, `document.querySelector('#shown').textContent`), '12 shown');
  await clean(opened);
  await screenshot(t, opened, 'image');
  await opened.page.close();
});

test('image: the severity filter works by following links, and a bad value is refused', async (t) => {
  const opened = await open(t, `/ui/r/library/debian/m/${DIGESTS.debian12}`);
  if (!opened) return;
  const { page } = opened;
  await Promise.all([page.waitForURL(/severity=HIGH$/), page.click('nav.filter a[data-filter="HIGH"]')]);
  assert.equal(new URL(page.url()).search, '?severity=HIGH');
  const high = await read<FindingRow[]>(page, FINDING_ROWS);
  assert.deepEqual(high.map((r) => r.severity), ['CRITICAL', 'CRITICAL', 'HIGH', 'HIGH', 'HIGH']);
  assert.equal(await read<string>(page, `document.querySelector('nav.filter a[aria-current="true"]').dataset.filter`), 'HIGH');
  assert.equal(await read<string>(page, `document.querySelector('nav.filter a[data-filter="HIGH"] small').textContent`), '(5)');

  await Promise.all([page.waitForURL(/severity=CRITICAL$/), page.click('nav.filter a[data-filter="CRITICAL"]')]);
  assert.deepEqual((await read<FindingRow[]>(page, FINDING_ROWS)).map((r) => r.id), ['CVE-2023-38545', 'CVE-2023-45853']);
  await Promise.all([page.waitForURL((u) => u.search === ''), page.click('nav.filter a[data-filter="ALL"]')]);
  assert.equal((await read<FindingRow[]>(page, FINDING_ROWS)).length, 12);

  await page.goto(`${base}/ui/r/library/debian/m/${DIGESTS.debian12}?severity=low`);
  assert.deepEqual([...new Set((await read<FindingRow[]>(page, FINDING_ROWS)).map((r) => r.severity))], ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'], 'lower case works');
  const bad = await page.goto(`${base}/ui/r/library/debian/m/${DIGESTS.debian12}?severity=<b>SEVERE</b>`);
  assert.equal(bad?.status(), 400);
  assert.equal(await read<string>(page, `document.querySelector('#problem').textContent`), '"<b>SEVERE</b>" is not a severity: use CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE or UNKNOWN.');
  // Chromium logs a document answered with an error status; nothing else may appear.
  await clean(opened, [/^console error: Failed to load resource: the server responded with a status of 400/]);
  await page.close();
});

test('image: an index lists its platform images worst first; a failed scan shows its error as text', async (t) => {
  const opened = await open(t, `/ui/r/library/debian/m/${DIGESTS.multi}`);
  if (!opened) return;
  const images = await read<Array<[string, string, string]>>(
    opened.page,
    `[...document.querySelectorAll('#images tbody tr')].map((tr) => [tr.querySelector('td.platform').textContent, tr.querySelector('td.state').textContent, tr.querySelector('td.digest a').getAttribute('href')])`,
  );
  assert.deepEqual(images, [
    ['linux/arm64', 'done', `/ui/r/library/debian/m/${DIGESTS.arm64}`],
    ['linux/amd64', 'done', `/ui/r/library/debian/m/${DIGESTS.slim}`],
  ]);
  await clean(opened);
  await opened.page.goto(`${base}/ui/r/library/debian/m/${DIGESTS.broken}`);
  assert.equal(await read<string>(opened.page, `document.querySelector('#scan-error').textContent`), 'layer sha256:ff…: unexpected EOF <b>not bold</b>');
  assert.equal(await read<number>(opened.page, `document.querySelectorAll('#scan-error b').length`), 0);
  await opened.page.goto(`${base}/ui/r/library/debian/m/${DIGESTS.rc}`);
  assert.equal(await read<string>(opened.page, `document.querySelector('#no-scan').textContent`), 'The scan has not finished yet: reload this page later.');
  await clean(opened);
  await opened.page.close();
});

test('a repository name with an "m" component is a tags page, and its images open below it', async (t) => {
  const opened = await open(t, `/ui/r/${M_REPO}`);
  if (!opened) return;
  assert.equal(opened.status, 200);
  assert.equal(await read<string>(opened.page, `document.querySelector('h1').textContent`), M_REPO);
  await Promise.all([opened.page.waitForURL(/\/m\/sha256:/), opened.page.click('#tags td.digest a')]);
  assert.equal(new URL(opened.page.url()).pathname, `/ui/r/team/m/app/m/${DIGESTS.mApp}`);
  assert.deepEqual((await read<FindingRow[]>(opened.page, FINDING_ROWS)).map((r) => r.id), ['CVE-2023-5678']);
  await clean(opened);
  await opened.page.close();
});

test('unknown repositories and images answer 404 pages; headers forbid scripts on every UI answer', async (t) => {
  const opened = await open(t, '/ui/r/no/such/repo');
  if (!opened) return;
  assert.equal(opened.status, 404);
  const csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";
  assert.equal(opened.headers['content-security-policy'], csp);
  assert.equal(opened.headers['x-content-type-options'], 'nosniff');
  assert.equal(opened.headers['referrer-policy'], 'no-referrer');
  assert.equal(await read<string>(opened.page, `document.querySelector('h1').textContent`), 'Repository not found');
  for (const [path, status] of [
    [`/ui/r/library/debian/m/${DIGESTS.mApp}`, 404],
    ['/ui/r/library/debian/m/sha256:nothex', 404],
    ['/ui/nowhere', 404],
    ['/ui/static/portcullis.css', 200],
    ['/ui/static/icon.svg', 200],
    ['/ui/static/..%2F..%2Fetc%2Fpasswd', 404],
  ] as const) {
    const response = await fetch(base + path);
    assert.equal(response.status, status, path);
    assert.equal(response.headers.get('content-security-policy'), csp, path);
  }
  const css = await fetch(`${base}/ui/static/portcullis.css`);
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  const redirect = await fetch(`${base}/ui`, { redirect: 'manual' });
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.get('location'), '/ui/');
  assert.equal((await fetch(`${base}/ui/`)).headers.get('cache-control'), 'no-store');
  await opened.page.close();
});
