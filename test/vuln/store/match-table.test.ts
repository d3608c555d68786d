/**
 * Schema v5's match table and the kept status counts: a v4 database is
 * matched correctly read-only (from the joined tables) and migrated to the
 * same match rows a fresh import writes; matching loads only the advisories
 * of vulnerable packages, and merges every entry of those (a vendor's "fixed"
 * still outranks an upstream "affected"); the counts an import keeps always equal a live
 * count (writes remove them, a rolled-back write leaves them as they were).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Advisory, Inventory } from '../../../src/core/index.js';
import { importPaths } from '../../../src/vuln/db.js';
import { matchInventory } from '../../../src/vuln/match/index.js';
import { SCHEMA_VERSION, SqliteAdvisoryStore } from '../../../src/vuln/store/sqlite.js';
import { COUNTS_META } from '../../../src/vuln/store/status.js';
import type { AffectedQuery } from '../../../src/vuln/store/store.js';
import { VULNDATA } from '../../support/paths.js';
import { advisory } from './advisory-contract.js';

const SOURCES = [join(VULNDATA, 'osv', 'rustsec'), join(VULNDATA, 'alpine-secdb', 'yaml', 'v3.10'), join(VULNDATA, 'nvd', 'api-2.0-pages')];

const matchRows = (db: Database.Database): unknown[] => db.prepare('SELECT record, ord, ecosystem, package, advisory, withdrawn, ranges, versions, fixed, status, source_record, purl FROM match_entries ORDER BY record, ord').all();
const kept = (store: SqliteAdvisoryStore): string | undefined => store.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(COUNTS_META)?.value;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-match-table-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a v4 database: matched the same read-only (joined tables), migrated on a writable open to the match rows an import writes', () =>
  withDir(async (dir) => {
    const db = join(dir, 'advisories.sqlite');
    await importPaths(db, SOURCES);
    const fresh = new SqliteAdvisoryStore(db, { readonly: true });
    assert.equal(SCHEMA_VERSION, 6);
    const rows = matchRows(fresh.db);
    assert.ok(rows.length > 500, `${rows.length} match rows`);
    const names = fresh.db.prepare<[], AffectedQuery>('SELECT DISTINCT ecosystem, package AS name FROM affected ORDER BY 1, 2').all();
    const entries = await fresh.findEntriesBatch(names, { includeWithdrawn: true });
    const live = await fresh.status();
    await fresh.close();

    // What a v4 database is: the same tables without match_entries (and without kept counts).
    const raw = new Database(db);
    raw.exec('DROP TABLE match_entries; DROP TABLE record_facts');
    raw.prepare('DELETE FROM meta WHERE key = ?').run(COUNTS_META);
    raw.pragma('user_version = 4');
    raw.close();

    const old = new SqliteAdvisoryStore(db, { readonly: true });
    assert.equal(old.db.pragma('user_version', { simple: true }), 4);
    assert.deepEqual(await old.findEntriesBatch(names, { includeWithdrawn: true }), entries, 'read-only v4: same entries from the joined tables');
    assert.deepEqual(await old.status(), { ...live, schemaVersion: 4 }, 'counted live');
    await old.close();

    const migrated = new SqliteAdvisoryStore(db);
    assert.equal(migrated.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.deepEqual(matchRows(migrated.db), rows, 'the migration fills the table with exactly the rows an import writes');
    assert.deepEqual(await migrated.findEntriesBatch(names, { includeWithdrawn: true }), entries);
    await migrated.close();
  }));

/** A crates.io advisory for `name`, fixed in 1.0.0 (the contract's record shape). */
function crateAdvisory(id: string, name: string): Advisory {
  return advisory(id, {
    modified: '2026-01-01T00:00:00Z',
    affected: [{ ecosystem: 'crates.io', name, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }], status: 'fixed', sourceRecord: id }],
  });
}

