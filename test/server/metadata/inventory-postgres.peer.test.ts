/**
 * The PostgreSQL InventoryStore against a real PostgreSQL (a throwaway
 * cluster from test/support/postgres.ts): the shared contract, in the content
 * store's schema of a database whose default collation is ICU en-US (so byte
 * order must come from the table), then several processes opening one schema
 * at once, which must create the table exactly once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { Digest } from '../../../src/core/digest.js';
import { PostgresInventoryStore } from '../../../src/server/metadata/inventory-postgres.js';
import { PostgresMetadataStore } from '../../../src/server/metadata/postgres.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { exampleInventory, inventoryStoreContract } from './inventory-contract.js';

let peer: PostgresPeer;
let icuDatabase: string;

before(async () => {
  peer = await startPostgres();
  icuDatabase = await peer.createDatabase({ icuLocale: 'en-US' });
});

after(async () => {
  await peer?.stop();
});

const schemaName = (): string => `t_${randomBytes(5).toString('hex')}`;

inventoryStoreContract('postgres (ICU en-US database, the content store schema)', async (options) => {
  const schema = schemaName();
  // The content store first, as `serve` opens them: the inventory table joins its schema.
  await (await PostgresMetadataStore.open({ connectionString: icuDatabase, schema })).close();
  return PostgresInventoryStore.open({ connectionString: icuDatabase, schema, ...options });
});

test('postgres inventories: six processes opening at once migrate the table once, and all see every entry', async () => {
  const schema = schemaName();
  const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresInventoryStore.open({ connectionString: icuDatabase, schema })));
  const client = new pg.Client({ connectionString: icuDatabase });
  await client.connect();
  const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.inventory_migrations ORDER BY version`);
  await client.end();
  assert.deepEqual(rows.map((r) => r.version), [1]);
  const { inventory } = await exampleInventory();
  const digest = `sha256:${'9'.repeat(64)}` as Digest;
  assert.equal((await stores[0]!.put({ manifestDigest: digest, catalogersKey: 'k', inventory, storedAt: '2026-01-01T00:00:00.000Z' })).stored, true);
  assert.equal((await stores[5]!.get(digest))?.inventory.packages.length, 3);
  await Promise.all(stores.map((s) => s.close()));
});
