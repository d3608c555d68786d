/**
 * The InventoryStore in SQLite: the same file as the content store
 * (`registry.sqlite`), on a connection of its own, as the identity store
 * does (identity-sqlite.ts): its table is versioned apart, in the
 * `inventory` row of `schema_components`, and a database from a newer
 * portcullis is refused. The table keeps SQLite's rowid (unlike the small
 * tables elsewhere): its rows hold blobs of kilobytes to megabytes, which a
 * WITHOUT ROWID table would copy through its B-tree pages.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';
import { inventoryFromRow, inventoryToRow, type InventoryRow } from './inventory-rows.js';
import { MAX_INVENTORY_JSON_BYTES, type InventoryStore, type InventoryStoreOptions, type PutInventoryResult, type StoredInventory } from './inventory-store.js';
import type { Page } from './store.js';

export const INVENTORY_SCHEMA_VERSION = 1;

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE inventories (
    manifest_digest TEXT NOT NULL UNIQUE, catalogers_key TEXT NOT NULL, format INTEGER NOT NULL,
    json_bytes INTEGER NOT NULL, data BLOB NOT NULL, stored_at TEXT NOT NULL
  );
  `,
];

export class SqliteInventoryStore implements InventoryStore {
  readonly db: Database.Database;
  readonly #maxJsonBytes: number;
  readonly #s: ReturnType<SqliteInventoryStore['prepare']>;

  constructor(
    readonly path: string,
    options: InventoryStoreOptions = {},
  ) {
    this.#maxJsonBytes = options.maxJsonBytes ?? MAX_INVENTORY_JSON_BYTES;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('busy_timeout = 10000');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.transaction(() => migrate(this.db, path)).immediate();
    } catch (error) {
      if (error instanceof ServeError) throw error;
      throw new ServeError('CONFIG_INVALID', `cannot open the kept inventories in ${path}: ${(error as Error).message}`, { cause: error });
    }
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
    const limit = page.limit === undefined ? -1 : Math.max(0, Math.floor(page.limit));
    return this.#s.list.all(page.last ?? '', limit).map((r) => r.manifest_digest as Digest);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_components (component TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID');
  const row = db.prepare<[], { version: number }>("SELECT version FROM schema_components WHERE component = 'inventory'").get();
  const current = row?.version ?? 0;
  if (current > INVENTORY_SCHEMA_VERSION) {
    throw new ServeError('CONFIG_INVALID', `kept inventories schema v${current} in ${path} is newer than this portcullis (v${INVENTORY_SCHEMA_VERSION})`);
  }
  for (let version = current + 1; version <= INVENTORY_SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version - 1]!);
  if (current < INVENTORY_SCHEMA_VERSION) {
    db.prepare("INSERT INTO schema_components (component, version) VALUES ('inventory', ?) ON CONFLICT (component) DO UPDATE SET version = excluded.version").run(INVENTORY_SCHEMA_VERSION);
  }
}
