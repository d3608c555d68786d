/**
 * The registry's tables in PostgreSQL and how they get there. Why apart from
 * the store: the DDL and its versioning change on their own schedule, and the
 * one hard part — several `portcullis serve` processes starting at once
 * against an empty database — is settled here: every migration runs in one
 * transaction that first takes a transaction-scoped advisory lock on the
 * schema name, so exactly one process creates the schema and the others,
 * waiting on the lock, find it done.
 *
 * Everything lives in its own PostgreSQL schema (default `portcullis_registry`)
 * with a `schema_migrations` table listing the versions applied. Tables mirror
 * the SQLite store's; names, tags and digests use `COLLATE "C"` so ordering is
 * by byte value (distribution's order) whatever the database's locale.
 * Timestamps stay the ISO strings the caller gave, JSON stays text, as SQLite
 * keeps them, so records round-trip exactly; the ones compared with `<`
 * (blob touch and claim times, link times, lease expiry) are `COLLATE "C"` too, since an
 * ICU collation sorts `~` (our "no cutoff") before digits.
 */
import type pg from 'pg';
import { ServeError } from '../errors.js';

export const SCHEMA_VERSION = 2;
export const DEFAULT_SCHEMA = 'portcullis_registry';
/** First key of every advisory lock we take ("port"); the second is a hash of a name. */
export const LOCK_CLASS = 0x706f7274;

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.repositories (name text COLLATE "C" PRIMARY KEY, created_at text NOT NULL);
    CREATE TABLE ${s}.blobs (digest text COLLATE "C" PRIMARY KEY);
    CREATE TABLE ${s}.blob_links (
      repository text COLLATE "C" NOT NULL, digest text COLLATE "C" NOT NULL, PRIMARY KEY (repository, digest));
    CREATE INDEX blob_links_digest ON ${s}.blob_links (digest);
    CREATE TABLE ${s}.manifests (
      repository text COLLATE "C" NOT NULL, digest text COLLATE "C" NOT NULL, media_type text NOT NULL, size bigint NOT NULL,
      artifact_type text, subject text COLLATE "C", annotations text, pushed_at text NOT NULL,
      PRIMARY KEY (repository, digest));
    CREATE INDEX manifests_digest ON ${s}.manifests (digest);
    CREATE INDEX manifests_subject ON ${s}.manifests (repository, subject);
    CREATE TABLE ${s}.manifest_refs (
      repository text COLLATE "C" NOT NULL, manifest text COLLATE "C" NOT NULL, ord integer NOT NULL, digest text COLLATE "C" NOT NULL,
      PRIMARY KEY (repository, manifest, ord));
    CREATE INDEX manifest_refs_digest ON ${s}.manifest_refs (digest);
    CREATE TABLE ${s}.tags (
      repository text COLLATE "C" NOT NULL, tag text COLLATE "C" NOT NULL, digest text COLLATE "C" NOT NULL, updated_at text NOT NULL,
      PRIMARY KEY (repository, tag));
    CREATE INDEX tags_digest ON ${s}.tags (repository, digest);
    CREATE TABLE ${s}.scans (
      manifest_digest text COLLATE "C" PRIMARY KEY, state text NOT NULL, database_digest text, counts text,
      result text, error text, updated_at text NOT NULL);
  `,
  // 2: the blob lifecycle (garbage collection), untagged times, repository versions (retention), leases.
  (s) => `
    ALTER TABLE ${s}.blobs ADD COLUMN state text NOT NULL DEFAULT 'live', ADD COLUMN epoch bigint NOT NULL DEFAULT 0,
      ADD COLUMN size bigint, ADD COLUMN touched_at text COLLATE "C", ADD COLUMN claimed_at text COLLATE "C";
    CREATE INDEX blobs_claimed ON ${s}.blobs (state, claimed_at);
    ALTER TABLE ${s}.manifests ADD COLUMN untagged_at text COLLATE "C";
    UPDATE ${s}.manifests m SET untagged_at = pushed_at
      WHERE NOT EXISTS (SELECT 1 FROM ${s}.tags t WHERE t.repository = m.repository AND t.digest = m.digest);
    ALTER TABLE ${s}.repositories ADD COLUMN version bigint NOT NULL DEFAULT 0;
    ALTER TABLE ${s}.blob_links ADD COLUMN linked_at text COLLATE "C";
    CREATE SEQUENCE ${s}.blob_epoch;
    CREATE TABLE ${s}.leases (name text COLLATE "C" PRIMARY KEY, holder text NOT NULL, expires_at text COLLATE "C" NOT NULL);
  `,
];

/** A schema name we can splice into SQL: lower-case identifier characters only. */
export function quoteSchema(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new ServeError('CONFIG_INVALID', `invalid PostgreSQL schema name "${name}"`);
  return `"${name}"`;
}

/**
 * Brings `schema` up to SCHEMA_VERSION under the advisory lock; returns how
 * many migrations this call applied (0 when another process got there first).
 * A database migrated by a newer portcullis is refused (CONFIG_INVALID).
 */
export async function migrate(client: pg.ClientBase, schema: string): Promise<number> {
  const s = quoteSchema(schema);
  // Fast path, and the one a role without CREATE on the database takes once an admin migrated: already current.
  const { rows: present } = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [`${s}.schema_migrations`]);
  if (present[0]?.found) {
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.schema_migrations`);
    if ((rows[0]?.version ?? 0) === SCHEMA_VERSION) return 0;
  }
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `schema:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.schema_migrations`);
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new ServeError('CONFIG_INVALID', `registry metadata schema v${current} in PostgreSQL schema ${schema} is newer than this portcullis (v${SCHEMA_VERSION})`);
    }
    let applied = 0;
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      const ddl = MIGRATIONS[version - 1];
      if (!ddl) throw new ServeError('INTERNAL', `no migration to schema v${version}`);
      await client.query(ddl(s));
      await client.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [version]);
      applied++;
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
