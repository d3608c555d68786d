/**
 * The AuditStore in PostgreSQL, in the content store's schema (default
 * `portcullis_registry`), on a small pool of its own. Its tables are
 * versioned apart, in `audit_migrations`, and migrated as identity-postgres.ts
 * migrates its own: in one transaction under a transaction-scoped advisory
 * lock, so several processes starting at once create them exactly once.
 * Every process appends to the one table; ids come from an identity column,
 * so they are unique across processes (and grow with commit order within
 * one). Times are bigint milliseconds; the SQL of queries is the SQLite
 * store's (audit-sqlite.ts `whereOf`) with `$n` placeholders.
 */
import pg from 'pg';
import type { AuditEvent } from '../audit/event.js';
import { ServeError } from '../errors.js';
import { recordOf, rowOf, whereOf, type AuditRow } from './audit-rows.js';
import { pageLimit, PRUNE_BATCH, type AuditQuery, type AuditRecord, type AuditStore } from './audit-store.js';
import { DEFAULT_SCHEMA, LOCK_CLASS, quoteSchema } from './postgres-schema.js';

export const AUDIT_SCHEMA_VERSION = 1;

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.audit_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, time_ms bigint NOT NULL, action text NOT NULL, outcome text NOT NULL,
      principal text NOT NULL, principal_kind text NOT NULL, ip text, request_id text,
      project text, repository text, tag text, digest text, detail text);
    CREATE INDEX audit_events_time ON ${s}.audit_events (time_ms, id);
    CREATE INDEX audit_events_project ON ${s}.audit_events (project, time_ms, id);
    CREATE INDEX audit_events_principal ON ${s}.audit_events (principal, time_ms, id);
    CREATE INDEX audit_events_action ON ${s}.audit_events (action, time_ms, id);
  `,
];

const COLUMNS = ['time_ms', 'action', 'outcome', 'principal', 'principal_kind', 'ip', 'request_id', 'project', 'repository', 'tag', 'digest', 'detail'] as const;
/** Rows per INSERT statement: 12 parameters each, far under PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 500;

export interface PostgresAuditOptions {
  readonly connectionString?: string;
  readonly pool?: pg.PoolConfig;
  readonly schema?: string;
}

export class PostgresAuditStore implements AuditStore {
  readonly #pool: pg.Pool;
  readonly #s: string;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.#s = quoteSchema(schema);
  }

  static async open(target: PostgresAuditOptions | string): Promise<PostgresAuditStore> {
    const options: PostgresAuditOptions = typeof target === 'string' ? { connectionString: target } : target;
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
      return new PostgresAuditStore(pool, schema);
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof ServeError) throw error;
      throw new ServeError('CONFIG_INVALID', `cannot open the audit log in PostgreSQL: ${describe(error)}`, { cause: error });
    }
  }

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const client = await this.#connect();
    try {
      await client.query('BEGIN');
      for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
        const chunk = events.slice(start, start + ROWS_PER_INSERT);
        const values: unknown[] = [];
        const tuples = chunk.map((event) => {
          const row = rowOf(event);
          const first = values.length;
          for (const column of COLUMNS) values.push(row[column]);
          return `(${COLUMNS.map((_, i) => `$${first + i + 1}`).join(', ')})`;
        });
        await client.query(`INSERT INTO ${this.#s}.audit_events (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, values);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new ServeError('INTERNAL', `audit log (PostgreSQL): ${describe(error)}`, { cause: error });
    } finally {
      client.release();
    }
  }

  async query(query: AuditQuery): Promise<AuditRecord[]> {
    const limit = pageLimit(query);
    if (limit === 0 || (query.projects !== undefined && query.projects.length === 0)) return [];
    const { where, values } = whereOf(
      query,
      (n) => `$${n}`,
      (list, placeholder) => ({ sql: `project = ANY(${placeholder}::text[])`, value: [...list] }),
    );
    values.push(limit);
    const sql = `SELECT * FROM ${this.#s}.audit_events${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY time_ms DESC, id DESC LIMIT $${values.length}`;
    const { rows } = await this.#query<AuditRow>(sql, values);
    return rows.map(recordOf);
  }

  async prune(beforeMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.#query(`DELETE FROM ${this.#s}.audit_events WHERE id IN (SELECT id FROM ${this.#s}.audit_events WHERE time_ms < $1 ORDER BY time_ms LIMIT $2)`, [beforeMs, PRUNE_BATCH]);
      const deleted = result.rowCount ?? 0;
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #connect(): Promise<pg.PoolClient> {
    try {
      return await this.#pool.connect();
    } catch (error) {
      throw new ServeError('INTERNAL', `audit log (PostgreSQL): ${describe(error)}`, { cause: error });
    }
  }

  async #query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (error) {
      throw new ServeError('INTERNAL', `audit log (PostgreSQL): ${describe(error)}`, { cause: error });
    }
  }
}

/** Brings the audit tables up to AUDIT_SCHEMA_VERSION under the schema's advisory lock; returns migrations applied. */
export async function migrate(client: pg.ClientBase, schema: string): Promise<number> {
  const s = quoteSchema(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `audit:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.audit_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.audit_migrations`);
    const current = rows[0]?.version ?? 0;
    if (current > AUDIT_SCHEMA_VERSION) {
      throw new ServeError('CONFIG_INVALID', `audit log schema v${current} in PostgreSQL schema ${schema} is newer than this portcullis (v${AUDIT_SCHEMA_VERSION})`);
    }
    let applied = 0;
    for (let version = current + 1; version <= AUDIT_SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version - 1]!(s));
      await client.query(`INSERT INTO ${s}.audit_migrations (version) VALUES ($1)`, [version]);
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
