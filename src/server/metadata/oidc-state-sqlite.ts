/**
 * The OIDC sign-in store (oidc-state-store.ts) in SQLite: the same file as
 * the other stores (`registry.sqlite`), on a connection of its own,
 * versioned apart (the `oidc-states` row of `schema_components`), as
 * session-sqlite.ts is. `add` runs in an IMMEDIATE transaction (the write
 * lock taken before counting), so two processes on the file cannot both
 * pass a cap; `take` is one DELETE … RETURNING.
 */
import { SqliteComponentStore, type SqliteComponent } from './component-sqlite.js';
import { PURGE_BATCH, type OidcStateAdded, type OidcStateCaps, type OidcStateRecord, type OidcStateStore } from './oidc-state-store.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE oidc_states (
    key TEXT PRIMARY KEY, client TEXT NOT NULL, state TEXT NOT NULL, nonce TEXT NOT NULL, verifier TEXT NOT NULL,
    return_path TEXT NOT NULL, expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX oidc_states_expires ON oidc_states (expires_at);
  CREATE INDEX oidc_states_client ON oidc_states (client, expires_at);
  `,
];

export const OIDC_STATE_SCHEMA_VERSION = MIGRATIONS.length;

const TABLES: SqliteComponent = { name: 'oidc-states', label: 'OIDC sign-ins', migrations: MIGRATIONS };

interface Row {
  key: string;
  client: string;
  state: string;
  nonce: string;
  verifier: string;
  return_path: string;
  expires_at: number;
}

function recordOf(row: Row): OidcStateRecord {
  return { key: row.key, client: row.client, state: row.state, nonce: row.nonce, verifier: row.verifier, returnPath: row.return_path, expiresAt: row.expires_at };
}

export class SqliteOidcStateStore extends SqliteComponentStore implements OidcStateStore {
  readonly #s: ReturnType<SqliteOidcStateStore['prepare']>;

  constructor(path: string) {
    super(path, TABLES);
    this.#s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      insert: db.prepare('INSERT INTO oidc_states (key, client, state, nonce, verifier, return_path, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      liveOfClient: db.prepare<[string, number], { n: number }>('SELECT count(*) AS n FROM oidc_states WHERE client = ? AND expires_at > ?'),
      live: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM oidc_states WHERE expires_at > ?'),
      take: db.prepare<[string], Row>('DELETE FROM oidc_states WHERE key = ? RETURNING *'),
      purge: db.prepare<[number, number]>('DELETE FROM oidc_states WHERE key IN (SELECT key FROM oidc_states WHERE expires_at <= ? LIMIT ?)'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM oidc_states'),
    };
  }

  async add(record: OidcStateRecord, now: number, caps: OidcStateCaps): Promise<OidcStateAdded> {
    return this.db.transaction((): OidcStateAdded => {
      this.#s.purge.run(now, PURGE_BATCH);
      if ((this.#s.liveOfClient.get(record.client, now)?.n ?? 0) >= caps.perClient) return 'client-full';
      if ((this.#s.live.get(now)?.n ?? 0) >= caps.max) return 'full';
      this.#s.insert.run(record.key, record.client, record.state, record.nonce, record.verifier, record.returnPath, record.expiresAt);
      return 'added';
    }).immediate();
  }

  async take(key: string, now: number): Promise<OidcStateRecord | undefined> {
    const row = this.#s.take.get(key);
    return row && row.expires_at > now ? recordOf(row) : undefined;
  }

  async count(): Promise<number> {
    return this.#s.count.get()?.n ?? 0;
  }
}
