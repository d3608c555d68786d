/**
 * `scan` on a first run and with an old database, as Trivy users expect
 * (issue #14), against a loopback server speaking the upstream formats (OSV
 * all.zip, the secdb.alpinelinux.org layout, the Debian tracker JSON, one NVD
 * API 2.0 page), named through the PORTCULLIS_*_URL mirror variables:
 * no database → downloaded, then scanned; fresh → nothing downloaded; older
 * than --db-max-age → refreshed (conditional requests); --skip-db-update and
 * --offline → never downloaded, with the exact way out; no network → the
 * real cause and what to do, and an existing database byte for byte as it was.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import type { ScanResult } from '../../src/core/finding.js';
import { openAdvisoryStore } from '../../src/vuln/db.js';
import { runCli } from '../support/cli.js';
import { REPO_ROOT, VULNDATA } from '../support/paths.js';

const GO_DIR = join(VULNDATA, 'osv/go-vulndb');
const GO_ZIP = Buffer.from(zipSync(Object.fromEntries(readdirSync(GO_DIR).filter((f) => f.endsWith('.json')).sort().slice(0, 50).map((f) => [f, readFileSync(join(GO_DIR, f))]))));
const EMPTY_ZIP = Buffer.from(zipSync({}));
const ALPINE = join(VULNDATA, 'alpine-secdb/json-format-samples/secdb.alpinelinux.org-layout');
const ALPINE_FILES: Record<string, string> = {
  '/alpine/': 'index.html', '/alpine/v3.11/': '311.html', '/alpine/v3.12/': '312.html', '/alpine/edge/': 'edge.html',
  '/alpine/v3.11/main.json': '311-main.json', '/alpine/v3.11/community.json': '311-community.json',
  '/alpine/v3.12/main.json': '312-main.json', '/alpine/v3.12/community.json': '312-community.json',
  '/alpine/edge/main.json': 'edge-main.json', '/alpine/edge/community.json': 'edge-community.json',
};
const TRACKER = readFileSync(join(VULNDATA, 'debian-tracker/tracker-json/vunnel-fixture-debian.json'));
const NVD_PAGE = readFileSync(join(VULNDATA, 'nvd/api-2.0-pages/vunnel-full-page.json'));
const KEV = readFileSync(join(VULNDATA, 'kev/known_exploited_vulnerabilities.json'));
// FIRST's EPSS CSV (gzipped, a model line first); CVE-2018-16876 is the finding below.
const EPSS = gzipSync('#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\ncve,epss,percentile\nCVE-2018-16876,0.00321,0.54321\n');
const PHOTON = join(REPO_ROOT, 'test/vuln/fixtures/distros/photon');
// Amazon's layout (mirror.list → repository → repomd.xml → updateinfo), with the fixtures written in its format.
const AMAZON_FIXTURES = join(REPO_ROOT, 'test/vuln/sources/fixtures/amazon');
const AMAZON_UPDATEINFO = gzipSync(readFileSync(join(AMAZON_FIXTURES, 'al2023-updateinfo.xml')));
const AMAZON_REPOMD = readFileSync(join(AMAZON_FIXTURES, 'repomd.xml'), 'utf8')
  .replace('@UPDATEINFO_HREF@', 'repodata/updateinfo.xml.gz')
  .replace('@UPDATEINFO_SHA256@', createHash('sha256').update(AMAZON_UPDATEINFO).digest('hex'))
  .replace('@UPDATEINFO_SIZE@', String(AMAZON_UPDATEINFO.length));
// Oracle's ELSA OVAL, the fixture written in its format, bzip2 as Oracle serves it.
const ORACLE_OVAL = readFileSync(join(REPO_ROOT, 'test/vuln/sources/fixtures/oracle/elsa-sample.xml.bz2'));
const ETAG = '"v1"';

let dir: string;
let rootfs: string;
let server: Server;
let env: NodeJS.ProcessEnv;
/** Mirror variables pointing at a closed port: no network. */
let offlineEnv: NodeJS.ProcessEnv;
const seen: { path: string; status: number }[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-first-run-'));
  rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  writeFileSync(join(rootfs, 'etc/os-release'), 'ID=alpine\nVERSION_ID=3.12.0\nPRETTY_NAME="Alpine Linux v3.12"\n');
  mkdirSync(join(rootfs, 'lib/apk/db'), { recursive: true });
  // ansible before 2.7.9-r0: CVE-2018-16876 in the v3.12 secdb the server serves.
  writeFileSync(join(rootfs, 'lib/apk/db/installed'), 'P:ansible\nV:2.7.0-r0\nA:x86_64\no:ansible\n\n');
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://127.0.0.1').pathname;
    const send = (body: Buffer, type: string): void => {
      if (req.headers['if-none-match'] === ETAG) {
        seen.push({ path, status: 304 });
        res.writeHead(304, { etag: ETAG }).end();
        return;
      }
      seen.push({ path, status: 200 });
      res.writeHead(200, { 'content-type': type, etag: ETAG, 'content-length': body.length }).end(body);
    };
    const osv = /^\/osv\/([^/]+)\/all\.zip$/.exec(path);
    if (osv) return send(decodeURIComponent(osv[1]!) === 'Go' ? GO_ZIP : EMPTY_ZIP, 'application/zip');
    const alpine = ALPINE_FILES[path];
    if (alpine) return send(readFileSync(join(ALPINE, alpine)), alpine.endsWith('.html') ? 'text/html' : 'application/json');
    if (path === '/debian/json') return send(TRACKER, 'application/json');
    if (path === '/kev.json') return send(KEV, 'application/json');
    if (path === '/amazon/mirror.list' || path === '/amazon/repo/repodata/repomd.xml') {
      // Fetched every time, as Amazon's are (only the updateinfo is conditional).
      seen.push({ path, status: 200 });
      res.writeHead(200, { 'content-type': 'text/plain' }).end(path.endsWith('mirror.list') ? `http://127.0.0.1:${(server.address() as AddressInfo).port}/amazon/repo/\n` : AMAZON_REPOMD);
      return;
    }
    if (path === '/amazon/repo/repodata/updateinfo.xml.gz') return send(AMAZON_UPDATEINFO, 'application/gzip');
    if (path === '/epss.csv.gz') return send(EPSS, 'application/gzip');
    if (path === '/oracle/com.oracle.elsa-all.xml.bz2') return send(ORACLE_OVAL, 'application/x-bzip2');
    if (path === '/photon/photon_versions.json' || path === '/photon/cve_data_photon4.0.json') return send(readFileSync(join(PHOTON, path.slice('/photon/'.length))), 'application/json');
    if (path === '/nvd') {
      seen.push({ path, status: 200 });
      res.writeHead(200, { 'content-type': 'application/json' }).end(NVD_PAGE);
      return;
    }
    seen.push({ path, status: 404 });
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const noProxy = { HTTPS_PROXY: '', HTTP_PROXY: '', https_proxy: '', http_proxy: '', NVD_API_KEY: '', PORTCULLIS_DB: '', PORTCULLIS_CACHE_DIR: join(dir, 'cache') };
  env = { ...noProxy, PORTCULLIS_OSV_URL: `${origin}/osv`, PORTCULLIS_ALPINE_URL: `${origin}/alpine/`, PORTCULLIS_DEBIAN_URL: `${origin}/debian/json`, PORTCULLIS_NVD_URL: `${origin}/nvd`, PORTCULLIS_KEV_URL: `${origin}/kev.json`, PORTCULLIS_EPSS_URL: `${origin}/epss.csv.gz`, PORTCULLIS_PHOTON_URL: `${origin}/photon/`, PORTCULLIS_AMAZON_URL: `${origin}/amazon/mirror.list`, PORTCULLIS_ORACLE_URL: `${origin}/oracle/com.oracle.elsa-all.xml.bz2` };
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const nowhere = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));
  offlineEnv = { ...noProxy, PORTCULLIS_OSV_URL: `${nowhere}/osv`, PORTCULLIS_ALPINE_URL: `${nowhere}/alpine/`, PORTCULLIS_DEBIAN_URL: `${nowhere}/debian/json`, PORTCULLIS_NVD_URL: `${nowhere}/nvd`, PORTCULLIS_KEV_URL: `${nowhere}/kev.json`, PORTCULLIS_EPSS_URL: `${nowhere}/epss.csv.gz`, PORTCULLIS_PHOTON_URL: `${nowhere}/photon/`, PORTCULLIS_AMAZON_URL: `${nowhere}/amazon/mirror.list`, PORTCULLIS_ORACLE_URL: `${nowhere}/oracle/com.oracle.elsa-all.xml.bz2` };
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

