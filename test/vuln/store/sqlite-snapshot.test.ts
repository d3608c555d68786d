/**
 * Read snapshots on the SQLite store (sqlite-snapshot.ts), beyond the
 * contract (snapshot-contract.ts): the store's memos do not outlive another
 * process's commit into a snapshot (a reader that remembered an id as absent
 * made the next match fail with "the advisory database changed during
 * matching"; the same store without snapshots still fails that way, closed);
 * callers sharing one store object share its one read transaction (each
 * reads one state, a commit by another process meanwhile unseen by both);
 * an import transaction on a store object with a snapshot open is refused,
 * and a snapshot inside an import transaction reads that transaction.
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

test('callers sharing one store object share its read transaction: each reads one state, whatever commits meanwhile', () =>
  withFiles(async (writer, path) => {
    const reader = new SqliteAdvisoryStore(path, { readonly: true });
    try {
      const counted = (r: { status(): Promise<{ advisories: number }> }): Promise<number> => r.status().then((x) => x.advisories);
      let second: Promise<number[]> | undefined;
      const first = reader.readSnapshot(async (r) => {
        const before = await counted(r);
        await writer.transaction(() => writer.upsert(advisory('PYSEC-9'))); // another connection commits
        // Another caller on the same store object starts now, after the commit, while this snapshot is open.
        second = reader.readSnapshot(async (r2) => {
          const a = await counted(r2);
          await sleep(20);
          return [a, await counted(r2)];
        });
        await sleep(5);
        return [before, await counted(r)];
      });
      assert.deepEqual(await first, [1, 1], 'the first snapshot reads the state from before the commit throughout');
      assert.deepEqual(await second, [1, 1], 'the one that joined it reads that same state throughout');
      assert.equal(reader.db.inTransaction, false, 'the last one to end closed the read transaction');
      assert.equal(await reader.readSnapshot(counted), 2, 'the next snapshot sees the commit');
    } finally {
      await reader.close();
    }
  }));

test('on one store object an import transaction is refused while a snapshot is open; a snapshot inside an import reads its state', () =>
  withFiles(async (writer) => {
    await assert.rejects(
      writer.readSnapshot(() => writer.transaction(() => writer.upsert(advisory('PYSEC-8')))),
      { code: 'TRANSACTION_NESTED', message: /read snapshot is open/ },
    );
    assert.equal(writer.db.inTransaction, false);
    assert.equal((await writer.status()).advisories, 1, 'nothing was written');
    const seen = await writer.transaction(async () => {
      await writer.upsert(advisory('PYSEC-8'));
      return writer.readSnapshot(async (r) => (await r.getFactsByIds!(['PYSEC-8'])).get('PYSEC-8')?.id);
    });
    assert.equal(seen, 'PYSEC-8');
    assert.equal((await writer.status()).advisories, 2);
  }));
