/**
 * The PostgreSQL advisory store's tables and their migrations. Only what
 * matching and bookkeeping read is kept in columns: `records` (one per (id,
 * feed, scope), the record whole as JSON in `body`, its content hash),
 * `aliases` (kind `alias` | `upstream`), `match_entries` (the SQLite store's
 * match table: each affected entry with its advisory id and withdrawn flag),
 * `sources` (per-feed bookkeeping), `meta` (key/value) and, since v2, `kev`
 * and `epss` (exploitation data by CVE); since v3 `records.facts`, with
 * `body` NULL when facts and match rows give it back (postgres-upsert.ts). Text that is
 * sorted or compared uses the "C" collation (bytes), which is how SQLite
 * orders: both stores answer in the same order.
 *
 * Several processes (two `serve`s and a `db import`) opening an empty
 * database at once must create the tables exactly once: the migrations run
 * in one transaction that first takes a transaction-scoped advisory lock on
 * the schema name. A schema migrated by a newer portcullis is refused
 * (DB_TOO_NEW). Written here, not with the registry's helper
 * (server/metadata/component-postgres.ts), because core libraries never
 * import the server; the logic is the same.
 */
import type pg from 'pg';
import { StoreError } from './store.js';

export const DEFAULT_ADVISORY_SCHEMA = 'portcullis_advisories';
/** First key of every advisory lock portcullis takes ("port"), as the registry's stores do. */
export const LOCK_CLASS = 0x706f7274;

/** Version n is reached by running the first n in order on the quoted schema name. */
export const PG_MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.records (
      pk bigserial PRIMARY KEY,
      id text COLLATE "C" NOT NULL, feed text COLLATE "C" NOT NULL, scope text COLLATE "C" NOT NULL,
      modified text COLLATE "C", withdrawn text, content_hash text NOT NULL, body text NOT NULL,
      UNIQUE (id, feed, scope)
    );
    CREATE TABLE ${s}.aliases (record bigint NOT NULL, kind text NOT NULL, alias text COLLATE "C" NOT NULL);
    CREATE INDEX aliases_record ON ${s}.aliases (record);
    CREATE INDEX aliases_alias ON ${s}.aliases (alias);
    CREATE TABLE ${s}.match_entries (
      record bigint NOT NULL, ord integer NOT NULL, ecosystem text COLLATE "C" NOT NULL, package text COLLATE "C" NOT NULL,
      advisory text COLLATE "C" NOT NULL, withdrawn boolean NOT NULL,
      ranges text NOT NULL, versions text, fixed text, status text NOT NULL, source_record text NOT NULL, purl text
    );
    CREATE INDEX match_entries_record ON ${s}.match_entries (record);
    CREATE INDEX match_entries_package ON ${s}.match_entries (ecosystem, package);
    CREATE TABLE ${s}.sources (feed text COLLATE "C" PRIMARY KEY, last_import text, last_change text, data_date text);
    CREATE TABLE ${s}.meta (key text PRIMARY KEY, value text NOT NULL);
  `,
  // v2: CISA KEV and EPSS by CVE, as the SQLite store's schema v4 keeps them (postgres-exploit.ts).
  (s) => `
    CREATE TABLE ${s}.kev (
      cve text COLLATE "C" PRIMARY KEY, date_added text NOT NULL, due_date text, ransomware text,
      vendor text, product text, name text, required_action text
    );
    CREATE TABLE ${s}.epss (cve text COLLATE "C" PRIMARY KEY, probability double precision NOT NULL, percentile double precision NOT NULL);
  `,
  // v3: a record's body may be NULL, rebuilt from its facts (the body without `affected`) and its match rows
  // (body.ts, as SQLite does since its v6). A bump, so that portcullis reading v2 (which needs every body)
  // refuses the schema (DB_TOO_NEW) instead of failing on a NULL. Rows written before keep their body.
  (s) => `
    ALTER TABLE ${s}.records ADD COLUMN facts text;
    ALTER TABLE ${s}.records ALTER COLUMN body DROP NOT NULL;
  `,
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

export function quoteSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new StoreError('DB_OPEN_FAILED', `invalid PostgreSQL schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _`);
  return `"${schema}"`;
}

/** The lock every migration and every import takes, so that imports into one schema run one at a time. */
export function schemaLock(schema: string, purpose: 'migrate' | 'import'): [number, string] {
  return [LOCK_CLASS, `advisories-${purpose}:${schema}`];
}

/** Brings the tables in `schema` up to date under the lock; returns the version now there. */
export async function migratePostgres(client: pg.ClientBase, schema: string): Promise<number> {
  const s = quoteSchema(schema);
  const versions = `${s}.advisory_migrations`;
  const { rows: present } = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [versions]);
  if (present[0]?.found) {
    const current = await currentVersion(client, versions);
    if (current > PG_SCHEMA_VERSION) throw tooNew(schema, current);
    if (current === PG_SCHEMA_VERSION) return current;
  }
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', schemaLock(schema, 'migrate'));
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${versions} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const current = await currentVersion(client, versions);
    if (current > PG_SCHEMA_VERSION) throw tooNew(schema, current);
    for (let version = current + 1; version <= PG_SCHEMA_VERSION; version++) {
      await client.query(PG_MIGRATIONS[version - 1]!(s));
      await client.query(`INSERT INTO ${versions} (version) VALUES ($1)`, [version]);
    }
    await client.query('COMMIT');
    return PG_SCHEMA_VERSION;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function tooNew(schema: string, version: number): StoreError {
  return new StoreError('DB_TOO_NEW', `advisory database in PostgreSQL schema ${schema}: schema v${version} is newer than this portcullis (v${PG_SCHEMA_VERSION}); upgrade portcullis`);
}

async function currentVersion(client: pg.ClientBase, versions: string): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${versions}`);
  return rows[0]?.version ?? 0;
}
