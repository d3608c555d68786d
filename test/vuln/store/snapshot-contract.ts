/**
 * The read-snapshot part of the advisory store contract (advisory-contract.ts
 * runs it on SQLite and PostgreSQL): an import that commits between two reads
 * of one match (injected right after the match's entry lookup, through a
 * reader that wraps the store's) is not seen by that match: its findings are
 * all of the old state, never old entries with new advisories. The same
 * interleaving without the snapshot gives the mixed answer, which shows the
 * injection lands where it should. A scan (engine/scan.ts) reads KEV in the
 * same snapshot as the match; snapshots run side by side on one store object,
 * nest, and refuse a write inside.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding, Inventory } from '../../../src/core/index.js';
import { scanTarget } from '../../../src/engine/scan.js';
import { importExploitFile } from '../../../src/vuln/exploit/import.js';
import { matchInventory } from '../../../src/vuln/match/index.js';
import type { AdvisoryReader, AdvisoryStore } from '../../../src/vuln/store/store.js';
import type { ContractStores } from './advisory-contract.js';
import { KEV_CATALOG } from './exploit-contract.js';

const INVENTORY: Inventory = {
  packages: [{ name: 'requests', version: '1.0', ecosystem: 'pypi', purl: 'pkg:pypi/requests@1.0', foundBy: 'test', path: 'app/requirements.txt' }],
  ownedFiles: [],
  warnings: [],
};

/** PYSEC-1 as the old state has it (fixed in 2.0) and as the import being committed rewrites it (fixed in 3.0). */
const pysec = (summary: string, fixed: string, modified: string): Parameters<AdvisoryStore['upsert']>[0] => ({
  id: 'PYSEC-1',
  feed: 'osv',
  scope: '',
  aliases: ['CVE-2021-44228'],
  upstream: [],
  severities: [],
  references: [],
  summary,
  modified,
  affected: [{ ecosystem: 'PyPI', name: 'requests', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }], fixed, status: 'affected', sourceRecord: 'PYSEC-1' }],
});
const OLD = pysec('old summary', '2.0', '2024-01-01T00:00:00Z');
const NEW = pysec('new summary', '3.0', '2024-06-01T00:00:00Z');

/**
 * `base` with `hook` run once, after the first answer of `after` (a reader method) and before it is returned;
 * a snapshot's view is wrapped alike. `snapshots: false` hides `readSnapshot` (a store without snapshots).
 */
function interleaved(base: AdvisoryReader, after: keyof AdvisoryReader, hook: () => Promise<void>, snapshots = true): AdvisoryReader {
  let pending: (() => Promise<void>) | undefined = hook;
  const wrap = (reader: AdvisoryReader): AdvisoryReader =>
    new Proxy(reader, {
      get(target, prop, receiver) {
        if (prop === 'readSnapshot') {
          if (!snapshots || !target.readSnapshot) return undefined;
          return <T>(fn: (r: AdvisoryReader) => Promise<T>): Promise<T> => target.readSnapshot!((inner) => fn(wrap(inner)));
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (prop !== after) return method.bind(target);
        return async (...args: unknown[]) => {
          const answer: unknown = await method.apply(target, args);
          const run = pending;
          pending = undefined;
          await run?.();
          return answer;
        };
      },
    });
  return wrap(base);
}

const shown = (findings: readonly Finding[]): string[] => findings.map((f) => `fixed ${f.fixedVersion ?? '-'}: ${f.title ?? f.description ?? ''}`);

export function snapshotContract(label: string, withStores: (body: (s: ContractStores) => Promise<void>) => Promise<void>): void {
  test(`${label}: an import committing between two reads of one match is not seen by it (one snapshot); without the snapshot the answer is mixed`, () =>
    withStores(async ({ store, reader }) => {
      await store.transaction(() => store.upsert(OLD));
      const importNew = async (): Promise<void> => void (await store.transaction(() => store.upsert(NEW)));
      const other = await reader();
      try {
        const old = shown(await matchInventory(INVENTORY, other));
        assert.equal(old.length, 1);
        assert.match(old[0]!, /^fixed 2\.0: old summary/);
        const inSnapshot = shown(await matchInventory(INVENTORY, interleaved(other, 'findEntriesBatch', importNew)));
        assert.deepEqual(inSnapshot, old, 'the match read the state from before the import, whole');
        assert.match(shown(await matchInventory(INVENTORY, other))[0]!, /^fixed 3\.0: new summary/, 'the next match sees the import');
        // The same interleaving on a reader without snapshots: old entries, new advisory text.
        await store.transaction(() => store.upsert({ ...OLD, modified: '2024-07-01T00:00:00Z' }));
        const back = async (): Promise<void> => void (await store.transaction(() => store.upsert({ ...NEW, modified: '2024-08-01T00:00:00Z' })));
        const fresh = await reader(); // no answer remembered from the matches above
        try {
          const mixed = shown(await matchInventory(INVENTORY, interleaved(fresh, 'findEntriesBatch', back, false)));
          assert.match(mixed[0]!, /^fixed 2\.0: new summary/);
        } finally {
          await fresh.close();
        }
      } finally {
        await other.close();
      }
    }));

  test(`${label}: a scan reads KEV in its match's snapshot; snapshots run side by side, nest, and refuse writes`, () =>
    withStores(async ({ store, reader }) => {
      await store.transaction(() => store.upsert(OLD));
      const other = await reader();
      try {
        // KEV (which lists CVE-2021-44228) lands after the match read the advisories, before the scan's KEV lookup.
        const kevLands = async (): Promise<void> => void (await store.transaction(() => importExploitFile(store.exploitation(), KEV_CATALOG, 'kev')));
        const hooked = interleaved(other, other.getFactsByIds ? 'getFactsByIds' : 'getByIds', kevLands);
        const first = await scanTarget({ kind: 'inventory', name: 'app', inventory: INVENTORY }, { store: hooked });
        assert.equal(first.result.findings.length, 1);
        assert.equal(first.result.findings[0]!.kev, undefined, 'KEV committed after the match began is not in this scan');
        const second = await scanTarget({ kind: 'inventory', name: 'app', inventory: INVENTORY }, { store: other });
        assert.equal(second.result.findings[0]!.kev?.dateAdded, '2021-12-10');

        // Two matches at once on one store object, each in its own snapshot, and a snapshot inside a snapshot.
        const both = await Promise.all([matchInventory(INVENTORY, other), other.readSnapshot!((r) => r.readSnapshot!((inner) => matchInventory(INVENTORY, inner)))]);
        assert.deepEqual(shown(both[0]), shown(both[1]));
        await assert.rejects(
          // The view is typed a reader; a store that hands out itself (SQLite) must still refuse the write.
          store.readSnapshot!((view) => (view as AdvisoryStore).transaction(() => (view as AdvisoryStore).upsert(NEW))),
          { code: 'TRANSACTION_NESTED' },
        );
        assert.match(shown(await matchInventory(INVENTORY, store))[0]!, /old summary/, 'the refused write changed nothing');
      } finally {
        await other.close();
      }
    }));
}
