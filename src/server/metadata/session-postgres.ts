/**
 * The UI's session store (session-store.ts) in PostgreSQL, in the content
 * store's schema (default `portcullis_registry`), on a small pool of its
 * own, versioned apart in `ui_session_migrations` and migrated as the other
 * component stores are (component-postgres.ts). Times are `bigint`
 * milliseconds (node-postgres answers them as text: turned back into
 * numbers here).
 */
import { changed, openComponentPool, PostgresComponentStore, type PostgresComponent, type PostgresOptions } from './component-postgres.js';
import type { UiSessionRecord, UiSessionStore } from './session-store.js';

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.ui_sessions (
      key text COLLATE "C" PRIMARY KEY, user_name text NOT NULL, created_at bigint NOT NULL, last_seen bigint NOT NULL,
      expires_at bigint NOT NULL, idle_ms bigint NOT NULL);
    CREATE INDEX ui_sessions_created ON ${s}.ui_sessions (created_at);
    CREATE INDEX ui_sessions_expires ON ${s}.ui_sessions (expires_at);
  `,
];

export const SESSION_SCHEMA_VERSION = MIGRATIONS.length;

const TABLES: PostgresComponent = { label: 'UI sessions', lock: 'ui-sessions', versionTable: 'ui_session_migrations', migrations: MIGRATIONS, maxConnections: 4 };

interface Row {
  key: string;
  user_name: string;
  created_at: string;
  last_seen: string;
  expires_at: string;
  idle_ms: string;
}

function recordOf(row: Row): UiSessionRecord {
  return { key: row.key, user: row.user_name, createdAt: Number(row.created_at), lastSeen: Number(row.last_seen), expiresAt: Number(row.expires_at), idleMs: Number(row.idle_ms) };
}

export class PostgresSessionStore extends PostgresComponentStore implements UiSessionStore {
  static async open(target: PostgresOptions | string): Promise<PostgresSessionStore> {
    return new PostgresSessionStore(await openComponentPool(target, TABLES));
  }

  async create(session: UiSessionRecord, max: number): Promise<void> {
    const s = this.s;
    await this.db.transaction(async (q) => {
      await q(
        `INSERT INTO ${s}.ui_sessions (key, user_name, created_at, last_seen, expires_at, idle_ms) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (key) DO UPDATE SET user_name = excluded.user_name, created_at = excluded.created_at, last_seen = excluded.last_seen,
         expires_at = excluded.expires_at, idle_ms = excluded.idle_ms`,
        [session.key, session.user, session.createdAt, session.lastSeen, session.expiresAt, session.idleMs],
      );
      await q(`DELETE FROM ${s}.ui_sessions WHERE key IN (SELECT key FROM ${s}.ui_sessions ORDER BY created_at DESC, key DESC OFFSET $1)`, [Math.max(0, Math.floor(max))]);
    });
  }

  async get(key: string, now: number): Promise<UiSessionRecord | undefined> {
    const { rows } = await this.db.query<Row>(`SELECT * FROM ${this.s}.ui_sessions WHERE key = $1 AND expires_at > $2 AND last_seen + idle_ms > $2`, [key, now]);
    return rows[0] ? recordOf(rows[0]) : undefined;
  }

  async touch(key: string, at: number): Promise<void> {
    await this.db.query(`UPDATE ${this.s}.ui_sessions SET last_seen = $1 WHERE key = $2 AND last_seen < $1`, [at, key]);
  }

  async delete(key: string): Promise<boolean> {
    return changed(await this.db.query(`DELETE FROM ${this.s}.ui_sessions WHERE key = $1`, [key]));
  }

  async purgeExpired(now: number, limit: number): Promise<number> {
    const s = this.s;
    const result = await this.db.query(`DELETE FROM ${s}.ui_sessions WHERE key IN (SELECT key FROM ${s}.ui_sessions WHERE expires_at <= $1 OR last_seen + idle_ms <= $1 LIMIT $2)`, [now, Math.max(0, Math.floor(limit))]);
    return result.rowCount ?? 0;
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.s}.ui_sessions`);
    return Number(rows[0]?.n ?? 0);
  }
}
