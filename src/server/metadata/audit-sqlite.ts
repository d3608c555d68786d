/**
 * The AuditStore in SQLite: the same file as the content and identity stores
 * (`registry.sqlite`), on a connection of its own, its tables versioned in
 * the `audit` row of `schema_components` (as identity-sqlite.ts versions
 * its own), so the three stores migrate independently and each refuses a
 * database from a newer portcullis. Times are kept as integer milliseconds,
 * so the (time_ms, id) order is numeric; `id` is the rowid.
 */
import type Database from 'better-sqlite3';
import type { AuditEvent } from '../audit/event.js';
import { recordOf, rowOf, whereOf, type AuditRow } from './audit-rows.js';
import { pageLimit, PRUNE_BATCH, type AuditQuery, type AuditRecord, type AuditStore } from './audit-store.js';
import { SqliteComponentStore, type SqliteComponent } from './component-sqlite.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL,
    principal TEXT NOT NULL, principal_kind TEXT NOT NULL, ip TEXT, request_id TEXT,
    project TEXT, repository TEXT, tag TEXT, digest TEXT, detail TEXT
  );
  CREATE INDEX audit_events_time ON audit_events (time_ms, id);
  CREATE INDEX audit_events_project ON audit_events (project, time_ms, id);
  CREATE INDEX audit_events_principal ON audit_events (principal, time_ms, id);
  CREATE INDEX audit_events_action ON audit_events (action, time_ms, id);
  `,
];

export const AUDIT_SCHEMA_VERSION = MIGRATIONS.length;

const TABLES: SqliteComponent = { name: 'audit', label: 'audit log', openLabel: 'the audit log', migrations: MIGRATIONS };

export class SqliteAuditStore extends SqliteComponentStore implements AuditStore {
  readonly #insert: Database.Statement;
  readonly #prune: Database.Statement<[number, number]>;
  /** Prepared queries by their SQL: a query has one of a few hundred shapes at most (which filters are set). */
  readonly #queries = new Map<string, Database.Statement<unknown[], AuditRow>>();

  constructor(path: string) {
    super(path, TABLES);
    this.#insert = this.db.prepare(`INSERT INTO audit_events (time_ms, action, outcome, principal, principal_kind, ip, request_id, project, repository, tag, digest, detail)
      VALUES (@time_ms, @action, @outcome, @principal, @principal_kind, @ip, @request_id, @project, @repository, @tag, @digest, @detail)`);
    this.#prune = this.db.prepare('DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE time_ms < ? ORDER BY time_ms LIMIT ?)');
  }

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.db.transaction(() => {
      for (const event of events) this.#insert.run(rowOf(event));
    })();
  }

  async query(query: AuditQuery): Promise<AuditRecord[]> {
    const limit = pageLimit(query);
    if (limit === 0 || (query.projects !== undefined && query.projects.length === 0)) return [];
    const { where, values } = whereOf(query, () => '?', (list) => ({ sql: 'project IN (SELECT value FROM json_each(?))', value: JSON.stringify(list) }));
    const sql = `SELECT * FROM audit_events${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY time_ms DESC, id DESC LIMIT ?`;
    let statement = this.#queries.get(sql);
    if (!statement) this.#queries.set(sql, (statement = this.db.prepare<unknown[], AuditRow>(sql)));
    values.push(limit);
    // A few bound values (at most twelve), never input-sized: passed as one array.
    return statement.all(values).map(recordOf);
  }

  async prune(beforeMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = this.#prune.run(beforeMs, PRUNE_BATCH).changes;
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
      // Let requests in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
