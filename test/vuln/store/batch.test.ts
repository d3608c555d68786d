/**
 * The batch lookups answer exactly what the one-by-one lookups answer, and a
 * first import (lookup indexes dropped and rebuilt inside its transaction)
 * ends, or fails, with every index in place.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AffectedMatch } from '../../../src/core/index.js';
import { importPaths } from '../../../src/vuln/db.js';
import { SqliteAdvisoryStore } from '../../../src/vuln/store/sqlite.js';
import { VULNDATA } from '../../support/paths.js';

const indexes = (store: SqliteAdvisoryStore): string[] =>
  store.db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").all().map((r) => r.name);

const INDEXES = ['affected_package', 'affected_record', 'aliases_alias', 'aliases_record', 'match_entries_package', 'match_entries_record', 'refs_record', 'severities_record'];

test('findAffectedBatch and getByIds equal findAffected and getById; a first import rebuilds its indexes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-batch-'));
  const db = join(dir, 'advisories.sqlite');
  try {
    await importPaths(db, [join(VULNDATA, 'osv', 'rustsec'), join(VULNDATA, 'alpine-secdb', 'yaml', 'v3.10'), join(VULNDATA, 'nvd', 'api-2.0-pages')]);
    const probe = new SqliteAdvisoryStore(db, { readonly: true });
    assert.deepEqual(indexes(probe), INDEXES);
    const names = probe.db.prepare<[], { ecosystem: string; package: string }>('SELECT DISTINCT ecosystem, package FROM affected ORDER BY 1, 2').all();
    const ids = probe.db.prepare<[], { id: string }>("SELECT DISTINCT alias AS id FROM aliases WHERE alias LIKE 'CVE-%' ORDER BY 1 LIMIT 300").all().map((r) => r.id);
    await probe.close();
    assert.ok(names.length > 100);
    const queries = [...names.map((n) => ({ ecosystem: n.ecosystem, name: n.package })), { ecosystem: 'crates.io', name: 'not-in-the-db' }, { ecosystem: names[0]!.ecosystem, name: names[0]!.package }];

    const batch = new SqliteAdvisoryStore(db, { readonly: true });
    const one = new SqliteAdvisoryStore(db, { readonly: true });
    try {
      const answers = await batch.findAffectedBatch(queries);
      assert.equal(answers.length, queries.length);
      for (const [i, q] of queries.entries()) assert.deepEqual(answers[i], await one.findAffected(q.ecosystem, q.name), `${q.ecosystem} ${q.name}`);
      const withdrawn = await batch.findAffectedBatch(queries, { includeWithdrawn: true });
      for (const [i, q] of queries.entries()) assert.deepEqual(withdrawn[i], await one.findAffected(q.ecosystem, q.name, { includeWithdrawn: true }));
      // The match table answers the same entries in the same order, naming each advisory by id.
      const entries = await batch.findEntriesBatch(queries);
      const entriesWithdrawn = await batch.findEntriesBatch(queries, { includeWithdrawn: true });
      for (const [i, q] of queries.entries()) {
        const strip = (matches: readonly AffectedMatch[]) => matches.map((m) => ({ advisoryId: m.advisory.id, affected: m.affected }));
        assert.deepEqual(entries[i], strip(answers[i]!), `${q.ecosystem} ${q.name}`);
        assert.deepEqual(entriesWithdrawn[i], strip(withdrawn[i]!), `${q.ecosystem} ${q.name} (withdrawn included)`);
      }
      assert.ok(entriesWithdrawn.flat().length > entries.flat().length, 'the sample has withdrawn entries, left out unless asked');
      const byIds = await batch.getByIds([...ids, 'CVE-0000-0000']);
      for (const id of [...ids, 'CVE-0000-0000']) assert.deepEqual(byIds.get(id), await one.getById(id), id);
    } finally {
      await batch.close();
      await one.close();
    }

    // A first import that fails leaves the empty database with its indexes.
    const fresh = join(dir, 'fresh.sqlite');
    await assert.rejects(importPaths(fresh, [join(VULNDATA, 'osv', 'rustsec'), join(dir, 'missing')]));
    const after = new SqliteAdvisoryStore(fresh);
    assert.equal(after.rowCounts().records, 0);
    assert.deepEqual(indexes(after), INDEXES);
    await after.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
