/**
 * The SQLite InventoryStore: the shared contract, then what is SQLite's own
 * (one file with the content and identity stores, versioned apart), and rows
 * that cannot be read back whole — damaged bytes, a row inflating past the
 * cap, a package the decoder would skip — which are errors, never a shorter
 * inventory.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { Digest } from '../../../src/core/digest.js';
import { ServeError } from '../../../src/server/errors.js';
import { IDENTITY_SCHEMA_VERSION, SqliteIdentityStore } from '../../../src/server/metadata/identity-sqlite.js';
import { INVENTORY_SCHEMA_VERSION, SqliteInventoryStore } from '../../../src/server/metadata/inventory-sqlite.js';
import { SCHEMA_VERSION, SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { exampleInventory, inventoryStoreContract } from './inventory-contract.js';

const tempDb = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'portcullis-inventory-')), 'registry.sqlite');
const D = `sha256:${'1'.repeat(64)}` as Digest;

inventoryStoreContract('sqlite', async (options) => new SqliteInventoryStore(await tempDb(), options));

test('sqlite inventories: share the content and identity file, versioned on their own, survive reopening', async () => {
  const path = await tempDb();
  const content = new SqliteMetadataStore(path);
  const identity = new SqliteIdentityStore(path);
  const inventories = new SqliteInventoryStore(path);
  const { inventory } = await exampleInventory();
  await inventories.put({ manifestDigest: D, catalogersKey: 'k', inventory, storedAt: '2026-01-01T00:00:00.000Z' });
  assert.equal(content.db.pragma('user_version', { simple: true }), SCHEMA_VERSION, 'the content version is untouched');
  assert.deepEqual(
    inventories.db.prepare('SELECT component, version FROM schema_components ORDER BY component').all(),
    [{ component: 'identity', version: IDENTITY_SCHEMA_VERSION }, { component: 'inventory', version: INVENTORY_SCHEMA_VERSION }],
  );
  await Promise.all([inventories.close(), identity.close(), content.close()]);
  const again = new SqliteInventoryStore(path);
  assert.equal((await again.get(D))?.inventory.packages.length, 3);
  await again.close();
});

test('sqlite inventories: a database from a newer portcullis is refused', async () => {
  const path = await tempDb();
  new SqliteInventoryStore(path).db.close();
  const raw = new Database(path);
  raw.prepare("UPDATE schema_components SET version = ? WHERE component = 'inventory'").run(INVENTORY_SCHEMA_VERSION + 1);
  raw.close();
  assert.throws(() => new SqliteInventoryStore(path), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID' && /kept inventories in .*: schema version 2 is newer than this portcullis supports \(1\): upgrade portcullis/.test(e.message));
});

test('sqlite inventories: a row that cannot be read back whole is an error naming the digest, with bounded memory', async () => {
  const path = await tempDb();
  const store = new SqliteInventoryStore(path, { maxJsonBytes: 1024 * 1024 });
  const { inventory } = await exampleInventory();
  await store.put({ manifestDigest: D, catalogersKey: 'k', inventory, storedAt: '2026-01-01T00:00:00.000Z' });
  const good = store.db.prepare<[], { data: Buffer; json_bytes: number }>('SELECT data, json_bytes FROM inventories').get()!;
  const setRow = (data: Buffer, jsonBytes = good.json_bytes): void => void store.db.prepare('UPDATE inventories SET data = ?, json_bytes = ?').run(data, jsonBytes);
  const fails = async (pattern: RegExp): Promise<void> =>
    assert.rejects(store.get(D), (e: unknown) => e instanceof ServeError && e.code === 'INTERNAL' && e.message.startsWith(`the kept inventory of ${D} cannot be read: `) && pattern.test(e.message));

  setRow(good.data.subarray(0, good.data.length - 8));
  await fails(/unexpected end of file/);
  // 64 MiB of spaces gzip to ~64 KiB: inflating stops at the 1 MiB cap.
  setRow(gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)));
  await fails(/it inflates past the 1\.0 MiB cap$/);
  // A package the SBOM decoder would skip (unknown ecosystem): the inventory is refused, not read with a package missing.
  const doc = JSON.parse((await import('node:zlib')).gunzipSync(good.data).toString('utf8')) as { inventory: { packages: Array<Record<string, unknown>> } };
  doc.inventory.packages[0]!.ecosystem = 'made-up';
  setRow(gzipSync(JSON.stringify(doc)));
  await fails(/lists 3 packages but 2 could be read back/);
  setRow(gzipSync('{"image": 7, "inventory": {}}'));
  await fails(/its image description is malformed/);
  store.db.prepare('UPDATE inventories SET format = 99').run();
  await fails(/format 99 \(this portcullis reads 1\)/);
  await store.close();
});
