/**
 * Records whose JSON body is their facts row plus their affected rows are
 * stored with a NULL body and read back by rebuilding it (src/vuln/store/body.ts).
 * On every advisory of ../shared/vulndata's RustSec, PyPA, Go, GHSA, distro,
 * Alpine and NVD samples, the store must answer exactly what the same
 * database with every body present (an "old" database) answers, the content
 * digest must be the same, a push/pull round trip must still verify, and
 * portcullis of schema v6 (which reads a NULL body from the tables) must
 * read the new file alike. Records whose rebuild could differ keep their body.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Advisory } from '../../../src/core/index.js';
import { pullDb, pushDb } from '../../../src/engine/db-artifact.js';
import { importPaths } from '../../../src/vuln/db.js';
import { storedForm } from '../../../src/vuln/store/records.js';
import { SqliteAdvisoryStore } from '../../../src/vuln/store/sqlite.js';
import { VULNDATA } from '../../support/paths.js';

const SOURCES = [
  join(VULNDATA, 'osv', 'rustsec'),
  join(VULNDATA, 'osv', 'pypi-pypa'),
  join(VULNDATA, 'osv', 'go-vulndb'),
  join(VULNDATA, 'osv', 'ghsa-samples'),
  join(VULNDATA, 'osv', 'distro-samples'),
  join(VULNDATA, 'alpine-secdb', 'yaml'),
  join(VULNDATA, 'nvd', 'api-2.0-pages'),
];

let dir = '';
let bodyless = '';
/** The same database with every body present, as portcullis wrote it before bodies could be NULL. */
let withBodies = '';
/** The new database as schema v6 code reads it: a NULL body from the tables. */
let asV6Reads = '';
let ids: string[] = [];

