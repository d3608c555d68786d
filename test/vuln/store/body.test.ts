/**
 * Schema v3 keeps each record whole as JSON beside the normalised tables;
 * reading from the body must give exactly what the tables give.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importPaths } from '../../../src/vuln/db.js';
import { SqliteAdvisoryStore } from '../../../src/vuln/store/sqlite.js';
import { VULNDATA } from '../../support/paths.js';

test('an advisory read from its body equals the one rebuilt from the tables', async () => {
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
  assert.equal(store.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM records WHERE body IS NULL').get()?.n, 0);
  store.db.exec('UPDATE records SET body = NULL');
  const fromTables = ids.map((id) => store.getRecords(id));
  assert.deepEqual(fromBody, fromTables);
  await store.close();
});
