/**
 * Schema v3 keeps each record whole as JSON beside the normalised tables;
 * since bodies can be NULL (src/vuln/store/body.ts) an import stores the
 * body only when its facts and affected rows do not give it back, and
 * reading rebuilds the others. Either way, reading must give exactly what
 * the tables give (the path for records written before v3, and how
 * portcullis of schema v6 reads a NULL body).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importPaths } from '../../../src/vuln/db.js';
import { SqliteAdvisoryStore } from '../../../src/vuln/store/sqlite.js';
import { VULNDATA } from '../../support/paths.js';

test('an advisory read from its stored or rebuilt body equals the one read from the tables', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-body-'));
  const db = join(dir, 'advisories.sqlite');
  await importPaths(db, [
    join(VULNDATA, 'osv', 'ghsa-samples'),
    join(VULNDATA, 'osv', 'distro-samples'),
    join(VULNDATA, 'alpine-secdb', 'yaml', 'v3.10'),
    join(VULNDATA, 'debian-tracker', 'tracker-json'),
    join(VULNDATA, 'nvd', 'api-2.0-pages'),
  ]);
  const store = new SqliteAdvisoryStore(db);
  const ids = store.db.prepare<[], { id: string }>('SELECT DISTINCT id FROM records ORDER BY id').all().map((r) => r.id);
  assert.ok(ids.length > 100, `only ${ids.length} records imported`);
  const fromBody = ids.map((id) => store.getRecords(id));
  const bodies = store.db.prepare<[], { stored: number; rebuilt: number }>('SELECT COUNT(body) AS stored, COUNT(*) - COUNT(body) AS rebuilt FROM records').get()!;
  assert.ok(bodies.rebuilt > 100 * bodies.stored, `${bodies.rebuilt} bodies rebuilt, ${bodies.stored} stored`);
  store.db.exec('DELETE FROM record_facts; UPDATE records SET body = NULL');
  const fromTables = ids.map((id) => store.getRecords(id));
  assert.deepEqual(fromBody, fromTables);
  await store.close();
});
