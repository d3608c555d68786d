/**
 * The InventoryStore in PostgreSQL, in the content store's PostgreSQL schema
 * (default `portcullis_registry`), on a small pool of its own, as the
 * identity store does: its table is versioned apart, in
 * `inventory_migrations`, and migrated in one transaction under a
 * transaction-scoped advisory lock (component-postgres.ts), so several
 * processes starting at once create it exactly once. The compressed JSON is `bytea`; digests use
 * `COLLATE "C"` (byte order, as the SQLite store).
 */
import type { Digest } from '../../core/index.js';
import { changed, limitOf, openComponentPool, type ComponentPool, PostgresComponentStore, type PostgresComponent, type PostgresOptions } from './component-postgres.js';
import { inventoryFromRow, inventoryToRow, type InventoryRow } from './inventory-rows.js';
import { MAX_INVENTORY_JSON_BYTES, type InventoryStore, type InventoryStoreOptions, type PutInventoryResult, type StoredInventory } from './inventory-store.js';
import type { Page } from './store.js';

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.inventories (
      manifest_digest text COLLATE "C" PRIMARY KEY, catalogers_key text NOT NULL, format integer NOT NULL,
      json_bytes integer NOT NULL, data bytea NOT NULL, stored_at text NOT NULL);
  `,
];

export const INVENTORY_SCHEMA_VERSION = MIGRATIONS.length;

const INVENTORY_TABLES: PostgresComponent = {
  label: 'kept inventories',
  openLabel: 'the kept inventories',
  lock: 'inventory',
  versionTable: 'inventory_migrations',
  migrations: MIGRATIONS,
  maxConnections: 2,
};

/** The content store's database and schema (default `portcullis_registry`), and the size cap. */
export interface PostgresInventoryOptions extends InventoryStoreOptions, PostgresOptions {}

export class PostgresInventoryStore extends PostgresComponentStore implements InventoryStore {
  readonly #maxJsonBytes: number;

  private constructor(db: ComponentPool, maxJsonBytes: number) {
    super(db);
    this.#maxJsonBytes = maxJsonBytes;
  }

  static async open(target: PostgresInventoryOptions | string): Promise<PostgresInventoryStore> {
    const maxJsonBytes = (typeof target === 'string' ? undefined : target.maxJsonBytes) ?? MAX_INVENTORY_JSON_BYTES;
    return new PostgresInventoryStore(await openComponentPool(target, INVENTORY_TABLES), maxJsonBytes);
  }

  async get(manifestDigest: Digest): Promise<StoredInventory | undefined> {
    const { rows } = await this.db.query<InventoryRow>(`SELECT * FROM ${this.s}.inventories WHERE manifest_digest = $1`, [manifestDigest]);
    return rows[0] ? inventoryFromRow(rows[0], this.#maxJsonBytes) : undefined;
  }

  async put(entry: StoredInventory): Promise<PutInventoryResult> {
    const row = await inventoryToRow(entry, this.#maxJsonBytes);
    if ('tooLarge' in row) {
      await this.delete(entry.manifestDigest);
      return { stored: false, reason: row.tooLarge };
    }
    await this.db.query(
      `INSERT INTO ${this.s}.inventories (manifest_digest, catalogers_key, format, json_bytes, data, stored_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (manifest_digest) DO UPDATE SET catalogers_key = excluded.catalogers_key, format = excluded.format,
         json_bytes = excluded.json_bytes, data = excluded.data, stored_at = excluded.stored_at`,
      [row.manifest_digest, row.catalogers_key, row.format, row.json_bytes, row.data, row.stored_at],
    );
    return { stored: true, bytes: row.data.length };
  }

  async delete(manifestDigest: Digest): Promise<boolean> {
    return changed(await this.db.query(`DELETE FROM ${this.s}.inventories WHERE manifest_digest = $1`, [manifestDigest]));
  }

  async list(page: Page = {}): Promise<Digest[]> {
    const { rows } = await this.db.query<{ manifest_digest: string }>(
      `SELECT manifest_digest FROM ${this.s}.inventories WHERE manifest_digest > $1 ORDER BY manifest_digest LIMIT $2`,
      [page.last ?? '', limitOf(page)],
    );
    return rows.map((r) => r.manifest_digest as Digest);
  }
}
