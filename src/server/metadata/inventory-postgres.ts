/**
 * The InventoryStore in PostgreSQL, in the content store's schema (default
 * `portcullis_registry`), on a small pool of its own; its table is versioned
 * in `inventory_migrations` and migrated under a transaction-scoped advisory
 * lock, as identity-postgres.ts does, so several processes starting at once
 * create it exactly once. Digests use `COLLATE "C"` (byte order, as SQLite).
 */
import pg from 'pg';
import type { Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';
import type { InventoryStore, StoredInventory } from './inventory-store.js';
import { DEFAULT_SCHEMA, LOCK_CLASS, quoteSchema } from './postgres-schema.js';

export const INVENTORY_SCHEMA_VERSION = 1;

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `CREATE TABLE ${s}.inventories (manifest_digest text COLLATE "C" PRIMARY KEY, document bytea NOT NULL, saved_at text NOT NULL);`,
];

export interface PostgresInventoryOptions {
  readonly connectionString?: string;
  readonly pool?: pg.PoolConfig;
  /** The content store's schema (default `portcullis_registry`). */
  readonly schema?: string;
}

export class PostgresInventoryStore implements InventoryStore {
  readonly #pool: pg.Pool;
  readonly #s: string;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.#s = quoteSchema(schema);
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
      return new PostgresInventoryStore(pool, schema);
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof ServeError) throw error;
      throw new ServeError('CONFIG_INVALID', `cannot open the package inventories in PostgreSQL: ${describe(error)}`, { cause: error });
    }
  }

  async put(digest: Digest, document: Buffer, savedAt: string): Promise<void> {
    await this.query(
      `INSERT INTO ${this.#s}.inventories (manifest_digest, document, saved_at) VALUES ($1, $2, $3)
       ON CONFLICT (manifest_digest) DO UPDATE SET document = excluded.document, saved_at = excluded.saved_at`,
      [digest, document, savedAt],
    );
  }

  async get(digest: Digest): Promise<StoredInventory | undefined> {
    const { rows } = await this.query<{ document: Buffer; saved_at: string }>(`SELECT document, saved_at FROM ${this.#s}.inventories WHERE manifest_digest = $1`, [digest]);
    return rows[0] ? { document: rows[0].document, savedAt: rows[0].saved_at } : undefined;
  }

  async list(after: string, limit: number): Promise<Digest[]> {
    const { rows } = await this.query<{ manifest_digest: string }>(
      `SELECT manifest_digest FROM ${this.#s}.inventories WHERE manifest_digest > $1 ORDER BY manifest_digest LIMIT $2`,
      [after, Math.max(0, Math.floor(limit))],
    );
    return rows.map((r) => r.manifest_digest as Digest);
  }

  async delete(digest: Digest): Promise<boolean> {
    return ((await this.query(`DELETE FROM ${this.#s}.inventories WHERE manifest_digest = $1`, [digest])).rowCount ?? 0) > 0;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (error) {
      throw new ServeError('INTERNAL', `package inventories (PostgreSQL): ${describe(error)}`, { cause: error });
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
      throw new ServeError('CONFIG_INVALID', `package inventory schema v${current} in PostgreSQL schema ${schema} is newer than this portcullis (v${INVENTORY_SCHEMA_VERSION})`);
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
