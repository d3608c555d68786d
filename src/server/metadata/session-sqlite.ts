/**
 * The UI's session store (session-store.ts) in SQLite: the same file as the
 * other stores (`registry.sqlite`), on a connection of its own, versioned
 * apart (the `ui-sessions` row of `schema_components`), as webhook-sqlite.ts
 * is and for the same reasons. No foreign key to the identity tables: an
 * htpasswd user signs in too, and a deleted account's session is ended by
 * the UI when it next reads the account.
 */
import { SqliteComponentStore, type SqliteComponent } from './component-sqlite.js';
import type { UiSessionRecord, UiSessionStore } from './session-store.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE ui_sessions (
    key TEXT PRIMARY KEY, user_name TEXT NOT NULL, created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL, expires_at INTEGER NOT NULL, idle_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX ui_sessions_created ON ui_sessions (created_at);
  CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);
  `,
];

export const SESSION_SCHEMA_VERSION = MIGRATIONS.length;

const TABLES: SqliteComponent = { name: 'ui-sessions', label: 'UI sessions', migrations: MIGRATIONS };

interface Row {
  key: string;
  user_name: string;
  created_at: number;
  last_seen: number;
  expires_at: number;
  idle_ms: number;
}

function recordOf(row: Row): UiSessionRecord {
  return { key: row.key, user: row.user_name, createdAt: row.created_at, lastSeen: row.last_seen, expiresAt: row.expires_at, idleMs: row.idle_ms };
}

export class SqliteSessionStore extends SqliteComponentStore implements UiSessionStore {
  readonly #s: ReturnType<SqliteSessionStore['prepare']>;

  constructor(path: string) {
    super(path, TABLES);
    this.#s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      create: db.prepare(`INSERT INTO ui_sessions (key, user_name, created_at, last_seen, expires_at, idle_ms) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET user_name = excluded.user_name, created_at = excluded.created_at, last_seen = excluded.last_seen,
        expires_at = excluded.expires_at, idle_ms = excluded.idle_ms`),
      trim: db.prepare<[number]>('DELETE FROM ui_sessions WHERE key IN (SELECT key FROM ui_sessions ORDER BY created_at DESC, key DESC LIMIT -1 OFFSET ?)'),
      get: db.prepare<[string, number, number], Row>('SELECT * FROM ui_sessions WHERE key = ? AND expires_at > ? AND last_seen + idle_ms > ?'),
      touch: db.prepare<[number, string, number]>('UPDATE ui_sessions SET last_seen = ? WHERE key = ? AND last_seen < ?'),
      delete: db.prepare<[string]>('DELETE FROM ui_sessions WHERE key = ?'),
      purge: db.prepare<[number, number, number]>('DELETE FROM ui_sessions WHERE key IN (SELECT key FROM ui_sessions WHERE expires_at <= ? OR last_seen + idle_ms <= ? LIMIT ?)'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM ui_sessions'),
    };
  }

  async create(session: UiSessionRecord, max: number): Promise<void> {
    this.db.transaction(() => {
      this.#s.create.run(session.key, session.user, session.createdAt, session.lastSeen, session.expiresAt, session.idleMs);
      this.#s.trim.run(Math.max(0, Math.floor(max)));
    })();
  }

  async get(key: string, now: number): Promise<UiSessionRecord | undefined> {
    const row = this.#s.get.get(key, now, now);
    return row ? recordOf(row) : undefined;
  }

  async touch(key: string, at: number): Promise<void> {
    this.#s.touch.run(at, key, at);
  }

  async delete(key: string): Promise<boolean> {
    return this.#s.delete.run(key).changes > 0;
  }

  async purgeExpired(now: number, limit: number): Promise<number> {
    return this.#s.purge.run(now, now, Math.max(0, Math.floor(limit))).changes;
  }

  async count(): Promise<number> {
    return this.#s.count.get()?.n ?? 0;
  }
}