/** Makes the database look `days` old: every import and the last update check moved back. */
function age(db: string, days: number): void {
  const s = openAdvisoryStore(db);
  const then = new Date(Date.now() - days * 86_400_000).toISOString();
  s.db.prepare('UPDATE sources SET last_import = ?').run(then);
  s.db.prepare("UPDATE meta SET value = ? WHERE key = 'update:lastCheck'").run(then);
  s.db.pragma('wal_checkpoint(TRUNCATE)');
  void s.close();
}

function scanJson(stdout: string): ScanResult {
  return JSON.parse(stdout) as ScanResult;
}

test('first run: no database → downloaded from the feeds, then scanned; a second run downloads nothing', async () => {
  const db = join(dir, 'first', 'advisories.sqlite');
  seen.length = 0;
  const r = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--format', 'json'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^portcullis: no advisory database at ${db}: downloading it \\(portcullis db update\\); this happens once, later scans refresh it when older than 24h\\n`));
  assert.ok(existsSync(db));
  const result = scanJson(r.stdout);
  assert.deepEqual([...(result.database?.sources ?? [])].sort(), ['alpine-secdb', 'amazon-updateinfo', 'debian-tracker', 'epss', 'kev', 'nvd', 'oracle-oval', 'osv', 'photon']);
  assert.deepEqual(result.findings.map((f) => `${f.package.name} ${f.id}`), ['ansible CVE-2018-16876'], 'the downloaded advisories matched');
  assert.ok(seen.some((s) => s.path === '/osv/Go/all.zip' && s.status === 200));
  // Exploitation data comes with the first download, as with `db update`: the finding carries its EPSS score.
  assert.ok(seen.some((s) => s.path === '/kev.json' && s.status === 200) && seen.some((s) => s.path === '/epss.csv.gz' && s.status === 200), JSON.stringify(seen));
  assert.deepEqual(result.findings[0]?.epss, { cve: 'CVE-2018-16876', probability: 0.00321, percentile: 0.54321, date: '2025-08-25', modelVersion: 'v2025.03.14' });
  assert.ok(!result.warnings.some((w) => /older than/.test(w)));

  seen.length = 0;
  const again = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--format', 'json'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(seen.length, 0, 'a fresh database is not downloaded again');
  assert.equal(again.stderr, '');
  // The KEV gate applies on a first-run database (without KEV data it would fail closed with exit 11): nothing here is known-exploited.
  const kev = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--kev', '--exit-code', '4'], env);
  assert.equal(kev.code, 0, kev.stderr);
});

