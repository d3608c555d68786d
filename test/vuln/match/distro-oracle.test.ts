/**
 * Oracle Linux end to end through the database: `db update --feeds oracle`
 * against a loopback server serving the `.xml.bz2` (conditional requests;
 * an unreachable server names its cause), `db import` of the same file, and
 * matching an Oracle Linux inventory: the vulnerable build yields its ELSA
 * with the fixed version and Oracle's rating, the fixed one nothing, ksplice
 * and fips builds only their own fixes, and per-arch fixes by architecture.
 * A scan is complete with the feed in the database and incomplete without.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Finding, Inventory, Package } from '../../../src/core/index.js';
import { HttpFetcher } from '../../../src/http/index.js';
import { DbError, importPaths, openAdvisoryStore, update } from '../../../src/vuln/db.js';
import { distroEcosystems, matchInventory } from '../../../src/vuln/match/index.js';
import { scanTarget } from '../../../src/engine/scan.js';
import { REPO_ROOT, VULNDATA } from '../../support/paths.js';

const BZ2 = join(REPO_ROOT, 'test/vuln/sources/fixtures/oracle/elsa-sample.xml.bz2');
const OL8 = { id: 'ol', versionId: '8.10', prettyName: 'Oracle Linux Server 8.10', path: 'etc/os-release' };
const OL9 = { id: 'ol', versionId: '9.4', path: 'etc/os-release' };

let dir: string;
let origin: string;
const requests: { path: string; ifNoneMatch?: string; status: number }[] = [];
const server = createServer((req, res) => {
  const body = readFileSync(BZ2);
  const etag = '"elsa-1"';
  if (req.url !== '/security/oval/com.oracle.elsa-all.xml.bz2') {
    requests.push({ path: req.url ?? '', status: 404 });
    res.writeHead(404).end();
    return;
  }
  const status = req.headers['if-none-match'] === etag ? 304 : 200;
  requests.push({ path: req.url, ...(req.headers['if-none-match'] ? { ifNoneMatch: req.headers['if-none-match'] } : {}), status });
  if (status === 304) res.writeHead(304, { etag }).end();
  else res.writeHead(200, { etag, 'content-type': 'application/x-bzip2', 'last-modified': 'Fri, 12 Apr 2024 00:00:00 GMT' }).end(body);
});
const fetcher = new HttpFetcher({ retryBaseDelayMs: 10, env: {} });
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-oracle-'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.close();
  await fetcher.close();
  rmSync(dir, { recursive: true, force: true });
});

function rpm(name: string, version: string, arch: string): Package {
  return { name, version, arch, ecosystem: 'rpm', purl: `pkg:rpm/oracle/${name}@${version}?arch=${arch}`, foundBy: 'rpm', path: 'var/lib/rpm/rpmdb.sqlite', source: { name } };
}

async function match(db: string, os: Inventory['os'], packages: Package[]): Promise<Finding[]> {
  const store = openAdvisoryStore(db);
  try {
    const warnings: string[] = [];
    const findings = await matchInventory({ ...(os ? { os } : {}), packages, ownedFiles: [], warnings: [] }, store, { onWarning: (w) => warnings.push(w) });
    assert.deepEqual(warnings, []);
    return findings;
  } finally {
    await store.close();
  }
}
const summary = (fs: readonly Finding[]): string[] => fs.map((f) => `${f.package.name} ${f.package.arch ?? ''} ${f.id} fixed ${f.fixedVersion ?? '-'} ${f.severity}/${f.severitySource}`);

test('db update --feeds oracle: downloads the .xml.bz2, imports it, then asks again with If-None-Match and imports nothing', async () => {
  const db = join(dir, 'update.sqlite');
  const url = `${origin}/security/oval/com.oracle.elsa-all.xml.bz2`;
  const first = await update(db, { feeds: ['oracle'], baseUrls: { oracle: url }, fetcher });
  assert.deepEqual(first.downloaded, [url]);
  assert.equal(first.import.inserted, 5);
  assert.deepEqual(first.import.inputs.map((i) => i.format), ['oracle-oval']);
  assert.deepEqual(first.import.skipped.map((s) => s.reason), ['test oval:com.oracle.elsa:tst:20241005999 is not in the file']);
  const second = await update(db, { feeds: ['oracle'], baseUrls: { oracle: url }, fetcher });
  assert.deepEqual(second.downloaded, []);
  assert.deepEqual(second.notModified, [url]);
  assert.deepEqual(requests.slice(-2).map((r) => [r.ifNoneMatch, r.status]), [[undefined, 200], ['"elsa-1"', 304]]);
  const store = openAdvisoryStore(db);
  try {
    const oracle = (await store.sources()).find((s) => s.feed === 'oracle-oval');
    assert.equal(oracle?.advisories, 5);
    assert.equal(oracle?.dataDate, '2024-04-12T00:00:00.000Z');
  } finally {
    await store.close();
  }
});

test('db update --feeds oracle with the server unreachable: UPDATE_FAILED naming the URL and ECONNREFUSED, no database', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const nowhere = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/com.oracle.elsa-all.xml.bz2`;
  await new Promise<void>((r) => closed.close(() => r()));
  const db = join(dir, 'offline.sqlite');
  await assert.rejects(update(db, { feeds: ['oracle'], baseUrls: { oracle: nowhere }, fetcher }), (e: unknown) => {
    assert.ok(e instanceof DbError);
    assert.equal(e.code, 'UPDATE_FAILED');
    assert.match(e.message, new RegExp(`^oracle feed: cannot reach ${nowhere.replaceAll('.', '\\.')}: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+$`));
    return true;
  });
  assert.throws(() => readFileSync(db));
});

test('matching Oracle Linux 8 and 9: the ELSA with its fixed version and Oracle\'s rating; fixed builds, other flavours and arches stay clean', async () => {
  const db = join(dir, 'import.sqlite');
  const imported = await importPaths(db, [BZ2]);
  assert.equal(imported.inserted, 5);
  const ol8 = await match(db, OL8, [
    rpm('openssl-libs', '1:1.1.1k-9.el8', 'x86_64'), // below the fix: ELSA-2024-1001 (two CVEs: named by the ELSA)
    rpm('openssl', '1:1.1.1k-12.el8_9', 'x86_64'), // the fix itself: nothing
    rpm('openssl-devel', '1:1.1.1k-10.ksplice1.el8_9', 'x86_64'), // a ksplice build: judged only by the ksplice ELSA
    rpm('rsyslog', '8.2102.0-15.el8_9.1', 'x86_64'), // the x86_64 fix: nothing
    rpm('rsyslog-gnutls', '8.2102.0-15.el8_9.1', 'aarch64'), // the same build on aarch64 is below its respin
    rpm('gnutls', '3.6.16-7.el8', 'x86_64'), // an ordinary gnutls is not judged by the fips fix
    rpm('gnutls-utils', '3.6.16-7.el8_fips', 'x86_64'),
  ]);
  assert.deepEqual(summary(ol8), [
    'openssl-libs x86_64 ELSA-2024-1001 fixed 1:1.1.1k-12.el8_9 HIGH/oracle',
    'rsyslog-gnutls aarch64 CVE-2022-24903 fixed 8.2102.0-15.el8_9.2 MEDIUM/oracle',
  ]);
  assert.deepEqual(ol8[0]!.aliases, ['CVE-2023-5678', 'CVE-2024-0727']);
  assert.equal(ol8[0]!.primaryUrl, 'https://linux.oracle.com/errata/ELSA-2024-1001.html');
  assert.deepEqual(ol8[1]!.aliases, ['ELSA-2024-1002']);

  // The ksplice fix judges ksplice builds (the ksplice ELSA names openssl and openssl-libs).
  const ksplice = await match(db, OL8, [rpm('openssl-libs', '1:1.1.1k-10.ksplice1.el8_9', 'x86_64')]);
  assert.deepEqual(summary(ksplice), ['openssl-libs x86_64 CVE-2024-0727 fixed 1:1.1.1k-12.ksplice1.el8_9 HIGH/oracle']);

  // One ELSA for two releases: each release its own fix.
  assert.deepEqual(summary(await match(db, OL9, [rpm('zlib', '1.2.11-39.el9', 'x86_64')])), ['zlib x86_64 CVE-2018-25032 fixed 1.2.11-40.el9 LOW/oracle']);
  assert.deepEqual(summary(await match(db, OL9, [rpm('zlib', '1.2.11-40.el9', 'x86_64')])), []);
});

test('ecosystems asked for an Oracle Linux package: its flavour, and its own architecture or (noarch) every one', () => {
  assert.deepEqual(distroEcosystems(OL8), ['Oracle Linux:8']);
  assert.deepEqual(distroEcosystems(OL8, rpm('bash', '4.4.20-4.el8', 'x86_64')), ['Oracle Linux:8', 'Oracle Linux:8:x86_64']);
  assert.deepEqual(distroEcosystems(OL8, rpm('glibc', '2.28-236.0.1.el8.ksplice1', 'aarch64')), ['Oracle Linux:8:ksplice', 'Oracle Linux:8:ksplice:aarch64']);
  assert.deepEqual(distroEcosystems(OL8, rpm('openssl', '1:1.1.1k-7.el8_fips', 'x86_64')), ['Oracle Linux:8:fips', 'Oracle Linux:8:fips:x86_64']);
  const noarch = distroEcosystems(OL8, rpm('tzdata', '2024a-1.el8', 'noarch'));
  assert.ok(noarch.includes('Oracle Linux:8:x86_64') && noarch.includes('Oracle Linux:8:aarch64') && noarch[0] === 'Oracle Linux:8', noarch.join());
  assert.deepEqual(distroEcosystems({ id: 'ol', path: 'etc/os-release' }), []);
});

test('scan of an Oracle Linux inventory: complete with the feed in the database, incomplete (naming the feed) without it', async () => {
  const inventory: Inventory = { os: OL8, packages: [rpm('openssl-libs', '1:1.1.1k-9.el8', 'x86_64'), rpm('bash', '4.4.20-4.el8', 'x86_64')], ownedFiles: [], warnings: [] };
  const withFeed = join(dir, 'scan-with.sqlite');
  await importPaths(withFeed, [BZ2]);
  const without = join(dir, 'scan-without.sqlite');
  await importPaths(without, [join(VULNDATA, 'osv/distro-samples/rocky')]);
  for (const [db, incomplete] of [
    [withFeed, undefined],
    [without, ['match: the advisory database has no Oracle Linux advisories (ELSA) for Oracle Linux:8, Oracle Linux:8:x86_64, so its 2 OS packages were not matched: run "portcullis db update --feeds oracle"']],
  ] as const) {
    const store = openAdvisoryStore(db);
    try {
      const { result } = await scanTarget({ kind: 'inventory', name: 'ol8', inventory }, { store });
      assert.deepEqual(result.incomplete, incomplete, db);
      assert.deepEqual(result.findings.map((f) => f.id), db === withFeed ? ['ELSA-2024-1001'] : [], db);
    } finally {
      await store.close();
    }
  }
});
