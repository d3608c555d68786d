/**
 * What every PostgreSQL store of `portcullis serve` shares: the content store
 * (postgres.ts) and the component stores beside it (identity, webhooks, kept
 * inventories, the audit log) keep their tables in one PostgreSQL schema
 * (default `portcullis_registry`), each on a pool of its own and each
 * versioned apart in a table of its own (`schema_migrations`,
 * `identity_migrations`, …), so that one store's migrations never wait for
 * another's. Why one helper: opening, migrating and wrapping errors are the
 * same logic for all five; only the names, the DDL and the words of the
 * messages differ, and those are a `PostgresComponent`.
 *
 * Several `portcullis serve` processes starting at once against an empty
 * database must create each store's tables exactly once: every migration
 * runs in one transaction that first takes a transaction-scoped advisory
 * lock on the component and the schema name, so exactly one process creates
 * them and the others, waiting on the lock, find them done. A database
 * migrated by a newer portcullis is refused (CONFIG_INVALID).
 */
import pg from 'pg';
import { ServeError } from '../errors.js';
import type { Page } from './store.js';

export const DEFAULT_SCHEMA = 'portcullis_registry';
/** First key of every advisory lock we take ("port"); the second is a hash of a name. */
export const LOCK_CLASS = 0x706f7274;

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (`?sslmode=…` works); or leave it out and give `pool`. */
  readonly connectionString?: string;
  /** Any other node-postgres pool settings (ssl, max, …). */
  readonly pool?: pg.PoolConfig;
  /** PostgreSQL schema holding the tables (default `portcullis_registry`). */
  readonly schema?: string;
}

/** One store's tables in the shared schema: how they are versioned and locked, and what messages call them. */
export interface PostgresComponent {
  /** What messages call it: `registry accounts` ("registry accounts in PostgreSQL schema …: schema version 3 is newer …", "registry accounts (PostgreSQL): …"). */
  readonly label: string;
  /** As "cannot open … in PostgreSQL" says it, when not `label`: `the audit log`. */
  readonly openLabel?: string;
  /** Second key of its advisory lock, hashed with `:<schema>` after it: `identity`. */
  readonly lock: string;
  /** The table listing the versions applied: `identity_migrations`. */
  readonly versionTable: string;
  /** Version n is reached by running the first n, in order, on the quoted schema name; the current version is their count. */
  readonly migrations: ReadonlyArray<(s: string) => string>;
  /** Connections in its pool unless the caller's `pool` settings say (default: node-postgres's). */
  readonly maxConnections?: number;
}

export type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/** SQLSTATEs worth a retry: serialization_failure, deadlock_detected. */
const RETRYABLE = new Set(['40001', '40P01']);

/** A store's pool on its schema, whose errors are ServeErrors that name the store. */
export class ComponentPool {
  /** The schema, quoted, to splice into SQL. */
  readonly s: string;
  /** Migrations opening it applied (0 when the tables were already current). */
  readonly migrationsApplied: number;
  readonly #pool: pg.Pool;
  readonly #label: string;

  constructor(pool: pg.Pool, schema: string, label: string, migrationsApplied = 0) {
    this.#pool = pool;
    this.s = quoteSchema(schema);
    this.#label = label;
    this.migrationsApplied = migrationsApplied;
  }

  /** One statement, autocommitted. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (error) {
      throw this.#failure(error);
    }
  }

  /** `work` inside BEGIN … COMMIT on one connection; retried a few times on deadlock or serialization failure. */
  async transaction<T>(work: (q: Query) => Promise<T>, isolation?: 'REPEATABLE READ READ ONLY'): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw this.#failure(error);
      }
      try {
        await client.query(isolation ? `BEGIN ISOLATION LEVEL ${isolation}` : 'BEGIN');
        const result = await work((text, values) => client.query(text, values));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const sqlState = (error as { code?: string }).code;
        if (attempt < 4 && sqlState !== undefined && RETRYABLE.has(sqlState)) continue;
        throw this.#failure(error);
      } finally {
        client.release();
      }
    }
  }

  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }

  #failure(error: unknown): ServeError {
    if (error instanceof ServeError) return error;
    return new ServeError('INTERNAL', `${this.#label} (PostgreSQL): ${describe(error)}`, { cause: error });
  }
}