test('older than --db-max-age: refreshed with conditional requests (all 304: fresh again, no warning); --skip-db-update only warns', async () => {
  const db = join(dir, 'stale', 'advisories.sqlite');
  assert.equal((await runCli(['scan', '--rootfs', rootfs, '--db', db, '-q', '--format', 'json'], env)).code, 0);
  age(db, 3);
  seen.length = 0;
  const skip = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--skip-db-update', '--format', 'json'], env);
  assert.equal(skip.code, 0, skip.stderr);
  assert.equal(seen.length, 0);
  assert.match(skip.stderr, /portcullis: warning: the advisory database was last updated \S+ \(older than 24h\): run "portcullis db update"/);
  // --db-max-age larger than the age: nothing to do.
  const week = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--db-max-age', '7d', '--format', 'json'], env);
  assert.equal(week.code, 0, week.stderr);
  assert.equal(seen.length, 0);
  assert.equal(week.stderr, '');

  const r = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--format', 'json'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^portcullis: the advisory database was last updated \S+, older than 24h: refreshing it \(portcullis db update; --skip-db-update scans with it as is\)\n/);
  assert.ok(seen.length > 0 && seen.filter((s) => s.path !== '/nvd' && !/mirror\.list$|repomd\.xml$/.test(s.path)).every((s) => s.status === 304 || s.path.endsWith('/') || s.path.endsWith('/photon_versions.json')), JSON.stringify(seen));
  assert.ok(!scanJson(r.stdout).warnings.some((w) => /older than/.test(w)), 'checked just now: fresh');
  seen.length = 0;
  assert.equal((await runCli(['scan', '--rootfs', rootfs, '--db', db, '-q', '--format', 'json'], env)).code, 0);
  assert.equal(seen.length, 0, 'not refreshed again');
});

