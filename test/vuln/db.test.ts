import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { zipSync } from 'fflate';
import { HttpFetcher } from '../../src/http/index.js';
import { dbStatus, defaultDbPath, detectFileFormat, importPaths, openAdvisoryStore, update, DbError, type UpdateOptions } from '../../src/vuln/db.js';
import { VULNDATA } from '../support/paths.js';
import { startProxy } from '../support/proxy.js';

const GO_DIR = join(VULNDATA, 'osv/go-vulndb');
const GO_FILES = readdirSync(GO_DIR).filter((f) => f.endsWith('.json')).sort().slice(0, 400);
const ZIP = Buffer.from(zipSync(Object.fromEntries(GO_FILES.map((f) => [f, readFileSync(join(GO_DIR, f))]))));
const ALPINE = join(VULNDATA, 'alpine-secdb/json-format-samples/secdb.alpinelinux.org-layout');
const TRACKER = readFileSync(join(VULNDATA, 'debian-tracker/tracker-json/vunnel-fixture-debian.json'));
const NVD = (JSON.parse(readFileSync(join(VULNDATA, 'nvd/api-2.0-pages/vunnel-full-page.json'), 'utf8')) as { vulnerabilities: unknown[] }).vulnerabilities;

interface Seen { url: string; headers: IncomingHttpHeaders; status: number }
const state = { seen: [] as Seen[], cutZip: false, fail: undefined as string | undefined };
let server: Server;
let baseUrls: UpdateOptions['baseUrls'];

const ETAG = '"zip-v1"';
const LAST_MODIFIED = 'Wed, 20 Aug 2025 10:00:00 GMT';

function conditional(headers: IncomingHttpHeaders): boolean {
  return headers['if-none-match'] === ETAG || headers['if-modified-since'] === LAST_MODIFIED;
}

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    const done = (status: number) => state.seen.push({ url: req.url!, headers: req.headers, status });
    if (state.fail && url.pathname.startsWith(state.fail)) {
      done(500);
      res.writeHead(500).end('boom');
      return;
    }
    const serveFile = (body: Buffer, type: string) => {
      if (conditional(req.headers)) {
        done(304);
        res.writeHead(304, { etag: ETAG }).end();
        return;
      }
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (range && req.headers['if-range'] === ETAG) {
        const start = Number(range[1]);
        done(206);
        res.writeHead(206, { 'content-type': type, etag: ETAG, 'last-modified': LAST_MODIFIED, 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
        res.end(body.subarray(start));
        return;
      }
      done(200);
      res.writeHead(200, { 'content-type': type, etag: ETAG, 'last-modified': LAST_MODIFIED, 'content-length': body.length });
      if (state.cutZip && type === 'application/zip') {
        state.cutZip = false;
        // Cut the connection only once the client has had time to read the first half: a stream that
        // errors discards what it had queued, so a cut right after the write can leave nothing to resume.
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.destroy(), 500));
        return;
      }
      res.end(body);
    };
    const alpine: Record<string, string> = {
      '/alpine/': 'index.html', '/alpine/v3.11/': '311.html', '/alpine/v3.12/': '312.html', '/alpine/edge/': 'edge.html',
      '/alpine/v3.11/main.json': '311-main.json', '/alpine/v3.11/community.json': '311-community.json',
      '/alpine/v3.12/main.json': '312-main.json', '/alpine/v3.12/community.json': '312-community.json',
      '/alpine/edge/main.json': 'edge-main.json', '/alpine/edge/community.json': 'edge-community.json',
    };
    if (url.pathname === '/osv/Go/all.zip') return serveFile(ZIP, 'application/zip');
    if (alpine[url.pathname]?.endsWith('.html')) {
      done(200);
      res.writeHead(200, { 'content-type': 'text/html' }).end(readFileSync(join(ALPINE, alpine[url.pathname]!)));
      return;
    }
    if (alpine[url.pathname]) return serveFile(readFileSync(join(ALPINE, alpine[url.pathname]!)), 'application/json');
    if (url.pathname === '/debian/json') return serveFile(TRACKER, 'application/json');
    if (url.pathname === '/nvd') {
      const start = Number(url.searchParams.get('startIndex') ?? 0);
      const per = Number(url.searchParams.get('resultsPerPage') ?? 2000);
      const page = NVD.slice(start, start + per);
      done(200);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resultsPerPage: page.length, startIndex: start, totalResults: NVD.length, format: 'NVD_CVE', version: '2.0', timestamp: '2025-08-20T10:00:00.000', vulnerabilities: page }));
      return;
    }
    done(404);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  baseUrls = { osv: `${origin}/osv`, alpine: `${origin}/alpine/`, debian: `${origin}/debian/json`, nvd: `${origin}/nvd` };
});
/** Quick retries, and no proxy variables from the machine running the tests. */
const fetcher = new HttpFetcher({ retryBaseDelayMs: 10, env: {} });
after(async () => {
  server.close();
  await fetcher.close();
});