/** A component store (identity, webhooks, …) on its pool: `db`, and `s` its quoted schema to splice into SQL. */
export abstract class PostgresComponentStore {
  protected readonly db: ComponentPool;
  protected readonly s: string;

  /** Protected: a store is made by its `open`, which migrates first. */
  protected constructor(db: ComponentPool) {
    this.db = db;
    this.s = db.s;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/**
 * Connects, creates or upgrades the component's tables (once, however many
 * processes start together) and returns its pool; CONFIG_INVALID when it
 * cannot, with the pool ended.
 */
export async function openComponentPool(target: PostgresOptions | string, component: PostgresComponent): Promise<ComponentPool> {
  const options: PostgresOptions = typeof target === 'string' ? { connectionString: target } : target;
  const schema = options.schema ?? DEFAULT_SCHEMA;
  quoteSchema(schema);
  const pool = new pg.Pool({
    ...(component.maxConnections !== undefined ? { max: component.maxConnections } : {}),
    ...options.pool,
    ...(options.connectionString ? { connectionString: options.connectionString } : {}),
  });
  // An idle pooled connection that dies (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      return new ComponentPool(pool, schema, component.label, await migrateComponent(client, schema, component));
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof ServeError) throw error;
    throw new ServeError('CONFIG_INVALID', `cannot open ${component.openLabel ?? component.label} in PostgreSQL: ${describe(error)}`, { cause: error });
  }
}

/**
 * Brings the component's tables in `schema` up to date under its advisory
 * lock; returns how many migrations this call applied (0 when another
 * process got there first). Tables from a newer portcullis are refused.
 */
async function migrateComponent(client: pg.ClientBase, schema: string, component: PostgresComponent): Promise<number> {
  const s = quoteSchema(schema);
  const versions = `${s}.${component.versionTable}`;
  const latest = component.migrations.length;
  // Look first, without the lock, and stop there when already current: the way a role without CREATE
  // on the database opens a schema an admin migrated (every component, as the content store always did).
  const { rows: present } = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [versions]);
  if (present[0]?.found && (await currentVersion(client, versions)) === latest) return 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `${component.lock}:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${versions} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const current = await currentVersion(client, versions);
    if (current > latest) {
      throw new ServeError('CONFIG_INVALID', `${component.label} in PostgreSQL schema ${schema}: schema version ${current} is newer than this portcullis supports (${latest}): upgrade portcullis`);
    }
    for (let version = current + 1; version <= latest; version++) {
      await client.query(component.migrations[version - 1]!(s));
      await client.query(`INSERT INTO ${versions} (version) VALUES ($1)`, [version]);
    }
    await client.query('COMMIT');
    return latest - current;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function currentVersion(client: pg.ClientBase, versions: string): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${versions}`);
  return rows[0]?.version ?? 0;
}

/** A schema name we can splice into SQL: lower-case identifier characters only. */
export function quoteSchema(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new ServeError('CONFIG_INVALID', `invalid PostgreSQL schema name "${name}"`);
  return `"${name}"`;
}

/** Whether the statement changed a row. */
export function changed(result: pg.QueryResult): boolean {
  return (result.rowCount ?? 0) > 0;
}

/** PostgreSQL reads LIMIT NULL as "no limit". */
export function limitOf(page: Page): number | null {
  return page.limit === undefined ? null : Math.max(0, Math.floor(page.limit));
}

/** The server's message and SQLSTATE, or the connection error; node-postgres never puts the password in either. */
export function describe(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return `${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}`;
}
