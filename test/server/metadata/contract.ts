/**
 * The MetadataStore contract, run against every implementation (SQLite in
 * sqlite.test.ts, PostgreSQL in postgres.peer.test.ts). Only the
 * MetadataStore interface is used. Ordering is by byte value, as distribution
 * sorts (`A` < `B` < `a`): a PostgreSQL store needs `COLLATE "C"` to pass.
 * One file per area, each test on a new store: what the distribution API
 * stands on (contract-content.ts), scan records (contract-scans.ts), garbage
 * collection (contract-collection.ts), retention and quotas
 * (contract-retention.ts).
 */
import { describe } from 'node:test';
import { collectionContract } from './contract-collection.js';
import { contentContract } from './contract-content.js';
import { retentionContract } from './contract-retention.js';
import { scanContract } from './contract-scans.js';
import type { MakeStore } from './contract-support.js';

export function metadataStoreContract(name: string, makeStore: MakeStore): void {
  describe(`MetadataStore contract: ${name}`, () => {
    contentContract(makeStore);
    scanContract(makeStore);
    collectionContract(makeStore);
    retentionContract(makeStore);
  });
}