test('kept counts: an import keeps them, every write removes them first, a rollback restores them; status always equals a live count', () =>
  withDir(async (dir) => {
    const db = join(dir, 'advisories.sqlite');
    await importPaths(db, SOURCES);
    const store = new SqliteAdvisoryStore(db);
    try {
      const liveStatus = async (): Promise<unknown> => {
        const value = kept(store);
        store.db.prepare('DELETE FROM meta WHERE key = ?').run(COUNTS_META);
        const status = await store.status();
        if (value !== undefined) store.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(COUNTS_META, value);
        return status;
      };
      assert.ok(kept(store), 'the import kept the counts');
      const before = await store.status();
      assert.deepEqual(before, await liveStatus());
      assert.ok(before.advisories > 100);

      // A write outside a transaction removes them: the status counts live, so it is never stale.
      await store.upsert(crateAdvisory('TEST-0001', 'test-crate'));
      assert.equal(kept(store), undefined);
      const one = await store.status();
      assert.equal(one.advisories, before.advisories + 1);
      assert.equal(one.affected, before.affected + 1);

      // A transaction that writes keeps fresh counts at its commit.
      await store.transaction(async () => store.upsert(crateAdvisory('TEST-0002', 'test-crate')));
      assert.ok(kept(store));
      const two = await store.status();
      assert.equal(two.advisories, before.advisories + 2);
      assert.deepEqual(two, await liveStatus());

      // One that throws after a write leaves the kept counts as they were.
      const keptBefore = kept(store);
      await assert.rejects(
        store.transaction(async () => {
          store.upsertSync(crateAdvisory('TEST-0003', 'test-crate'));
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(kept(store), keptBefore);
      assert.deepEqual(await store.status(), two);

      // Malformed kept counts are not believed.
      store.db.prepare('UPDATE meta SET value = ? WHERE key = ?').run('{"advisories":-1}', COUNTS_META);
      assert.deepEqual(await store.status(), two);
    } finally {
      await store.close();
    }
  }));

test('matching loads the advisories of vulnerable packages only, by id, after judging the entries', () =>
  withDir(async (dir) => {
    const db = join(dir, 'advisories.sqlite');
    const writer = new SqliteAdvisoryStore(db);
    await writer.transaction(async () => {
      writer.upsertSync(crateAdvisory('TEST-0001', 'test-crate'));
      writer.upsertSync(crateAdvisory('TEST-0002', 'other-crate'));
    });
    await writer.close();
    const store = new SqliteAdvisoryStore(db, { readonly: true });
    const asked: string[] = [];
    const spy = {
      findAffected: store.findAffected.bind(store),
      getById: store.getById.bind(store),
      findEntriesBatch: store.findEntriesBatch.bind(store),
      getByIds: (ids: readonly string[]) => {
        for (const id of ids) asked.push(id);
        return store.getByIds(ids);
      },
    };
    const inventory = (version: string): Inventory => ({
      packages: ['test-crate', 'other-crate'].map((name, i) => ({ name, version, ecosystem: 'cargo' as const, purl: `pkg:cargo/${name}@${version}`, foundBy: 'test', path: `p/${i}` })),
      ownedFiles: [],
      warnings: [],
    });
    try {
      assert.deepEqual(await matchInventory(inventory('1.0.0'), spy), []);
      assert.deepEqual(asked, [], 'nothing vulnerable: no advisory loaded');
      const findings = await matchInventory(inventory('0.9.0'), spy);
      assert.deepEqual(findings.map((f) => f.id).sort(), ['TEST-0001', 'TEST-0002']);
      assert.deepEqual([...asked].sort(), ['TEST-0001', 'TEST-0002']);
    } finally {
      await store.close();
    }
  }));

test('a vulnerable package is merged with all its entries: the tracker saying "fixed" outranks a DSA saying "affected"', () =>
  withDir(async (dir) => {
    const db = join(dir, 'advisories.sqlite');
    const entry = (sourceRecord: string, fixed: string) => ({
      ecosystem: 'Debian:12',
      name: 'foo',
      ranges: [{ type: 'ECOSYSTEM' as const, events: [{ introduced: '0' }, { fixed }] }],
      status: 'fixed' as const,
      sourceRecord,
    });
    const base = { aliases: [], upstream: [], severities: [], references: [], modified: '2026-01-01T00:00:00Z' };
    const writer = new SqliteAdvisoryStore(db);
    await writer.transaction(async () => {
      writer.upsertSync({ ...base, id: 'CVE-2024-0001', feed: 'debian-tracker', scope: 'foo', affected: [entry('debian-tracker:foo', '1.0-2')] });
      writer.upsertSync({ ...base, id: 'DSA-0001-1', feed: 'osv', scope: '', aliases: ['CVE-2024-0001'], affected: [entry('DSA-0001-1', '1.1-1')] });
    });
    await writer.close();
    const inventory = (version: string): Inventory => ({
      os: { id: 'debian', versionId: '12', path: 'etc/os-release' },
      packages: [{ name: 'libfoo1', version, ecosystem: 'debian', purl: `pkg:deb/debian/libfoo1@${version}`, foundBy: 'test', path: 'var/lib/dpkg/status', source: { name: 'foo', version } }],
      ownedFiles: [],
      warnings: [],
    });
    const store = new SqliteAdvisoryStore(db, { readonly: true });
    try {
      // The tracker's backported fix decides: 1.0-2 is fixed although the DSA's range still covers it.
      assert.deepEqual(await matchInventory(inventory('1.0-2'), store), []);
      const below = await matchInventory(inventory('1.0-1'), store);
      assert.deepEqual(below.map((f) => [f.id, f.aliases, f.fixedVersion, f.evidence.feed]), [['CVE-2024-0001', ['DSA-0001-1'], '1.0-2', 'debian-tracker']]);
    } finally {
      await store.close();
    }
  }));