test('no database and --offline / --skip-db-update: exit 11 saying exactly what to do, nothing downloaded', async () => {
  const db = join(dir, 'none', 'advisories.sqlite');
  seen.length = 0;
  const off = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--offline'], env);
  assert.equal(off.code, 11, off.stderr);
  assert.equal(
    off.stderr,
    `portcullis: no advisory database at ${db}, and --offline downloads nothing: without a network: "portcullis db import DIR" (feeds downloaded elsewhere), or "portcullis db pull REF" (a signed database from a registry you can reach)\n`,
  );
  const skip = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--skip-db-update'], env);
  assert.equal(skip.code, 11, skip.stderr);
  assert.match(skip.stderr, /--skip-db-update downloads nothing: run "portcullis db update" \(or, without a network: "portcullis db import DIR"/);
  assert.equal(seen.length, 0);
  assert.equal(existsSync(db), false);
});

test('no network, no database: exit 11 with the real cause (ECONNREFUSED) and the way out; no file left', async () => {
  const db = join(dir, 'unreachable', 'advisories.sqlite');
  const r = await runCli(['scan', '--rootfs', rootfs, '--db', db], offlineEnv);
  assert.equal(r.code, 11, r.stderr);
  const last = r.stderr.trimEnd().split('\n').at(-1)!;
  assert.match(last, /^portcullis: no advisory database at .*, and it could not be downloaded: osv feed: cannot reach http:\/\/127\.0\.0\.1:\d+\/osv\/Go\/all\.zip: connect ECONNREFUSED 127\.0\.0\.1:\d+\. Without a network: "portcullis db import DIR" \(feeds downloaded elsewhere\), or "portcullis db pull REF" \(a signed database from a registry you can reach\), then scan with --offline$/);
  assert.equal(existsSync(db), false);
  assert.deepEqual(readdirSync(join(dir, 'unreachable')).filter((f) => f !== 'advisories.sqlite.downloads'), []);
});

test('refused connection with an old database: db update exits 5 and scan scans with it, the file byte-identical', async () => {
  const db = join(dir, 'keep', 'advisories.sqlite');
  assert.equal((await runCli(['scan', '--rootfs', rootfs, '--db', db, '-q', '--format', 'json'], env)).code, 0);
  age(db, 2);
  const bytes = readFileSync(db);
  const update = await runCli(['db', 'update', '--db', db, '--feeds', 'osv,alpine,debian,nvd'], offlineEnv);
  assert.equal(update.code, 5, update.stderr);
  assert.match(update.stderr, /^portcullis: osv feed: cannot reach \S+: connect ECONNREFUSED/);
  assert.ok(readFileSync(db).equals(bytes), 'db update left the database byte-identical');
  assert.equal(existsSync(`${db}-wal`) ? readFileSync(`${db}-wal`).length : 0, 0, 'and wrote nothing to a WAL');

  const r = await runCli(['scan', '--rootfs', rootfs, '--db', db, '--format', 'json'], offlineEnv);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /portcullis: warning: the advisory database could not be refreshed, scanning with the old one: osv feed: cannot reach \S+: connect ECONNREFUSED/);
  assert.ok(scanJson(r.stdout).warnings.some((w) => /older than 24h/.test(w)));
  assert.equal(scanJson(r.stdout).findings.length, 1);
  assert.ok(readFileSync(db).equals(bytes), 'the failed refresh left the database byte-identical');
});

test('a --db that is not a file (a device) is never downloaded over: exit 11 as before, no request', async () => {
  seen.length = 0;
  const r = await runCli(['scan', '--rootfs', rootfs, '--db', '/dev/null'], env);
  assert.equal(r.code, 11, r.stderr);
  assert.match(r.stderr, /^portcullis: no advisory database at \/dev\/null: /);
  assert.equal(seen.length, 0);
});
