/**
 * The advisory store contract: what every implementation of AdvisoryStore
 * (SQLite, PostgreSQL) must do the same way. Upserts are idempotent (same
 * content or an older `modified`: unchanged); records of one id merge; the
 * lookups answer in the same order and leave withdrawn advisories out; a
 * transaction commits whole or not at all, and a second reader sees the old
 * data until the commit. CISA KEV and EPSS: exploit-contract.ts; read
 * snapshots: snapshot-contract.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Advisory, AffectedPackage } from '../../../src/core/index.js';
import type { AdvisoryReader, AdvisoryStore } from '../../../src/vuln/store/store.js';
import { exploitContract } from './exploit-contract.js';
import { snapshotContract } from './snapshot-contract.js';

export interface ContractStores {
  /** A fresh, empty store to write to. */
  readonly store: AdvisoryStore;
  /** Another reader on the same data (another process's view). */
  reader(): Promise<AdvisoryReader>;
  cleanup(): Promise<void>;
}

const entry = (name: string, fixed: string, sourceRecord: string, ecosystem = 'PyPI'): AffectedPackage => ({
  ecosystem,
  name,
  ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
  fixed,
  status: 'affected',
  sourceRecord,
});

export const advisory = (id: string, overrides: Partial<Advisory> = {}): Advisory => ({
  id,
  feed: 'osv',
  scope: '',
  aliases: [],
  upstream: [],
  severities: [],
  references: [],
  modified: '2024-01-01T00:00:00Z',
  affected: [entry('requests', '2.0', id)],
  ...overrides,
});

export function advisoryStoreContract(label: string, open: () => Promise<ContractStores>): void {
  const withStores = async (body: (s: ContractStores) => Promise<void>): Promise<void> => {
    const stores = await open();
    try {
      await body(stores);
    } finally {
      await stores.cleanup();
    }
  };

  test(`${label}: upserts are idempotent, an older record changes nothing, records of one id merge`, () =>
    withStores(async ({ store }) => {
      const a = advisory('PYSEC-1', { aliases: ['CVE-2024-1', 'CVE-2024-1'], summary: 'first' });
      assert.equal(await store.upsert(a), 'inserted');
      assert.equal(await store.upsert(a), 'unchanged');
      assert.equal(await store.upsert({ ...a, summary: 'older', modified: '2023-01-01T00:00:00Z' }), 'unchanged');
      assert.equal(await store.upsert({ ...a, summary: 'newer', modified: '2024-02-01T00:00:00Z' }), 'updated');
      assert.equal(await store.upsert(advisory('PYSEC-1', { feed: 'nvd', affected: [entry('requests', '1.5', 'nvd:PYSEC-1')], details: 'from nvd' })), 'inserted');
      const merged = await store.getById('PYSEC-1');
      assert.equal(merged?.summary, 'newer');
      assert.equal(merged?.details, 'from nvd');
      assert.deepEqual(merged?.aliases, ['CVE-2024-1']);
      assert.deepEqual(merged?.affected.map((x) => x.sourceRecord), ['PYSEC-1', 'nvd:PYSEC-1']);
      assert.equal(await store.getById('PYSEC-404'), undefined);
      assert.deepEqual((await store.byAlias('CVE-2024-1')).map((x) => x.id), ['PYSEC-1']);
      assert.deepEqual((await store.byAlias('PYSEC-1')).map((x) => x.id), ['PYSEC-1']);
      const status = await store.status();
      assert.equal(status.advisories, 2);
      assert.equal(status.affected, 2);
    }));

  test(`${label}: lookups answer in the order asked, entries by advisory id, withdrawn ones only when asked`, () =>
    withStores(async ({ store }) => {
      await store.transaction(async () => {
        await store.upsert(advisory('PYSEC-B', { affected: [entry('requests', '2.0', 'b0'), entry('requests', '2.1', 'b1')] }));
        await store.upsert(advisory('PYSEC-A', { affected: [entry('requests', '3.0', 'a0')] }));
        await store.upsert(advisory('PYSEC-W', { withdrawn: '2024-03-01T00:00:00Z', affected: [entry('requests', '9.0', 'w0')] }));
        await store.upsert(advisory('DEB-1', { affected: [entry('openssl', '3.0.1-1', 'd0', 'Debian:12')] }));
      });
      const found = await store.findAffected('PyPI', 'REQUESTS');
      assert.deepEqual(found.map((m) => `${m.advisory.id}/${m.affected.sourceRecord}`), ['PYSEC-A/a0', 'PYSEC-B/b0', 'PYSEC-B/b1']);
      const withWithdrawn = await store.findAffected('PyPI', 'requests', { includeWithdrawn: true });
      assert.deepEqual(withWithdrawn.map((m) => m.affected.sourceRecord), ['a0', 'b0', 'b1', 'w0']);
      const batch = await store.findEntriesBatch!([
        { ecosystem: 'Debian:12', name: 'openssl' },
        { ecosystem: 'PyPI', name: 'nothing' },
        { ecosystem: 'PyPI', name: 'requests' },
        { ecosystem: 'Debian:12', name: 'openssl' },
      ]);
      assert.deepEqual(batch.map((list) => list.map((e) => `${e.advisoryId}/${e.affected.sourceRecord}`)), [['DEB-1/d0'], [], ['PYSEC-A/a0', 'PYSEC-B/b0', 'PYSEC-B/b1'], ['DEB-1/d0']]);
      const full = await store.findAffectedBatch!([{ ecosystem: 'PyPI', name: 'requests' }]);
      assert.deepEqual(full, [found]);
      // Which distributions the database holds at all (match/vendor-feeds.ts): exact ecosystem names only.
      assert.deepEqual([...(await store.ecosystemsWithEntries(['Debian:13', 'Debian:12', 'PyPI', 'Debian', 'debian:12']))].sort(), ['Debian:12', 'PyPI']);
      assert.equal((await store.ecosystemsWithEntries([])).size, 0);
    }));

  test(`${label}: a transaction commits whole or not at all; another reader sees the old data until the commit`, () =>
    withStores(async ({ store, reader }) => {
      await store.transaction(async () => {
        await store.upsert(advisory('PYSEC-1'));
        await store.markImported('osv', { changed: true, dataDate: '2024-01-02T00:00:00Z' });
      });
      const other = await reader();
      try {
        await assert.rejects(
          store.transaction(async () => {
            await store.upsert(advisory('PYSEC-2'));
            await store.setMeta('k', 'v');
            throw new Error('interrupted');
          }),
          /interrupted/,
        );
        assert.equal(await store.getById('PYSEC-2'), undefined);
        assert.equal(await store.getMeta('k'), undefined);
        await store.transaction(async () => {
          await store.upsert(advisory('PYSEC-3'));
          assert.equal((await other.status()).advisories, 1, 'not committed yet: the other reader sees the old data');
          assert.equal(await other.getById('PYSEC-3'), undefined);
        });
        assert.equal((await other.status()).advisories, 2);
        assert.equal((await other.findAffected('PyPI', 'requests')).length, 2);
        const [osv] = await other.sources();
        assert.equal(osv?.feed, 'osv');
        assert.equal(osv?.dataDate, '2024-01-02T00:00:00Z');
        assert.ok(osv?.lastImport && osv.lastChange);
        await assert.rejects(store.transaction(() => store.transaction(async () => 1)), { code: 'TRANSACTION_NESTED' });
      } finally {
        await other.close();
      }
    }));

  exploitContract(label, withStores);
  snapshotContract(label, withStores);
}
