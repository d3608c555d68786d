/**
 * `db update`'s amazon feed against a loopback server laid out like Amazon's
 * CDN: mirror.list → repository → repodata/repomd.xml → the updateinfo it
 * names (fixtures written here in Amazon's format). What is proved: the walk
 * and the import, conditional requests (304: nothing re-imported), the
 * fallback to the next repository, an unreachable list or repository failing
 * with its exact cause and no database left, a document that does not match
 * repomd.xml's checksum refused, a location outside the repository refused,
 * and the same through the CLI (`--feeds amazon --amazon-url`, exit 0 / 5).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HttpFetcher } from '../../src/http/index.js';
import { DbError, openAdvisoryStore, update, type UpdateOptions } from '../../src/vuln/db.js';
import { locationUrl, mirrorUrls } from '../../src/vuln/db/amazon.js';
import { runCli } from '../support/cli.js';
import { startStub, type Stub } from '../support/http-stub.js';
import { REPO_ROOT } from '../support/paths.js';

const FIXTURES = join(REPO_ROOT, 'test/vuln/sources/fixtures/amazon');
const AL2023_GZ = gzipSync(readFileSync(join(FIXTURES, 'al2023-updateinfo.xml')));
const AL2_GZ = gzipSync(readFileSync(join(FIXTURES, 'al2-updateinfo.xml')));
const REPOMD = readFileSync(join(FIXTURES, 'repomd.xml'), 'utf8');
const ETAG = '"updateinfo-1"';
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** What the server answers; tests change it and put it back. */
const site = {
  /** The href and checksum each repomd.xml announces (by repository path). */
  repomd: new Map<string, { href: string; sha: string }>(),
  /** Plain answers by path: the mirror lists, and whatever a test wants served as is. */
  texts: new Map<string, string>(),
};
let stub: Stub;
let closed: string;
const fetcher = new HttpFetcher({ retryBaseDelayMs: 10, env: {} });

function resetSite(): void {
  const o = stub.url;
  site.texts = new Map([
    ['/al2023/mirror.list', `${o}/al2023/guids/5e4f/x86_64/\n`],
    ['/al2/mirror.list', `# Amazon Linux 2 core\n\n${o}/al2/core/2.0/x86_64/c7a1/\n`],
  ]);
  site.repomd = new Map([
    ['/al2023/guids/5e4f/x86_64/', { href: `repodata/${sha256(AL2023_GZ).slice(0, 16)}-updateinfo.xml.gz`, sha: sha256(AL2023_GZ) }],
    ['/al2/core/2.0/x86_64/c7a1/', { href: 'repodata/updateinfo.xml.gz', sha: sha256(AL2_GZ) }],
  ]);
}

before(async () => {
  stub = await startStub((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    const text = site.texts.get(path);
    if (text !== undefined) return void res.writeHead(200, { 'content-type': 'text/plain' }).end(text);
    for (const [repo, info] of site.repomd) {
      if (path === `${repo}repodata/repomd.xml`) {
        const body = REPOMD.replace('@UPDATEINFO_HREF@', info.href).replace('@UPDATEINFO_SHA256@', info.sha).replace('@UPDATEINFO_SIZE@', '1');
        return void res.writeHead(200, { 'content-type': 'text/xml' }).end(body);
      }
      if (path === `${repo}${info.href}`) {
        if (req.headers['if-none-match'] === ETAG) return void res.writeHead(304, { etag: ETAG }).end();
        const body = repo.startsWith('/al2023') ? AL2023_GZ : AL2_GZ;
        return void res.writeHead(200, { 'content-type': 'application/gzip', etag: ETAG, 'last-modified': 'Thu, 18 Jan 2024 19:02:00 GMT', 'content-length': body.length }).end(body);
      }
    }
    res.writeHead(404).end();
  });
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closed = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise<void>((r) => server.close(() => r()));
  resetSite();
});
after(async () => {
  await stub.close();
  await fetcher.close();
});

function opts(lists: readonly string[]): UpdateOptions {
  return { feeds: ['amazon'], baseUrls: { amazon: lists.join(',') }, fetcher };
}

function tempDb(t: { after(fn: () => void): void }): { dir: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-amazon-db-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, db: join(dir, 'advisories.sqlite') };
}