function opts(): UpdateOptions {
  // The Photon feed has its own loopback test (db-update-photon.test.ts).
  return { baseUrls: baseUrls!, feeds: ['osv', 'alpine', 'debian', 'nvd'], osvEcosystems: ['Go'], nvdResultsPerPage: 10, nvdDelayMs: 0, fetcher };
}

function snapshot(path: string) {
  const s = openAdvisoryStore(path);
  const r = { counts: s.rowCounts(), digest: s.contentDigest() };
  void s.close();
  return r;
}

test('defaultDbPath honours PORTCULLIS_DB and XDG_CACHE_HOME', () => {
  assert.equal(defaultDbPath({ PORTCULLIS_DB: '/x/y.sqlite' }), '/x/y.sqlite');
  assert.equal(defaultDbPath({ XDG_CACHE_HOME: '/c' }), '/c/portcullis/db/advisories.sqlite');
});

test('detectFileFormat tells the formats apart', async () => {
  assert.equal(await detectFileFormat(join(VULNDATA, 'osv/go-vulndb', GO_FILES[0]!)), 'osv');
  assert.equal(await detectFileFormat(join(VULNDATA, 'osv/pypi-pypa/requests/PYSEC-2023-74.yaml')), 'osv');
  assert.equal(await detectFileFormat(join(VULNDATA, 'alpine-secdb/yaml/v3.10/main.yaml')), 'alpine-secdb');
  assert.equal(await detectFileFormat(join(ALPINE, '311-main.json')), 'alpine-secdb');
  assert.equal(await detectFileFormat(join(VULNDATA, 'debian-tracker/tracker-json/vunnel-fixture-debian.json')), 'debian-tracker');
  assert.equal(await detectFileFormat(join(VULNDATA, 'nvd/vuln-list-per-cve/CVE-2021-3881.json')), 'nvd');
});

