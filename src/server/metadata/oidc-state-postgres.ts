/**
 * The OIDC sign-in store (oidc-state-store.ts) in PostgreSQL, in the content
 * store's schema (default `portcullis_registry`), on a small pool of its
 * own, versioned apart in `oidc_state_migrations` (component-postgres.ts).
 * `add` counts and inserts under a transaction-scoped advisory lock, so
 * processes adding at once cannot both pass a cap (READ COMMITTED alone
 * would let them); `take` is one DELETE … RETURNING, so of processes racing
 * on one record exactly one gets it. Times are `bigint` milliseconds
 * (node-postgres answers them as text: turned back into numbers here).
 */
import { LOCK_CLASS, openComponentPool, PostgresComponentStore, type PostgresComponent, type PostgresOptions } from './component-postgres.js';
import { PURGE_BATCH, type OidcStateAdded, type OidcStateCaps, type OidcStateRecord, type OidcStateStore } from './oidc-state-store.js';

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.oidc_states (
      key text COLLATE "C" PRIMARY KEY, client text NOT NULL, state text NOT NULL, nonce text NOT NULL, verifier text NOT NULL,
      return_path text NOT NULL, expires_at bigint NOT NULL);
    CREATE INDEX oidc_states_expires ON ${s}.oidc_states (expires_at);
    CREATE INDEX oidc_states_client ON ${s}.oidc_states (client, expires_at);
  `,
];

export const OIDC_STATE_SCHEMA_VERSION = MIGRATIONS.length;

const TABLES: PostgresComponent = { label: 'OIDC sign-ins', lock: 'oidc-states', versionTable: 'oidc_state_migrations', migrations: MIGRATIONS, maxConnections: 4 };

interface Row {
  key: string;
  client: string;
  state: string;
  nonce: string;
  verifier: string;
  return_path: string;
  expires_at: string;
}

function recordOf(row: Row): OidcStateRecord {
  return { key: row.key, client: row.client, state: row.state, nonce: row.nonce, verifier: row.verifier, returnPath: row.return_path, expiresAt: Number(row.expires_at) };
}

export class PostgresOidcStateStore extends PostgresComponentStore implements OidcStateStore {
  static async open(target: PostgresOptions | string): Promise<PostgresOidcStateStore> {
    return new PostgresOidcStateStore(await openComponentPool(target, TABLES));
  }

  async add(record: OidcStateRecord, now: number, caps: OidcStateCaps): Promise<OidcStateAdded> {
    const s = this.s;
    return this.db.transaction(async (q): Promise<OidcStateAdded> => {
      await q('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `oidc-states-add:${s}`]);
      await q(`DELETE FROM ${s}.oidc_states WHERE key IN (SELECT key FROM ${s}.oidc_states WHERE expires_at <= $1 LIMIT $2)`, [now, PURGE_BATCH]);
      const client = await q(`SELECT count(*) AS n FROM ${s}.oidc_states WHERE client = $1 AND expires_at > $2`, [record.client, now]);
      if (Number((client.rows[0] as { n: string } | undefined)?.n ?? 0) >= caps.perClient) return 'client-full';
      const live = await q(`SELECT count(*) AS n FROM ${s}.oidc_states WHERE expires_at > $1`, [now]);
      if (Number((live.rows[0] as { n: string } | undefined)?.n ?? 0) >= caps.max) return 'full';
      await q(
        `INSERT INTO ${s}.oidc_states (key, client, state, nonce, verifier, return_path, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [record.key, record.client, record.state, record.nonce, record.verifier, record.returnPath, record.expiresAt],
      );
      return 'added';
    });
  }

  async take(key: string, now: number): Promise<OidcStateRecord | undefined> {
    const { rows } = await this.db.query<Row>(`DELETE FROM ${this.s}.oidc_states WHERE key = $1 RETURNING *`, [key]);
    const row = rows[0];
    return row && Number(row.expires_at) > now ? recordOf(row) : undefined;
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.s}.oidc_states`);
    return Number(rows[0]?.n ?? 0);
  }
}
