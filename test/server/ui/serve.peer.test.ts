/**
 * The UI and `/metrics` inside the real registry app (`startPortcullisRegistry`:
 * `buildApp` listening on 127.0.0.1, filesystem blobs, SQLite metadata), with
 * htpasswd auth: an image is pushed through the /v2 API over HTTP with Basic
 * credentials, its scan record is saved through the MetadataStore API, and
 * Chromium reads it — refused without credentials (401 with the Basic
 * challenge), shown with them. The metrics then account for the push, the UI
 * pages and the refusals, and the gauges read the store.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import type { Digest } from '../../../src/core/digest.js';
import { MediaType } from '../../../src/core/media-types.js';
import { HtpasswdAuthenticator } from '../../../src/server/auth/htpasswd.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { Metrics, metricsPlugin, storeGauges } from '../../../src/server/metrics.js';
import { uiPlugin } from '../../../src/server/ui/plugin.js';
import { compress, sha256, tarOf } from '../../support/oci-builder.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../../support/registry-server.js';
import { CHROMIUM, launchBrowser, openPage, read, type UiBrowser } from './browser.js';
import { DB_DIGEST, DEBIAN12_RESULT } from './fixtures.js';
import { missingPeer } from '../../support/require-peer.js';

const AUTH = { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` };
const REPO = 'team/web';
let registry: PortcullisRegistry;
let browser: UiBrowser | undefined;
let metadata: SqliteMetadataStore;
let manifestDigest: Digest;
let layerSize = 0;
const work = mkdtempSync(join(tmpdir(), 'portcullis-ui-serve-'));

async function pushBlob(data: Buffer): Promise<Digest> {
  const digest = `sha256:${sha256(data)}` as Digest;
  const start = await fetch(`${registry.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST', headers: AUTH });
  assert.equal(start.status, 202);
  const location = new URL(start.headers.get('location')!, registry.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: data, headers: { ...AUTH, 'content-type': 'application/octet-stream' } });
  assert.equal(put.status, 201);
  return digest;
}

before(async () => {
  metadata = new SqliteMetadataStore(join(work, 'metadata.db'));
  const auth = new HtpasswdAuthenticator(new Map([['alice', bcrypt.hashSync('s3cret', 4)]]));
  const metrics = new Metrics({ source: storeGauges(metadata) });
  registry = await startPortcullisRegistry({ metadata, auth, plugins: [metricsPlugin(metrics), uiPlugin({ metadata, auth })] });

  const tar = await tarOf([{ name: 'etc/os-release', body: 'ID=debian\nVERSION_ID="12"\n' }]);
  const layer = compress(tar, 'gzip');
  layerSize = layer.length;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(tar)}`] } }));
  const configDigest = await pushBlob(config);
  const layerDigest = await pushBlob(layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDigest, size: config.length },
      layers: [{ mediaType: MediaType.OciLayerGzip, digest: layerDigest, size: layer.length }],
    }),
  );
  const put = await fetch(`${registry.url}/v2/${REPO}/manifests/1.0`, { method: 'PUT', body: manifest, headers: { ...AUTH, 'content-type': MediaType.OciManifest } });
  assert.equal(put.status, 201);
  manifestDigest = put.headers.get('docker-content-digest') as Digest;
  await metadata.saveScan({ manifestDigest, state: 'done', databaseDigest: DB_DIGEST, result: DEBIAN12_RESULT, updatedAt: new Date().toISOString() });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await registry?.close();
  rmSync(work, { recursive: true, force: true });
});

test('serve: without credentials the UI sends the browser to its sign-in page and shows nothing; wrong ones get 401', async (t) => {
  if (!browser) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  for (const path of ['/ui/', `/ui/r/${REPO}`, `/ui/r/${REPO}/m/${manifestDigest}`]) {
    const response = await fetch(registry.url + path, { redirect: 'manual' });
    assert.equal(response.status, 303, path);
    assert.equal(response.headers.get('location'), path === '/ui/' ? '/ui/login' : `/ui/login?next=${encodeURIComponent(path)}`);
    assert.equal(response.headers.get('www-authenticate'), null, 'no Basic challenge: browsers would show their own dialog');
    assert.doesNotMatch(await response.text(), /team\/web/);
  }
  const wrong = await fetch(`${registry.url}/ui/r/${REPO}`, { headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } });
  assert.equal(wrong.status, 401);
  assert.doesNotMatch(await wrong.text(), /team\/web/);
});

test('serve: a pushed image, once scanned, is listed and opens with its findings in the browser', async (t) => {
  if (!browser) return missingPeer(t, `no Chromium at ${CHROMIUM}`);
  const opened = await openPage(browser, `${registry.url}/ui/`, AUTH);
  const { page } = opened;
  assert.equal(opened.status, 200);
  assert.deepEqual(await read(page, `[...document.querySelectorAll('#repositories td.name')].map((td) => td.textContent)`), [REPO]);
  await Promise.all([page.waitForURL(/\/ui\/r\/team\/web$/), page.click('#repositories td.name a')]);
  assert.deepEqual(await read(page, `[...document.querySelectorAll('#tags tbody tr[data-tag]')].map((tr) => [tr.dataset.tag, tr.dataset.digest, tr.dataset.state])`), [['1.0', manifestDigest, 'done']]);
  await Promise.all([page.waitForURL(/\/m\/sha256:/), page.click('#tags td.digest a')]);
  assert.equal(await read<number>(page, `document.querySelectorAll('#findings tbody tr').length`), 12);
  assert.equal(await read<string>(page, `document.querySelector('dd[data-meta="Media type"]').textContent`), MediaType.OciManifest);
  assert.deepEqual(await opened.problems(), []);
  await page.close();
});

test('serve: /metrics accounts for the push, the UI and the refusals; gauges read the store', async () => {
  const text = await (await fetch(`${registry.url}/metrics`)).text();
  const sample = (line: string): number => {
    const found = text.split('\n').find((l) => l.startsWith(`${line} `));
    return found ? Number(found.slice(line.length + 1)) : 0;
  };
  assert.equal(sample('portcullis_http_requests_total{method="POST",route="upload-start",status="202"}'), 2);
  assert.equal(sample('portcullis_http_requests_total{method="PUT",route="upload",status="201"}'), 2);
  assert.equal(sample('portcullis_http_requests_total{method="PUT",route="manifest",status="201"}'), 1);
  assert.equal(sample('portcullis_http_requests_total{method="GET",route="ui",status="303"}'), 3);
  assert.equal(sample('portcullis_http_requests_total{method="GET",route="ui",status="401"}'), 1);
  assert.ok(sample('portcullis_http_requests_total{method="GET",route="ui",status="200"}') >= 3);
  assert.ok(sample('portcullis_http_requests_total{method="GET",route="ui-static",status="200"}') >= 1);
  assert.ok(sample('portcullis_http_received_bytes_total{route="upload"}') >= layerSize);
  assert.ok(sample('portcullis_http_served_bytes_total{route="ui"}') > 1000);
  assert.equal(sample('portcullis_repositories'), 1);
  assert.equal(sample('portcullis_manifests'), 1);
  assert.equal(sample('portcullis_scan_queue_length'), 0);
});