test('mirror.list → repomd.xml → updateinfo: imported; the second update is conditional (304) and imports nothing', async (t) => {
  resetSite();
  const { db } = tempDb(t);
  const lists = [`${stub.url}/al2023/mirror.list`, `${stub.url}/al2/mirror.list`];
  stub.requests.length = 0;
  const first = await update(db, opts(lists));
  const al2023Info = `${stub.url}/al2023/guids/5e4f/x86_64/${site.repomd.get('/al2023/guids/5e4f/x86_64/')!.href}`;
  const al2Info = `${stub.url}/al2/core/2.0/x86_64/c7a1/repodata/updateinfo.xml.gz`;
  assert.deepEqual(first.downloaded, [al2023Info, al2Info]);
  assert.equal(first.import.inserted, 7);
  assert.deepEqual(stub.requests.map((r) => r.url), [
    '/al2023/mirror.list', '/al2023/guids/5e4f/x86_64/repodata/repomd.xml', new URL(al2023Info).pathname,
    '/al2/mirror.list', '/al2/core/2.0/x86_64/c7a1/repodata/repomd.xml', '/al2/core/2.0/x86_64/c7a1/repodata/updateinfo.xml.gz',
  ]);
  const store = openAdvisoryStore(db);
  try {
    assert.deepEqual((await store.findAffected('Amazon Linux:2023', 'openssl-libs')).map((m) => m.affected.fixed), ['1:3.0.8-1.amzn2023.0.12']);
    assert.deepEqual((await store.findAffected('Amazon Linux:2', 'vim-minimal')).map((m) => m.advisory.id), ['ALAS2-2024-2431']);
    const source = (await store.sources()).find((s) => s.feed === 'amazon-updateinfo');
    assert.equal(source?.dataDate, '2024-02-01T12:00:00Z', 'the newest <updated> date');
    assert.ok(source?.lastImport);
  } finally {
    await store.close();
  }

  stub.requests.length = 0;
  const second = await update(db, opts(lists));
  const conditional = stub.requests.filter((r) => r.url.endsWith('updateinfo.xml.gz'));
  assert.deepEqual(conditional.map((r) => r.headers['if-none-match']), [ETAG, ETAG]);
  assert.deepEqual(second.notModified, [al2023Info, al2Info]);
  assert.deepEqual(second.downloaded, []);
  assert.deepEqual([second.import.inserted, second.import.updated], [0, 0]);
});

test('an unreachable mirror.list or repository fails with its cause and leaves no database; the next repository is tried', async (t) => {
  resetSite();
  const { dir, db } = tempDb(t);
  await assert.rejects(update(db, opts([`${closed}/al2023/mirror.list`])), (e: unknown) => {
    assert.ok(e instanceof DbError && e.code === 'UPDATE_FAILED', String(e));
    assert.match(e.message, new RegExp(`^Amazon Linux mirror\\.list: cannot reach ${closed}/al2023/mirror\\.list: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+$`));
    return true;
  });
  site.texts.set('/dead/mirror.list', `${closed}/al2023/guids/5e4f/x86_64/\n`);
  await assert.rejects(update(db, opts([`${stub.url}/dead/mirror.list`])), (e: unknown) => {
    assert.ok(e instanceof DbError && e.code === 'UPDATE_FAILED', String(e));
    assert.match(
      e.message,
      new RegExp(`^amazon feed: no repository of ${stub.url}/dead/mirror\\.list gave a usable repomd\\.xml: Amazon Linux repomd\\.xml: cannot reach ${closed}/al2023/guids/5e4f/x86_64/repodata/repomd\\.xml: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+$`),
    );
    return true;
  });
  assert.equal(existsSync(db), false);
  assert.deepEqual(readdirSync(dir), [], 'no database, WAL or download directory');

  // The first repository is down, the second answers: as yum and Trivy do, the next one is used.
  site.texts.set('/dead/mirror.list', `${closed}/al2023/guids/5e4f/x86_64/\n${stub.url}/al2023/guids/5e4f/x86_64/\n`);
  const r = await update(db, opts([`${stub.url}/dead/mirror.list`]));
  assert.equal(r.import.inserted, 5);
});

