/**
 * Read snapshots on the SQLite store (sqlite-snapshot.ts), beyond the
 * contract (snapshot-contract.ts): the store's memos do not outlive another
 * process's commit into a snapshot (a reader that remembered an id as absent
 * made the next match fail with "the advisory database changed during
 * matching"; the same store without snapshots still fails that way, closed);
 * callers sharing one store object take the connection in turns (a second
 * snapshot, or an import transaction, waits for the first instead of failing
 * on a nested BEGIN or reading inside it).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Inventory } from '../../../src/core/index.js';
import { matchInventory, type MatchStore } from '../../../src/vuln/match/index.js';
import { SqliteAdvisoryStore } from '../../../src/vuln/store/sqlite.js';
import { advisory } from './advisory-contract.js';

const INVENTORY: Inventory = {
  packages: [{ name: 'requests', version: '1.0', ecosystem: 'pypi', purl: 'pkg:pypi/requests@1.0', foundBy: 'test', path: 'app/requirements.txt' }],
  ownedFiles: [],
  warnings: [],
};

async function withFiles(body: (writer: SqliteAdvisoryStore, path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-sqlite-snapshot-'));
  const path = join(dir, 'advisories.sqlite');
  const writer = new SqliteAdvisoryStore(path);
  try {
    await writer.transaction(() => writer.upsert(advisory('PYSEC-1', { affected: [] })));
    await body(writer, path);
  } finally {
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The store's own lookups, without `readSnapshot`: a store that offers no snapshots. */
const withoutSnapshots = (store: SqliteAdvisoryStore): MatchStore => ({
  findAffected: (e, n, o) => store.findAffected(e, n, o),
  getById: (id) => store.getById(id),
  findEntriesBatch: (q, o) => store.findEntriesBatch(q, o),
  getFactsByIds: (ids) => store.getFactsByIds(ids),
  ecosystemsWithEntries: (e) => store.ecosystemsWithEntries(e),
});

test('a snapshot forgets what the store remembered before another process committed; without one the match fails closed', () =>
  withFiles(async (writer, path) => {
    for (const snapshots of [true, false]) {
      const reader = new SqliteAdvisoryStore(path, { readonly: true });
      try {
        const id = snapshots ? 'PYSEC-2' : 'PYSEC-3';
        assert.equal((await reader.getFactsByIds([id])).get(id), undefined, 'remembered as absent');
        await writer.transaction(() => writer.upsert(advisory(id)));
        if (snapshots) {
          const findings = await matchInventory(INVENTORY, reader);
          assert.deepEqual(findings.map((f) => f.fixedVersion), ['2.0']);
          assert.match(JSON.stringify(findings[0]), new RegExp(id));
        } else {
          await assert.rejects(matchInventory(INVENTORY, withoutSnapshots(reader)), /advisory PYSEC-3 has no record: the advisory database changed during matching; scan again/);
        }
      } finally {
        await reader.close();
      }
    }
  }));

test('callers sharing one store object take the connection in turns: snapshots and an import transaction wait, none reads inside another', () =>
  withFiles(async (writer) => {
    const order: string[] = [];
    const inSnapshot = (name: string) =>
      writer.readSnapshot(async (r) => {
        order.push(`${name} start`);
        const before = (await r.status()).advisories;
        await sleep(20); // a real wait inside: the other callers run meanwhile
        const after = (await r.status()).advisories;
        order.push(`${name} end`);
        return [before, after];
      });
    const first = inSnapshot('a');
    const importing = writer.transaction(async () => {
      order.push('import start');
      await writer.upsert(advisory('PYSEC-9'));
      await sleep(20);
      order.push('import end');
    });
    const [a, , b] = await Promise.all([first, importing, inSnapshot('b')]);
    assert.deepEqual(order, ['a start', 'a end', 'import start', 'import end', 'b start', 'b end']);
    assert.deepEqual(a, [1, 1], 'a read before the import, whole');
    assert.deepEqual(b, [2, 2], 'b read after its commit');
    assert.equal(writer.db.inTransaction, false);
  }));
