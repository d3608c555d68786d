/**
 * The AuditStore in PostgreSQL, in the content store's schema (default
 * `portcullis_registry`), on a small pool of its own. Its tables are
 * versioned apart, in `audit_migrations`, and migrated as the identity
 * tables are (component-postgres.ts): in one transaction under a
 * transaction-scoped advisory lock, so several processes starting at once
 * create them exactly once.
 * Every process appends to the one table; ids come from an identity column,
 * so they are unique across processes (and grow with commit order within
 * one). Times are bigint milliseconds; the SQL of queries is the SQLite
 * store's (audit-sqlite.ts `whereOf`) with `$n` placeholders.
 */
import type { AuditEvent } from '../audit/event.js';
import { recordOf, rowOf, whereOf, type AuditRow } from './audit-rows.js';
import { pageLimit, PRUNE_BATCH, type AuditQuery, type AuditRecord, type AuditStore } from './audit-store.js';
import { openComponentPool, PostgresComponentStore, type PostgresComponent, type PostgresOptions } from './component-postgres.js';

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

export const AUDIT_SCHEMA_VERSION = MIGRATIONS.length;

const AUDIT_TABLES: PostgresComponent = {
  label: 'audit log',
  openLabel: 'the audit log',
  lock: 'audit',
  versionTable: 'audit_migrations',
  migrations: MIGRATIONS,
  maxConnections: 2,
};

const COLUMNS = ['time_ms', 'action', 'outcome', 'principal', 'principal_kind', 'ip', 'request_id', 'project', 'repository', 'tag', 'digest', 'detail'] as const;
/** Rows per INSERT statement: 12 parameters each, far under PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 500;

export class PostgresAuditStore extends PostgresComponentStore implements AuditStore {
  static async open(target: PostgresOptions | string): Promise<PostgresAuditStore> {
    return new PostgresAuditStore(await openComponentPool(target, AUDIT_TABLES));
  }

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.transaction(async (q) => {
      for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
        const chunk = events.slice(start, start + ROWS_PER_INSERT);
        const values: unknown[] = [];
        const tuples = chunk.map((event) => {
          const row = rowOf(event);
          const first = values.length;
          for (const column of COLUMNS) values.push(row[column]);
          return `(${COLUMNS.map((_, i) => `$${first + i + 1}`).join(', ')})`;
        });
        await q(`INSERT INTO ${this.s}.audit_events (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, values);
      }
    });
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
    const sql = `SELECT * FROM ${this.s}.audit_events${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY time_ms DESC, id DESC LIMIT $${values.length}`;
    const { rows } = await this.db.query<AuditRow>(sql, values);
    return rows.map(recordOf);
  }

  async prune(beforeMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.db.query(`DELETE FROM ${this.s}.audit_events WHERE id IN (SELECT id FROM ${this.s}.audit_events WHERE time_ms < $1 ORDER BY time_ms LIMIT $2)`, [beforeMs, PRUNE_BATCH]);
      const deleted = result.rowCount ?? 0;
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
    }
  }
}