const count = (store: SqliteAdvisoryStore, where: string): number => store.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM records WHERE ${where}`).get()!.n;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-bodyless-'));
  bodyless = join(dir, 'bodyless.sqlite');
  withBodies = join(dir, 'bodies.sqlite');
  asV6Reads = join(dir, 'v6.sqlite');
  await importPaths(bodyless, SOURCES);
  const store = new SqliteAdvisoryStore(bodyless);
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  ids = store.db.prepare<[], { id: string }>('SELECT DISTINCT id FROM records ORDER BY id').all().map((r) => r.id);
  await store.close();
  await copyFile(bodyless, withBodies);
  await copyFile(bodyless, asV6Reads);
  // The tables path (no facts row, no body) is independent of the rebuild: its records, serialised, are the bodies.
  const v6 = new SqliteAdvisoryStore(asV6Reads);
  v6.db.exec('DELETE FROM record_facts WHERE record IN (SELECT pk FROM records WHERE body IS NULL)');
  const rows = v6.db.prepare<[], { pk: number; id: string; feed: string; scope: string }>('SELECT pk, id, feed, scope FROM records WHERE body IS NULL').all();
  const bodies = rows.map((r) => {
    const record = v6.getRecords(r.id).find((a) => a.feed === r.feed && a.scope === r.scope)!;
    return [r.pk, JSON.stringify(record)] as const;
  });
  await v6.close();
  const full = new SqliteAdvisoryStore(withBodies);
  const set = full.db.prepare('UPDATE records SET body = ? WHERE pk = ?');
  full.db.transaction(() => {
    for (const [pk, body] of bodies) set.run(body, pk);
  })();
  assert.equal(count(full, 'body IS NULL'), 0);
  await full.close();
});

after(() => rm(dir, { recursive: true, force: true }));

async function answers(path: string): Promise<unknown> {
  const store = new SqliteAdvisoryStore(path, { readonly: true });
  try {
    const one = await Promise.all(ids.slice(0, 3000).map((id) => store.getById(id)));
    // A second store: getByIds must load, not answer from getById's memo.
    const fresh = new SqliteAdvisoryStore(path, { readonly: true });
    const many = await fresh.getByIds(ids);
    await fresh.close();
    const aliased = await Promise.all(ids.filter((_, i) => i % 7 === 0).map((id) => store.byAlias(id)));
    const records = ids.filter((_, i) => i % 5 === 0).map((id) => store.getRecords(id));
    const facts = await store.getFactsByIds(ids);
    return { one, many, aliased, records, facts };
  } finally {
    await store.close();
  }
}

test('an import stores nearly every body as NULL; the rest keep theirs', async () => {
  const store = new SqliteAdvisoryStore(bodyless, { readonly: true });
  const total = count(store, '1');
  const nulls = count(store, 'body IS NULL');
  await store.close();
  assert.ok(ids.length > 5000, `${ids.length} ids`);
  assert.ok(nulls > total * 0.99, `${nulls} of ${total} bodies NULL`);
});

test('getById, getByIds, byAlias, getRecords and getFactsByIds answer as with every body present, and as schema v6 code reads the file', async () => {
  const expected = await answers(withBodies);
  assert.deepEqual(await answers(bodyless), expected);
  assert.deepEqual(await answers(asV6Reads), expected);
});

test('the content digest is the one of the database with its bodies', () => {
  const a = new SqliteAdvisoryStore(bodyless, { readonly: true });
  const b = new SqliteAdvisoryStore(withBodies, { readonly: true });
  try {
    assert.equal(a.contentDigest(), b.contentDigest());
    assert.notDeepEqual(a.db.prepare('SELECT body FROM records ORDER BY pk').all(), b.db.prepare('SELECT body FROM records ORDER BY pk').all());
  } finally {
    void a.close();
    void b.close();
  }
});

test('db push and db pull: the pulled database verifies and answers the same', async () => {
  const layout = `oci:${join(dir, 'layout')}:db`;
  await pushDb(bodyless, layout, {});
  const pulled = join(dir, 'pulled.sqlite');
  await pullDb(layout, pulled, {});
  const a = new SqliteAdvisoryStore(pulled, { readonly: true });
  const b = new SqliteAdvisoryStore(withBodies, { readonly: true });
  try {
    assert.equal(a.contentDigest(), b.contentDigest());
  } finally {
    await a.close();
    await b.close();
  }
  assert.deepEqual(await answers(pulled), await answers(withBodies));
});

/** A record; `affected` and `extra` may hold values of the wrong type on purpose (hostile input). */
function record(id: string, affected: Record<string, unknown>, extra: Record<string, unknown> = {}): Advisory {
  return {
    id,
    feed: 'osv',
    scope: '',
    aliases: ['CVE-2099-0001'],
    upstream: [],
    summary: 'sum',
    severities: [{ source: 'osv', severity: 'HIGH', cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 } }],
    references: [{ type: 'WEB', url: 'https://example.test/a' }],
    modified: '2024-01-01T00:00:00Z',
    affected: [{ ecosystem: 'npm', name: 'left-pad', ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }], fixed: '1.0.1', status: 'fixed', sourceRecord: id, ...affected }],
    ...extra,
  } as Advisory;
}

test('a record whose rebuild, or whose reading by schema v6 code, could differ keeps its body and reads back as stored', async () => {
  const path = join(dir, 'kept.sqlite');
  const store = new SqliteAdvisoryStore(path);
  const cases: [Advisory, boolean][] = [
    [record('GHSA-plain', {}), true],
    [record('GHSA-nul', { name: 'a\u0000b' }), true],
    [record('GHSA-surrogate', { name: 'left-pad\ud800' }), false],
    [record('GHSA-null-fixed', { fixed: null }), false],
    [record('GHSA-number-status', { status: 7 }), false],
    [record('GHSA-null-summary', {}, { summary: null }), false],
    [record('GHSA-nan-score', {}, { severities: [{ source: 'osv', severity: 'HIGH', cvss: { version: '3.1', vector: 'v', score: Number.NaN } }] }), false],
    [record('GHSA-surrogate-alias', {}, { aliases: ['CVE-\udc00'] }), false],
  ];
  for (const [advisory] of cases) await store.upsert(advisory);
  for (const [advisory, bodyless] of cases) {
    const body = store.db.prepare<[string], { body: string | null }>('SELECT body FROM records WHERE id = ?').get(advisory.id)!.body;
    assert.equal(body === null, bodyless, `${advisory.id}: body ${body === null ? 'NULL' : 'kept'}`);
    assert.deepEqual(store.getRecords(advisory.id), [JSON.parse(JSON.stringify(storedForm(advisory)))], advisory.id);
  }
  await store.close();
});
