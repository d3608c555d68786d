/**
 * The InventoryStore contract, run against every implementation (SQLite in
 * inventory-sqlite.test.ts, PostgreSQL in postgres.peer.test.ts): documents
 * come back byte for byte, a second put replaces, digests page in byte
 * order, and pruning drops exactly the documents of manifests no repository
 * holds.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { pruneInventories, type InventoryStore } from '../../../src/server/metadata/inventory-store.js';

const d = (c: string): Digest => `sha256:${c.repeat(64).slice(0, 64)}` as Digest;

async function withStore(make: () => Promise<InventoryStore>, body: (store: InventoryStore) => Promise<void>): Promise<void> {
  const store = await make();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

export function inventoryStoreContract(name: string, make: () => Promise<InventoryStore>): void {
  describe(`InventoryStore contract: ${name}`, () => {
    test('put, get byte for byte, replace, list in byte order with paging, delete', () =>
      withStore(make, async (store) => {
        const bytes = randomBytes(70_000);
        await store.put(d('b'), bytes, '2026-01-01T00:00:00.000Z');
        assert.deepEqual(await store.get(d('b')), { document: bytes, savedAt: '2026-01-01T00:00:00.000Z' });
        await store.put(d('b'), Buffer.from('second'), '2026-01-02T00:00:00.000Z');
        assert.deepEqual(await store.get(d('b')), { document: Buffer.from('second'), savedAt: '2026-01-02T00:00:00.000Z' });
        assert.equal(await store.get(d('c')), undefined);
        for (const c of ['a', 'F', 'f', '0']) await store.put(d(c), Buffer.from(c), '2026-01-01T00:00:00.000Z');
        assert.deepEqual(await store.list('', 100), [d('0'), d('F'), d('a'), d('b'), d('f')]);
        assert.deepEqual(await store.list(d('F'), 2), [d('a'), d('b')]);
        assert.equal(await store.delete(d('a')), true);
        assert.equal(await store.delete(d('a')), false);
        assert.deepEqual(await store.list('', 100), [d('0'), d('F'), d('b'), d('f')]);
      }));

    test('pruning drops the documents of manifests no repository holds, page by page', () =>
      withStore(make, async (store) => {
        const held = new Set<string>();
        for (let i = 0; i < 25; i++) {
          const digest = d(i.toString(16).padStart(2, '0'));
          await store.put(digest, Buffer.from([i]), '2026-01-01T00:00:00.000Z');
          if (i % 3 === 0) held.add(digest);
        }
        const metadata = { repositoriesWithManifest: async (digest: Digest) => (held.has(digest) ? ['team/app'] : []) };
        assert.equal(await pruneInventories(store, metadata, 4), 25 - held.size);
        assert.deepEqual(await store.list('', 100), [...held].sort());
      }));
  });
}
