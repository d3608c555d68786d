/**
 * The InventoryStore in PostgreSQL, in the content store's PostgreSQL schema
 * (default `portcullis_registry`), on a small pool of its own, as the
 * identity store does (identity-postgres.ts): its table is versioned apart,
 * in `inventory_migrations`, and migrated in one transaction under a
 * transaction-scoped advisory lock, so several processes starting at once
 * create it exactly once. The compressed JSON is `bytea`; digests use
 * `COLLATE "C"` (byte order, as the SQLite store).
 */
import pg from 'pg';
import type { Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';
import { inventoryFromRow, inventoryToRow, type InventoryRow } from './inventory-rows.js';
import { MAX_INVENTORY_JSON_BYTES, type InventoryStore, type InventoryStoreOptions, type PutInventoryResult, type StoredInventory } from './inventory-store.js';
import { DEFAULT_SCHEMA, LOCK_CLASS, quoteSchema } from './postgres-schema.js';
import type { Page } from './store.js';

export const INVENTORY_SCHEMA_VERSION = 1;

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.inventories (
      manifest_digest text COLLATE "C" PRIMARY KEY, catalogers_key text NOT NULL, format integer NOT NULL,
      json_bytes integer NOT NULL, data bytea NOT NULL, stored_at text NOT NULL);
  `,
];

export interface PostgresInventoryOptions extends InventoryStoreOptions {
  readonly connectionString?: string;
  readonly pool?: pg.PoolConfig;
  /** The content store's schema (default `portcullis_registry`). */
  readonly schema?: string;
}

export class PostgresInventoryStore implements InventoryStore {
  readonly #pool: pg.Pool;
  readonly #s: string;
  readonly #maxJsonBytes: number;

  private constructor(pool: pg.Pool, schema: string, maxJsonBytes: number) {
    this.#pool = pool;
    this.#s = quoteSchema(schema);
    this.#maxJsonBytes = maxJsonBytes;
  }

  static async open(target: PostgresInventoryOptions | string): Promise<PostgresInventoryStore> {
    const options: PostgresInventoryOptions = typeof target === 'string' ? { connectionString: target } : target;
    const schema = options.schema ?? DEFAULT_SCHEMA;
    quoteSchema(schema);
    const pool = new pg.Pool({ max: 2, ...options.pool, ...(options.connectionString ? { connectionString: options.connectionString } : {}) });
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        await migrate(client, schema);
      } finally {
        client.release();
      }
      return new PostgresInventoryStore(pool, schema, options.maxJsonBytes ?? MAX_INVENTORY_JSON_BYTES);
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof ServeError) throw error;
      throw new ServeError('CONFIG_INVALID', `cannot open the kept inventories in PostgreSQL: ${describe(error)}`, { cause: error });
    }
  }

  async get(manifestDigest: Digest): Promise<StoredInventory | undefined> {
    const { rows } = await this.query<InventoryRow>(`SELECT * FROM ${this.#s}.inventories WHERE manifest_digest = $1`, [manifestDigest]);
    return rows[0] ? inventoryFromRow(rows[0], this.#maxJsonBytes) : undefined;
  }

  async put(entry: StoredInventory): Promise<PutInventoryResult> {
    const row = await inventoryToRow(entry, this.#maxJsonBytes);
    if ('tooLarge' in row) {
      await this.delete(entry.manifestDigest);
      return { stored: false, reason: row.tooLarge };
    }
    await this.query(
      `INSERT INTO ${this.#s}.inventories (manifest_digest, catalogers_key, format, json_bytes, data, stored_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (manifest_digest) DO UPDATE SET catalogers_key = excluded.catalogers_key, format = excluded.format,
         json_bytes = excluded.json_bytes, data = excluded.data, stored_at = excluded.stored_at`,
      [row.manifest_digest, row.catalogers_key, row.format, row.json_bytes, row.data, row.stored_at],
    );
    return { stored: true, bytes: row.data.length };
  }

  async delete(manifestDigest: Digest): Promise<boolean> {
    const result = await this.query(`DELETE FROM ${this.#s}.inventories WHERE manifest_digest = $1`, [manifestDigest]);
    return (result.rowCount ?? 0) > 0;
  }

  async list(page: Page = {}): Promise<Digest[]> {
    const limit = page.limit === undefined ? null : Math.max(0, Math.floor(page.limit));
    const { rows } = await this.query<{ manifest_digest: string }>(
      `SELECT manifest_digest FROM ${this.#s}.inventories WHERE manifest_digest > $1 ORDER BY manifest_digest LIMIT $2`,
      [page.last ?? '', limit],
    );
    return rows.map((r) => r.manifest_digest as Digest);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (error) {
      throw new ServeError('INTERNAL', `kept inventories (PostgreSQL): ${describe(error)}`, { cause: error });
    }
  }
}

/** Brings the inventory table up to INVENTORY_SCHEMA_VERSION under the schema's advisory lock; returns migrations applied. */
export async function migrate(client: pg.ClientBase, schema: string): Promise<number> {
  const s = quoteSchema(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `inventory:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.inventory_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.inventory_migrations`);
    const current = rows[0]?.version ?? 0;
    if (current > INVENTORY_SCHEMA_VERSION) {
      throw new ServeError('CONFIG_INVALID', `kept inventories schema v${current} in PostgreSQL schema ${schema} is newer than this portcullis (v${INVENTORY_SCHEMA_VERSION})`);
    }
    let applied = 0;
    for (let version = current + 1; version <= INVENTORY_SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version - 1]!(s));
      await client.query(`INSERT INTO ${s}.inventory_migrations (version) VALUES ($1)`, [version]);
      applied++;
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function describe(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return `${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}`;
}
