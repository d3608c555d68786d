/**
 * `db update`'s Photon OS feed against a loopback server laid out as
 * https://packages.broadcom.com/photon/photon_cve_metadata/: the release list
 * first, then each numbered release's file ("dev" is not one); a second run
 * asks conditionally and imports nothing; a release list that is not one
 * fails the update naming it and leaves the database as it was. The CLI
 * reaches it with --photon-url.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HttpFetcher } from '../../src/http/index.js';
import { DbError, openAdvisoryStore, update } from '../../src/vuln/db.js';
import { runCli } from '../support/cli.js';
import { REPO_ROOT } from '../support/paths.js';

const PHOTON = join(REPO_ROOT, 'test/vuln/fixtures/distros/photon');
const ETAG = '"photon-v1"';
const seen: string[] = [];
let versions = readFileSync(join(PHOTON, 'photon_versions.json'));
let server: Server;
let base: string;
let dir: string;
const fetcher = new HttpFetcher({ retryBaseDelayMs: 10, env: {} });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-photon-feed-'));
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://127.0.0.1').pathname;
    if (path === '/photon_cve_metadata/photon_versions.json') {
      seen.push(`${path} 200`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(versions);
      return;
    }
    if (path === '/photon_cve_metadata/cve_data_photon4.0.json') {
      const status = req.headers['if-none-match'] === ETAG ? 304 : 200;
      seen.push(`${path} ${status}`);
      if (status === 304) res.writeHead(304, { etag: ETAG }).end();
      else res.writeHead(200, { 'content-type': 'application/json', etag: ETAG }).end(readFileSync(join(PHOTON, 'cve_data_photon4.0.json')));
      return;
    }
    seen.push(`${path} 404`);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/photon_cve_metadata/`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await fetcher.close();
  rmSync(dir, { recursive: true, force: true });
});

test('update --feeds photon: the listed releases downloaded and imported; then 304 and nothing imported; a broken list fails naming it', async () => {
  const db = join(dir, 'photon.sqlite');
  seen.length = 0;
  const first = await update(db, { feeds: ['photon'], baseUrls: { photon: base }, fetcher });
  assert.deepEqual(seen, ['/photon_cve_metadata/photon_versions.json 200', '/photon_cve_metadata/cve_data_photon4.0.json 200']);
  assert.deepEqual(first.downloaded, [`${base}cve_data_photon4.0.json`]);
  assert.equal(first.import.inserted, 4);
  const store = openAdvisoryStore(db);
  try {
    const curl = await store.findAffected('Photon OS:4.0', 'curl-libs');
    assert.deepEqual(curl.map((m) => `${m.advisory.id} ${m.affected.fixed}`), ['PHOTON-CVE-2023-38545 7.88.1-4.ph4']);
    assert.ok((await store.sources()).some((s) => s.feed === 'photon'));
  } finally {
    await store.close();
  }

  seen.length = 0;
  const second = await update(db, { feeds: ['photon'], baseUrls: { photon: base }, fetcher });
  assert.deepEqual(seen, ['/photon_cve_metadata/photon_versions.json 200', '/photon_cve_metadata/cve_data_photon4.0.json 304']);
  assert.deepEqual(second.notModified, [`${base}cve_data_photon4.0.json`]);
  assert.equal(second.import.inserted + second.import.updated, 0);

  versions = Buffer.from('<html>maintenance</html>');
  try {
    await assert.rejects(update(db, { feeds: ['photon'], baseUrls: { photon: base }, fetcher }), (e: unknown) => {
      assert.ok(e instanceof DbError && e.code === 'UPDATE_FAILED', String(e));
      assert.equal(e.message, `photon feed: ${base}photon_versions.json: not JSON: Unexpected token '<', "<html>main"... is not valid JSON`);
      return true;
    });
  } finally {
    versions = readFileSync(join(PHOTON, 'photon_versions.json'));
  }
});

test('CLI: db update --feeds photon --photon-url, then db status names the feed', async () => {
  const db = join(dir, 'cli.sqlite');
  const env = { HTTPS_PROXY: '', HTTP_PROXY: '', https_proxy: '', http_proxy: '' };
  const u = await runCli(['db', 'update', '--db', db, '--feeds', 'photon', '--photon-url', base, '--format', 'json'], env);
  assert.equal(u.code, 0, u.stderr);
  assert.deepEqual((JSON.parse(u.stdout) as { downloaded: string[] }).downloaded, [`${base}cve_data_photon4.0.json`]);
  const s = await runCli(['db', 'status', '--db', db, '--format', 'json'], env);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /"feed":\s*"photon"/);
});
