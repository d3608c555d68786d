/**
 * The content store's tables in PostgreSQL (repositories, blobs, manifests,
 * tags, scans, leases) and their versions, in `schema_migrations`. Why apart
 * from the store: the DDL and its versioning change on their own schedule.
 * How they get there — one transaction under an advisory lock, so several
 * `portcullis serve` processes starting at once against an empty database
 * create them exactly once — is component-postgres.ts, shared with the
 * stores beside this one; the content store alone looks first without the
 * lock, so that a role without CREATE on the database can open a schema an
 * admin migrated.
 *
 * Tables mirror the SQLite store's; names, tags and digests use `COLLATE "C"`
 * so ordering is by byte value (distribution's order) whatever the
 * database's locale. Timestamps stay the ISO strings the caller gave, JSON
 * stays text, as SQLite keeps them, so records round-trip exactly; the ones
 * compared with `<` (blob touch and claim times, link times, lease expiry)
 * are `COLLATE "C"` too, since an ICU collation sorts `~` (our "no cutoff")
 * before digits.
 */
import type { PostgresComponent } from './component-postgres.js';

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

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The content store's tables, as component-postgres.ts opens and migrates them. */
export const CONTENT_TABLES: PostgresComponent = {
  label: 'registry metadata',
  lock: 'schema',
  versionTable: 'schema_migrations',
  migrations: MIGRATIONS,
};
