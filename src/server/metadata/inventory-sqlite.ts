/**
 * The InventoryStore in SQLite: the same file as the content store
 * (`registry.sqlite`), on a connection of its own, as the identity store
 * does (identity-sqlite.ts): its table is versioned apart, in the
 * `inventory` row of `schema_components`, and a database from a newer
 * portcullis is refused. The table keeps SQLite's rowid (unlike the small
 * tables elsewhere): its rows hold blobs of kilobytes to megabytes, which a
 * WITHOUT ROWID table would copy through its B-tree pages.
 */
import type { Digest } from '../../core/index.js';
import { limitOf, SqliteComponentStore, type SqliteComponent } from './component-sqlite.js';
import { inventoryFromRow, inventoryToRow, type InventoryRow } from './inventory-rows.js';
import { MAX_INVENTORY_JSON_BYTES, type InventoryStore, type InventoryStoreOptions, type PutInventoryResult, type StoredInventory } from './inventory-store.js';
import type { Page } from './store.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE inventories (
    manifest_digest TEXT NOT NULL UNIQUE, catalogers_key TEXT NOT NULL, format INTEGER NOT NULL,
    json_bytes INTEGER NOT NULL, data BLOB NOT NULL, stored_at TEXT NOT NULL
  );
  `,
];

export const INVENTORY_SCHEMA_VERSION = MIGRATIONS.length;

const TABLES: SqliteComponent = { name: 'inventory', label: 'kept inventories', openLabel: 'the kept inventories', migrations: MIGRATIONS };

export class SqliteInventoryStore extends SqliteComponentStore implements InventoryStore {
  readonly #maxJsonBytes: number;
  readonly #s: ReturnType<SqliteInventoryStore['prepare']>;

  constructor(path: string, options: InventoryStoreOptions = {}) {
    super(path, TABLES);
    this.#maxJsonBytes = options.maxJsonBytes ?? MAX_INVENTORY_JSON_BYTES;
    this.#s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      get: db.prepare<[string], InventoryRow>('SELECT * FROM inventories WHERE manifest_digest = ?'),
      put: db.prepare(`INSERT INTO inventories (manifest_digest, catalogers_key, format, json_bytes, data, stored_at)
        VALUES (@manifest_digest, @catalogers_key, @format, @json_bytes, @data, @stored_at)
        ON CONFLICT (manifest_digest) DO UPDATE SET catalogers_key = excluded.catalogers_key, format = excluded.format,
          json_bytes = excluded.json_bytes, data = excluded.data, stored_at = excluded.stored_at`),
      delete: db.prepare('DELETE FROM inventories WHERE manifest_digest = ?'),
      list: db.prepare<[string, number], { manifest_digest: string }>('SELECT manifest_digest FROM inventories WHERE manifest_digest > ? ORDER BY manifest_digest LIMIT ?'),
    };
  }

  async get(manifestDigest: Digest): Promise<StoredInventory | undefined> {
    const row = this.#s.get.get(manifestDigest);
    return row ? inventoryFromRow(row, this.#maxJsonBytes) : undefined;
  }

  async put(entry: StoredInventory): Promise<PutInventoryResult> {
    const row = await inventoryToRow(entry, this.#maxJsonBytes);
    if ('tooLarge' in row) {
      this.#s.delete.run(entry.manifestDigest);
      return { stored: false, reason: row.tooLarge };
    }
    this.#s.put.run(row);
    return { stored: true, bytes: row.data.length };
  }

  async delete(manifestDigest: Digest): Promise<boolean> {
    return this.#s.delete.run(manifestDigest).changes > 0;
  }

  async list(page: Page = {}): Promise<Digest[]> {
    return this.#s.list.all(page.last ?? '', limitOf(page)).map((r) => r.manifest_digest as Digest);
  }
}
