/**
 * EOL data: the bundled file names its sources and review date; the refresh
 * reads the endoflife.date API format from a loopback server and writes the
 * cache copy that lint then uses; failures keep the old data; data over a
 * year old makes lint say so.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BUNDLED_EOL_DATA, eolCachePath, eolDataAgeWarning, loadEolData, parseEndoflifeCycles, refreshEolData, supportEnd } from '../../../src/hygiene/eol.js';
import { HygieneError } from '../../../src/hygiene/errors.js';
import { dir, lintSpec, osRelease } from './support.js';

/** Answers like endoflife.date: /api/{product}.json → array of cycles; others 404; counts requests. */
const requests: string[] = [];
let server: Server;
let base: string;
const API: Record<string, unknown[]> = {
  alpine: [
    { cycle: '3.23', releaseDate: '2025-12-03', eol: '2027-11-01', latest: '3.23.0', lts: false },
    { cycle: '3.10', releaseDate: '2019-06-19', eol: '2021-05-01', latest: '3.10.9', lts: false },
  ],
  debian: [{ cycle: '12', codename: 'Bookworm', releaseDate: '2023-06-10', eol: '2026-06-10', extendedSupport: '2028-06-30', latest: '12.12', lts: false }],
  nodejs: [{ cycle: '24', releaseDate: '2025-05-06', eol: '2028-04-30', lts: '2025-10-28', latest: '24.1.0' }],
};

before(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const m = /^\/api\/([a-z0-9-]+)\.json$/.exec(req.url ?? '');
    const body = m ? API[m[1]!] : undefined;
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('the bundled data names its sources (endoflife.date and the vendor) and its review date for every product', () => {
  assert.match(BUNDLED_EOL_DATA.reviewed, /^\d{4}-\d{2}-\d{2}$/);
  for (const id of ['alpine', 'debian', 'ubuntu', 'rhel', 'rocky', 'almalinux', 'amzn', 'nodejs', 'python', 'go', 'java']) {
    const p = BUNDLED_EOL_DATA.products[id];
    assert.ok(p, id);
    assert.ok(p.sources.some((s) => s.startsWith(`https://endoflife.date/${p.endoflifeDate}`)), `${id}: endoflife.date source`);
    assert.ok(p.sources.some((s) => !s.startsWith('https://endoflife.date/')), `${id}: vendor source`);
    assert.ok(p.cycles.length > 0, id);
  }
  assert.equal(supportEnd(BUNDLED_EOL_DATA, 'debian', '11')?.date, '2026-08-31', 'Debian LTS counts');
  assert.equal(supportEnd(BUNDLED_EOL_DATA, 'ubuntu', '20.04')?.date, '2025-05-29', 'paid ESM does not');
  assert.equal(supportEnd(BUNDLED_EOL_DATA, 'alpine', '3.19.4')?.cycle.cycle, '3.19');
  assert.equal(supportEnd(BUNDLED_EOL_DATA, 'alpine', '4.0'), undefined);
});

test('refreshEolData reads the endoflife.date API format from a loopback server and writes the cache copy lint uses', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'portcullis-eol-'));
  requests.length = 0;
  const result = await refreshEolData({ baseUrl: base, cacheDir, products: ['alpine', 'debian', 'nodejs', 'go'], now: new Date('2027-01-05T00:00:00Z') });
  assert.deepEqual(requests.sort(), ['/api/alpine.json', '/api/debian.json', '/api/go.json', '/api/nodejs.json']);
  assert.deepEqual(result.refreshed, ['alpine', 'debian', 'nodejs']);
  assert.deepEqual(result.failed.map((f) => f.product), ['go']);
  assert.match(result.failed[0]!.reason, /HTTP 404/);
  assert.equal(result.path, eolCachePath({ cacheDir }));
  const loaded = await loadEolData({ cacheDir });
  assert.equal(loaded.from, result.path);
  assert.equal(loaded.data.reviewed, '2027-01-05');
  assert.equal(loaded.data.refreshedFrom, base);
  assert.deepEqual(loaded.data.products.alpine!.cycles.map((c) => c.cycle), ['3.23', '3.10']);
  assert.equal(loaded.data.products.debian!.cycles[0]!.extendedSupport, '2028-06-30');
  assert.equal(loaded.data.products.nodejs!.cycles[0]!.lts, true, 'an LTS start date means lts');
  assert.deepEqual(loaded.data.products.go!.cycles, BUNDLED_EOL_DATA.products.go!.cycles, 'a failed product keeps its previous cycles');
  assert.deepEqual(loaded.data.products.alpine!.sources, BUNDLED_EOL_DATA.products.alpine!.sources, 'sources are kept');
  // lint uses the refreshed copy: Alpine 3.23 is known now.
  const image = { layers: [[dir('etc'), osRelease('alpine', '3.23.0')]] };
  const before = await lintSpec(image, { eol: { data: BUNDLED_EOL_DATA, from: 'bundled', warnings: [] } });
  assert.match(before.warnings.join('\n'), /EOL data has no release 3\.23\.0 of Alpine Linux/);
  const after = await lintSpec(image, { eol: loaded, now: new Date('2027-09-15T00:00:00Z'), config: { staleDays: 1000 } });
  assert.deepEqual(after.findings.map((f) => `${f.ruleId} ${f.message}`), ['image/eol-soon Alpine Linux 3.23 loses security support on 2027-11-01, in 47 days (os-release: etc/os-release)']);
});

test('refresh: nothing downloadable → EOL_REFRESH_FAILED and nothing written; a broken cache copy falls back to the bundled data', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'portcullis-eol-'));
  await assert.rejects(refreshEolData({ baseUrl: base, cacheDir, products: ['go', 'python'] }), (e: unknown) => e instanceof HygieneError && e.code === 'EOL_REFRESH_FAILED');
  assert.equal((await loadEolData({ cacheDir })).from, 'bundled');
  await writeFile(join(cacheDir, 'eol', 'eol.json'), '{"schemaVersion": 1}').catch(async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(cacheDir, 'eol'), { recursive: true });
    await writeFile(join(cacheDir, 'eol', 'eol.json'), '{"schemaVersion": 1}');
  });
  const loaded = await loadEolData({ cacheDir });
  assert.equal(loaded.from, 'bundled');
  assert.match(loaded.warnings[0]!, /unusable .*reviewed is not a YYYY-MM-DD date/);
  assert.throws(() => parseEndoflifeCycles('{"cycle":"1"}', 'x'), /not a JSON array/);
  assert.throws(() => parseEndoflifeCycles('[{"cycle":"1"}]', 'x'), /no usable cycles/);
  assert.equal(JSON.parse(await readFile(join(cacheDir, 'eol', 'eol.json'), 'utf8')).schemaVersion, 1);
});

test('lint says when its EOL data is over a year old', async () => {
  const old = { ...BUNDLED_EOL_DATA, reviewed: '2024-12-01' };
  assert.equal(eolDataAgeWarning(old, new Date('2025-11-30T00:00:00Z')), undefined, '364 days is not over a year');
  const result = await lintSpec({ layers: [[dir('etc'), osRelease('alpine', '3.22.0')]] }, { eol: { data: old, from: 'bundled', warnings: [] } });
  assert.deepEqual(result.warnings, [
    "the bundled EOL data was last reviewed 2024-12-01, 405 days ago (over a year): end-of-life findings may be missing or wrong; run 'portcullis db update' to refresh it",
  ]);
});
