/**
 * The InventoryStore in SQLite: the same file as the content store
 * (`registry.sqlite`), on a connection of its own, its table versioned in
 * `schema_components` (the `inventory` row) apart from the content and
 * identity tables, as identity-sqlite.ts does and for the same reasons.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';
import type { InventoryStore, StoredInventory } from './inventory-store.js';

export const INVENTORY_SCHEMA_VERSION = 1;

const MIGRATIONS: readonly string[] = [`CREATE TABLE inventories (manifest_digest TEXT PRIMARY KEY, document BLOB NOT NULL, saved_at TEXT NOT NULL) WITHOUT ROWID;`];

interface Row {
  document: Buffer;
  saved_at: string;
}

export class SqliteInventoryStore implements InventoryStore {
  readonly db: Database.Database;
  readonly #s: ReturnType<SqliteInventoryStore['prepare']>;

  constructor(readonly path: string) {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('busy_timeout = 10000');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.transaction(() => migrate(this.db, path)).immediate();
    } catch (error) {
      if (error instanceof ServeError) throw error;
      throw new ServeError('CONFIG_INVALID', `cannot open the package inventories in ${path}: ${(error as Error).message}`, { cause: error });
    }
    this.#s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      put: db.prepare(
        'INSERT INTO inventories (manifest_digest, document, saved_at) VALUES (?, ?, ?) ON CONFLICT (manifest_digest) DO UPDATE SET document = excluded.document, saved_at = excluded.saved_at',
      ),
      get: db.prepare<[string], Row>('SELECT document, saved_at FROM inventories WHERE manifest_digest = ?'),
      list: db.prepare<[string, number], { manifest_digest: string }>('SELECT manifest_digest FROM inventories WHERE manifest_digest > ? ORDER BY manifest_digest LIMIT ?'),
      delete: db.prepare('DELETE FROM inventories WHERE manifest_digest = ?'),
    };
  }

  async put(digest: Digest, document: Buffer, savedAt: string): Promise<void> {
    this.#s.put.run(digest, document, savedAt);
  }

  async get(digest: Digest): Promise<StoredInventory | undefined> {
    const row = this.#s.get.get(digest);
    return row ? { document: row.document, savedAt: row.saved_at } : undefined;
  }

  async list(after: string, limit: number): Promise<Digest[]> {
    return this.#s.list.all(after, Math.max(0, Math.floor(limit))).map((r) => r.manifest_digest as Digest);
  }

  async delete(digest: Digest): Promise<boolean> {
    return this.#s.delete.run(digest).changes > 0;
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
    throw new ServeError('CONFIG_INVALID', `package inventory schema v${current} in ${path} is newer than this portcullis (v${INVENTORY_SCHEMA_VERSION})`);
  }
  for (let version = current + 1; version <= INVENTORY_SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version - 1]!);
  if (current < INVENTORY_SCHEMA_VERSION) {
    db.prepare("INSERT INTO schema_components (component, version) VALUES ('inventory', ?) ON CONFLICT (component) DO UPDATE SET version = excluded.version").run(INVENTORY_SCHEMA_VERSION);
  }
}