test('an updateinfo that does not match repomd.xml\'s checksum, or lies outside the repository, is refused', async (t) => {
  resetSite();
  const { db } = tempDb(t);
  const repo = '/al2023/guids/5e4f/x86_64/';
  const good = site.repomd.get(repo)!;
  site.repomd.set(repo, { ...good, sha: 'a'.repeat(64) });
  try {
    await assert.rejects(update(db, opts([`${stub.url}/al2023/mirror.list`])), (e: unknown) => {
      assert.ok(e instanceof DbError && e.code === 'UPDATE_FAILED', String(e));
      assert.equal(e.message, `amazon feed: ${stub.url}${repo}${good.href} has sha256 ${good.sha}, not the ${'a'.repeat(64)} repomd.xml announces; not imported`);
      return true;
    });
    assert.equal(existsSync(db), false);
    site.repomd.set(repo, { ...good, href: '../../../elsewhere/updateinfo.xml.gz' });
    await assert.rejects(update(db, opts([`${stub.url}/al2023/mirror.list`])), (e: unknown) => {
      assert.ok(e instanceof DbError && e.code === 'UPDATE_FAILED', String(e));
      assert.equal(e.message, `amazon feed: ${stub.url}${repo}repodata/repomd.xml names an updateinfo outside the repository ("../../../elsewhere/updateinfo.xml.gz"); refused`);
      return true;
    });
  } finally {
    site.repomd.set(repo, good);
  }
  assert.equal(locationUrl('https://cdn.example/al2023/x86_64/', 'repodata/u.xml.gz'), 'https://cdn.example/al2023/x86_64/repodata/u.xml.gz');
  assert.equal(locationUrl('https://cdn.example/al2023/x86_64', 'repodata/u.xml.gz'), 'https://cdn.example/al2023/x86_64/repodata/u.xml.gz');
  assert.equal(locationUrl('https://cdn.example/al2023/x86_64/', 'https://evil.example/u.xml.gz'), undefined);
  assert.equal(locationUrl('https://cdn.example/al2023/x86_64/', '/u.xml.gz'), undefined);
  assert.deepEqual(mirrorUrls('# c\n\nhttps://a.example/r/\nftp://b.example/r/\n  http://c.example/r  \n'), ['https://a.example/r/', 'http://c.example/r']);
});

test('a repomd.xml that is not one names the repository and what it got', async (t) => {
  resetSite();
  const { db } = tempDb(t);
  site.texts.set('/html/mirror.list', `${stub.url}/html/repo/\n`);
  // The stub answers 404 for the repomd.xml of an unknown repository.
  await assert.rejects(update(db, opts([`${stub.url}/html/mirror.list`])), (e: unknown) => {
    assert.ok(e instanceof DbError && e.code === 'UPDATE_FAILED', String(e));
    assert.match(e.message, new RegExp(`^amazon feed: no repository of ${stub.url}/html/mirror\\.list gave a usable repomd\\.xml: Amazon Linux repomd\\.xml: .*404.* ${stub.url}/html/repo/repodata/repomd\\.xml`));
    return true;
  });
  site.texts.set('/html/repo/repodata/repomd.xml', '<html><body>maintenance</body></html>');
  await assert.rejects(update(db, opts([`${stub.url}/html/mirror.list`])), (e: unknown) => {
    assert.ok(e instanceof DbError && e.code === 'UPDATE_FAILED', String(e));
    assert.equal(e.message, `amazon feed: no repository of ${stub.url}/html/mirror.list gave a usable repomd.xml: ${stub.url}/html/repo/repodata/repomd.xml: not a repomd.xml document (the root element is <html>)`);
    return true;
  });
});

test('the CLI: db update --feeds amazon --amazon-url imports (exit 0); an unreachable list exits 5 with its cause', async (t) => {
  resetSite();
  const { db } = tempDb(t);
  const env = { HTTPS_PROXY: '', HTTP_PROXY: '', https_proxy: '', http_proxy: '', NO_PROXY: '' };
  const ok = await runCli(['db', 'update', '--db', db, '--feeds', 'amazon', '--amazon-url', `${stub.url}/al2023/mirror.list,${stub.url}/al2/mirror.list`, '-q', '--format', 'json'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { inserted: number }).inserted, 7);
  const viaEnv = await runCli(['db', 'update', '--db', db, '--feeds', 'amazon', '-q'], { ...env, PORTCULLIS_AMAZON_URL: `${stub.url}/al2023/mirror.list` });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  const down = await runCli(['db', 'update', '--db', db, '--feeds', 'amazon', '--amazon-url', `${closed}/al2023/mirror.list`, '-q'], env);
  assert.equal(down.code, 5, down.stderr);
  assert.match(down.stderr, new RegExp(`^portcullis: Amazon Linux mirror\\.list: cannot reach ${closed}/al2023/mirror\\.list: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+\\n$`));
  const bad = await runCli(['db', 'update', '--db', db, '--feeds', 'amazon,amzn'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--feeds takes a comma list of .*\bamazon\b.*, not "amzn"/);
});