test('importPaths + dbStatus: per-feed counts, skipped records named, stale flag', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-db-'));
  try {
    const db = join(dir, 'a.sqlite');
    const r = await importPaths(db, [join(VULNDATA, 'osv/other-samples'), join(VULNDATA, 'nvd')]);
    assert.ok(r.skipped.some((s) => s.record.includes('nointroduced-CVE-2023-41045')));
    const s = await dbStatus(db, { maxAgeDays: 7 });
    assert.equal(s.stale, false);
    // distinct CVE ids in the NVD files, counted independently
    const ids = new Set<string>();
    for (const sub of readdirSync(join(VULNDATA, 'nvd'))) {
      for (const f of readdirSync(join(VULNDATA, 'nvd', sub))) {
        const doc = JSON.parse(readFileSync(join(VULNDATA, 'nvd', sub, f), 'utf8')) as { id?: string; vulnerabilities?: { cve: { id: string } }[] };
        for (const v of doc.vulnerabilities ?? []) ids.add(v.cve.id);
        if (doc.id) ids.add(doc.id);
      }
    }
    assert.equal(s.sources.find((x) => x.feed === 'nvd')!.advisories, ids.size);
    assert.ok(s.sources.find((x) => x.feed === 'osv')!.dataDate);
    const later = await dbStatus(db, { maxAgeDays: 7, now: new Date(Date.now() + 8 * 86_400_000) });
    assert.equal(later.stale, true);
    assert.equal((await dbStatus(join(dir, 'missing.sqlite'))).exists, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('update: download, then 304 with conditional headers and nothing re-imported; NVD paging', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-db-'));
  try {
    const db = join(dir, 'u.sqlite');
    state.seen = [];
    const first = await update(db, opts());
    assert.equal(first.notModified.length, 0);
    const store = openAdvisoryStore(db);
    const goIds = GO_FILES.map((f) => f.replace(/\.json$/, ''));
    const stored = store.db.prepare("SELECT COUNT(*) AS n FROM records WHERE feed = 'osv' AND id LIKE 'GO-%'").get() as { n: number };
    assert.equal(stored.n, goIds.length);
    const apache = await store.findAffected('Alpine:v3.11', 'apache2');
    assert.ok(apache.some((m) => m.advisory.id === 'ALPINE-CVE-2018-1333' && m.affected.fixed === '2.4.34-r0'));
    assert.equal((await store.byAlias('CVE-2016-1585')).length, 0);
    assert.ok((await store.getById('DEBIAN-CVE-2008-7220'))!.affected.some((a) => a.ecosystem === 'Debian:9'));
    const nvdRequests = state.seen.filter((s) => s.url.startsWith('/nvd'));
    assert.equal(nvdRequests.length, Math.ceil(NVD.length / 10));
    assert.equal((store.db.prepare("SELECT COUNT(*) AS n FROM records WHERE feed = 'nvd'").get() as { n: number }).n, NVD.length);
    await store.close();
    const before = snapshot(db);

    state.seen = [];
    const second = await update(db, opts());
    const zipReq = state.seen.find((s) => s.url === '/osv/Go/all.zip')!;
    assert.equal(zipReq.headers['if-none-match'], ETAG);
    assert.equal(zipReq.headers['if-modified-since'], LAST_MODIFIED);
    assert.equal(zipReq.status, 304);
    assert.equal(state.seen.find((s) => s.url === '/debian/json')!.status, 304);
    assert.ok(second.notModified.length >= 7);
    assert.equal(second.downloaded.length, 0);
    assert.equal(second.import.inserted, 0);
    assert.equal(second.import.updated, 0);
    assert.ok(state.seen.some((s) => s.url.includes('lastModStartDate=')), 'NVD is incremental the second time');
    assert.deepEqual(snapshot(db), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('update: a download cut mid-way fails, leaves the DB as it was, then resumes with a Range request', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-db-'));
  try {
    const db = join(dir, 'r.sqlite');
    await importPaths(db, [join(VULNDATA, 'nvd/vuln-list-per-cve')]);
    const before = snapshot(db);
    state.seen = [];
    state.cutZip = true;
    await assert.rejects(update(db, { ...opts(), feeds: ['osv'] }), (e: unknown) => e instanceof DbError && e.code === 'UPDATE_FAILED');
    assert.deepEqual(snapshot(db), before);
    state.seen = [];
    const r = await update(db, { ...opts(), feeds: ['osv'] });
    const zipReq = state.seen.find((s) => s.url === '/osv/Go/all.zip')!;
    assert.match(String(zipReq.headers.range), /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(String(zipReq.headers.range))![0]) > 0);
    assert.equal(zipReq.status, 206);
    assert.equal(r.import.inserted, GO_FILES.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('update: a server 500 mid-update leaves the previous DB intact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-db-'));
  try {
    const db = join(dir, 'f.sqlite');
    await update(db, { ...opts(), feeds: ['debian', 'nvd'] });
    const before = snapshot(db);
    state.fail = '/alpine/v3.12/main.json';
    try {
      await assert.rejects(update(db, { ...opts(), feeds: ['osv', 'alpine', 'debian'] }), (e: unknown) => e instanceof DbError && e.code === 'UPDATE_FAILED');
    } finally {
      state.fail = undefined;
    }
    assert.deepEqual(snapshot(db), before);
    const s = openAdvisoryStore(db);
    assert.equal((s.db.prepare("SELECT COUNT(*) AS n FROM records WHERE feed = 'osv'").get() as { n: number }).n, 0);
    await s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('update offline, first time: fails on the first unreachable feed naming ECONNREFUSED, and leaves no database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-db-'));
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  try {
    const db = join(dir, 'offline.sqlite');
    const nowhere = `http://127.0.0.1:${port}`;
    const offline = { ...opts(), baseUrls: { osv: `${nowhere}/osv`, alpine: `${nowhere}/alpine/`, debian: `${nowhere}/debian/json`, nvd: `${nowhere}/nvd` } };
    await assert.rejects(update(db, offline), (e: unknown) => {
      assert.ok(e instanceof DbError && e.code === 'UPDATE_FAILED', String(e));
      assert.match(e.message, new RegExp(`osv feed: cannot reach ${nowhere}/osv/Go/all.zip: .*ECONNREFUSED`));
      return true;
    });
    assert.equal(existsSync(db), false, 'no database file');
    assert.deepEqual(readdirSync(dir), [], 'no WAL, no download directory');
    assert.equal((await dbStatus(db)).exists, false);
    // With a database already there, the same failure leaves it exactly as it was.
    await importPaths(db, [join(VULNDATA, 'nvd/vuln-list-per-cve')]);
    const before = snapshot(db);
    await assert.rejects(update(db, offline), (e: unknown) => e instanceof DbError && /ECONNREFUSED/.test(e.message));
    assert.deepEqual(snapshot(db), before);
    // A failed first import leaves no database either.
    const fresh = join(dir, 'fresh.sqlite');
    await assert.rejects(importPaths(fresh, [join(dir, 'missing-dir')]), (e: unknown) => e instanceof DbError && e.code === 'INPUT_MISSING');
    assert.equal(existsSync(fresh), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('update goes through HTTP_PROXY when the environment names one (the feeds host is reachable only through it)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-db-'));
  const proxy = await startProxy();
  try {
    const db = join(dir, 'proxied.sqlite');
    const port = new URL(baseUrls!.osv!).port;
    const viaProxy = `http://feeds.invalid:${port}`;
    const r = await update(db, {
      ...opts(),
      fetcher: undefined,
      env: { HTTP_PROXY: proxy.url },
      feeds: ['osv', 'debian'],
      baseUrls: { osv: `${viaProxy}/osv`, debian: `${viaProxy}/debian/json` },
    });
    assert.equal(r.import.inserted > GO_FILES.length, true);
    assert.deepEqual(proxy.log.map((e) => `${e.method} ${e.target}`), [`GET ${viaProxy}/osv/Go/all.zip`, `GET ${viaProxy}/debian/json`]);
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
