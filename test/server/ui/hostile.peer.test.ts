/**
 * Hostile strings from the metadata store — a repository name, tags (one of
 * control characters, shown as their codes), package
 * names, versions, advisory ids, titles, descriptions, an OS name, a scan
 * warning, all made of `<script>`, `<img onerror>` and `"onmouseover=` — in
 * real Chromium, reached by clicking through the UI as a user would. Each one
 * must be shown as exactly its text, with no element or event attribute
 * injected and nothing run. The structure is checked (not only that the CSP
 * held), so escaping and CSP are each enough on their own.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CHROMIUM, launchBrowser, openPage, read, screenshot, type UiBrowser } from './browser.js';
import { CONTROL_TAG_SHOWN, HOSTILE_DESCRIPTION, HOSTILE_ID, HOSTILE_PACKAGE, HOSTILE_REPO, HOSTILE_TAG, HOSTILE_TITLE, HOSTILE_VERSION } from './fixtures.js';
import { startUiServer, type UiServer } from './server.js';
import { missingPeer } from '../../support/require-peer.js';

let server: UiServer;
let browser: UiBrowser | undefined;

before(async () => {
  server = await startUiServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** What an injection would leave behind: script elements, images other than the UI's icon, event-handler attributes, the marker. */
const INJECTION_STATE = `(() => ({
  scripts: document.querySelectorAll('script').length,
  images: [...document.images].map((i) => i.getAttribute('src')).filter((s) => s !== '/ui/static/icon.svg'),
  handlers: [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => el.tagName + ' ' + a.name)),
  bold: document.querySelectorAll('main b, main i').length,
  pwned: window.__pwned ?? null,
}))()`;
const NOTHING_INJECTED = { scripts: 0, images: [], handlers: [], bold: 0, pwned: null };

test('hostile repository, tag and finding text is shown as text, and nothing runs', async (t) => {
  if (!browser) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const opened = await openPage(browser, `${server.base}/ui/`);
  const { page } = opened;
  assert.deepEqual(await read(page, INJECTION_STATE), NOTHING_INJECTED);
  assert.equal(await read<string>(page, `document.querySelector('#repositories tbody tr:nth-child(2) td.name').textContent`), HOSTILE_REPO);
  assert.equal(await read<string>(page, `document.querySelector('#repositories tbody tr:nth-child(2)').dataset.repository`), HOSTILE_REPO);

  // Its link leads to its own page: the name round-trips through the URL.
  await Promise.all([page.waitForURL(/\/ui\/r\/evil\//), page.click('#repositories tbody tr:nth-child(2) td.name a')]);
  assert.equal(await read<string>(page, `document.querySelector('h1').textContent`), HOSTILE_REPO);
  assert.equal(await read<string>(page, `document.title`), `${HOSTILE_REPO} · portcullis`);
  assert.deepEqual(await read<string[]>(page, `[...document.querySelectorAll('#tags td.tag')].map((td) => td.textContent)`), [HOSTILE_TAG, CONTROL_TAG_SHOWN]);
  assert.deepEqual(await read(page, INJECTION_STATE), NOTHING_INJECTED);

  await Promise.all([page.waitForURL(/\/m\/sha256:/), page.click('#tags td.digest a')]);
  assert.deepEqual(await read(page, INJECTION_STATE), NOTHING_INJECTED);
  const shown = await read<Record<string, string | null>>(
    page,
    `(() => {
      const tr = document.querySelector('#findings tbody tr');
      return {
        h1: document.querySelector('h1').firstChild.textContent,
        tags: document.querySelector('dd[data-meta="Tags"]').textContent,
        os: document.querySelector('dd[data-meta="OS"]').textContent,
        id: tr.querySelector('.vuln-id').textContent,
        idLink: tr.querySelector('.vuln-id a')?.getAttribute('href') ?? null,
        alias: tr.querySelector('.aliases').textContent,
        pkg: tr.querySelector('td.pkg code').textContent,
        path: tr.querySelector('td.pkg small').textContent,
        installed: tr.querySelector('td.installed').textContent,
        fixed: tr.querySelector('td.fixed').textContent,
        title: tr.querySelector('.title-text').textContent,
        description: tr.querySelector('td.title details p').textContent,
        layer: tr.querySelector('td.layer small').textContent,
        warning: document.querySelector('#warnings li').textContent,
        rows: String(document.querySelectorAll('#findings tbody tr').length),
        cells: String(tr.children.length),
      };
    })()`,
  );
  assert.deepEqual(shown, {
    h1: `${HOSTILE_REPO} `,
    tags: `${CONTROL_TAG_SHOWN} ${HOSTILE_TAG}`,
    os: '<i>Evil OS</i>"onmouseover="window.__pwned=9',
    id: HOSTILE_ID,
    idLink: null,
    alias: '<i>alias</i>',
    pkg: HOSTILE_PACKAGE,
    path: 'debian · usr/lib/"onmouseover="x',
    installed: HOSTILE_VERSION,
    fixed: '2.0<script>window.__pwned=6</script>',
    title: HOSTILE_TITLE,
    description: HOSTILE_DESCRIPTION,
    layer: 'RUN echo "<script>window.__pwned=8</script>"',
    warning: '<script>window.__pwned=10</script>',
    rows: '1',
    cells: '8', // with the EPSS column
  });
  // Hovering and opening the description give an injected handler its chance.
  await page.hover('#findings td.installed');
  await page.click('#findings td.title details summary');
  assert.deepEqual(await read(page, INJECTION_STATE), NOTHING_INJECTED);
  assert.deepEqual(await opened.problems(), []);
  await screenshot(t, page, 'hostile-image');
  await page.close();
});
