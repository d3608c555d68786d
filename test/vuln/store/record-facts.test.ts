/**
 * Schema v6's facts table: each record without its affected entries, which
 * is what matching loads of an advisory. `getFactsByIds` must give exactly
 * `getByIds` without `affected` and `withdrawn` (merged over every record of
 * an id), whatever the database: written by an import, migrated from v5,
 * opened read-only at v5, holding records written before schema v3 (no JSON
 * body), or after a record was updated.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Advisory } from '../../../src/core/index.js';
import { importPaths } from '../../../src/vuln/db.js';
import { SCHEMA_VERSION, SqliteAdvisoryStore } from '../../../src/vuln/store/sqlite.js';
import type { AdvisoryFacts } from '../../../src/vuln/store/store.js';
import { VULNDATA } from '../../support/paths.js';

// Alpine secdb gives ids of several records (one per branch and repository); NVD and OSV give CVE records to merge.
const SOURCES = [join(VULNDATA, 'osv', 'rustsec'), join(VULNDATA, 'osv', 'ghsa-samples'), join(VULNDATA, 'alpine-secdb', 'yaml'), join(VULNDATA, 'nvd', 'api-2.0-pages')];

async function withDb(fn: (db: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-facts-'));
  try {
    const db = join(dir, 'advisories.sqlite');
    await importPaths(db, SOURCES);
    await fn(db);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const allIds = (store: SqliteAdvisoryStore): string[] => store.db.prepare<[], { id: string }>('SELECT DISTINCT id FROM records ORDER BY id').all().map((r) => r.id);
const factsRows = (db: Database.Database): unknown[] => db.prepare('SELECT record, facts FROM record_facts ORDER BY record').all();

/** What `getFactsByIds` must give: the merged advisory without its entries and its withdrawn mark. */
function expectedFacts(advisories: Map<string, Advisory | undefined>): Map<string, AdvisoryFacts | undefined> {
  return new Map(
    [...advisories].map(([id, a]) => {
      if (!a) return [id, undefined];
      const { affected: _affected, withdrawn: _withdrawn, ...facts } = a;
      return [id, facts];
    }),
  );
}

async function factsAndFull(path: string, ids: readonly string[]): Promise<[Map<string, AdvisoryFacts | undefined>, Map<string, AdvisoryFacts | undefined>]> {
  const store = new SqliteAdvisoryStore(path, { readonly: true });
  try {
    return [await store.getFactsByIds(ids), expectedFacts(await store.getByIds(ids))];
  } finally {
    await store.close();
  }
}

test('getFactsByIds is getByIds without the entries, for every id (merged records, absent ids, duplicates asked)', () =>
  withDb(async (db) => {
    const probe = new SqliteAdvisoryStore(db, { readonly: true });
    const ids = allIds(probe);
    const multi = probe.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM (SELECT id FROM records GROUP BY id HAVING COUNT(*) > 1)').get()!.n;
    await probe.close();
    assert.ok(ids.length > 1000 && multi > 100, `${ids.length} ids, ${multi} of several records`);
    const asked = [...ids, 'CVE-0000-0000', ids[0]!];
    const [facts, full] = await factsAndFull(db, asked);
    assert.equal(facts.size, ids.length + 1);
    assert.equal(facts.get('CVE-0000-0000'), undefined);
    assert.deepEqual(facts, full);
  }));

test('a v5 database: the same facts read-only (from the records), migrated on a writable open to the rows an import writes', () =>
  withDb(async (db) => {
    const probe = new SqliteAdvisoryStore(db, { readonly: true });
    assert.equal(SCHEMA_VERSION, 6);
    const ids = allIds(probe);
    const rows = factsRows(probe.db);
    assert.equal(rows.length, probe.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM records').get()!.n, 'one facts row per record');
    const facts = await probe.getFactsByIds(ids);
    await probe.close();

    // A real v5 database holds every body (NULL bodies came with v6 code): put them back first.
    const withBodies = new SqliteAdvisoryStore(db);
    const set = withBodies.db.prepare('UPDATE records SET body = ? WHERE pk = ?');
    for (const r of withBodies.db.prepare<[], { pk: number; id: string; feed: string; scope: string }>('SELECT pk, id, feed, scope FROM records WHERE body IS NULL').all()) {
      set.run(JSON.stringify(withBodies.getRecords(r.id).find((a) => a.feed === r.feed && a.scope === r.scope)), r.pk);
    }
    await withBodies.close();
    const raw = new Database(db);
    raw.exec('DROP TABLE record_facts');
    raw.pragma('user_version = 5');
    raw.close();
    const [v5, v5full] = await factsAndFull(db, ids);
    assert.deepEqual(v5, facts, 'read-only v5: the same facts');
    assert.deepEqual(v5full, facts);

    const migrated = new SqliteAdvisoryStore(db);
    assert.equal(migrated.db.pragma('user_version', { simple: true }), 6);
    assert.deepEqual(factsRows(migrated.db), rows, 'the migration writes byte for byte the facts an import writes');
    await migrated.close();
    assert.deepEqual((await factsAndFull(db, ids))[0], facts);
  }));

test('records without a JSON body (written before schema v3) and updated records give their facts too', () =>
  withDb(async (db) => {
    const store = new SqliteAdvisoryStore(db);
    const ids = allIds(store);
    const before = await store.getFactsByIds(ids);
    // Records of before v3: no body, so no facts row; the facts come from the tables.
    store.db.exec("DELETE FROM record_facts WHERE record IN (SELECT pk FROM records WHERE feed = 'alpine-secdb' OR id LIKE 'RUSTSEC-%'); UPDATE records SET body = NULL WHERE feed = 'alpine-secdb' OR id LIKE 'RUSTSEC-%'");
    await store.close();
    const [old, oldFull] = await factsAndFull(db, ids);
    assert.deepEqual(old, before);
    assert.deepEqual(oldFull, before);

    // An update replaces the record's facts (and writes them for a record that had none).
    const writer = new SqliteAdvisoryStore(db);
    const id = ids.find((x) => x.startsWith('RUSTSEC-'))!;
    const [record] = writer.getRecords(id);
    await writer.upsert({ ...record!, summary: 'a new summary', modified: '2099-01-01T00:00:00Z' });
    const after = await writer.getFactsByIds([id]);
    assert.equal(after.get(id)?.summary, 'a new summary');
    await writer.close();
    const [facts, full] = await factsAndFull(db, [id]);
    assert.equal(facts.get(id)?.summary, 'a new summary');
    assert.deepEqual(facts, full);
  }));
