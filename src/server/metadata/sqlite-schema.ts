/**
 * The SQLite store's tables and how a file gets them: opened with WAL (readers
 * beside the one writer) and a busy timeout, as every store of the file is
 * (component-sqlite.ts), then migrated up to
 * SCHEMA_VERSION in one IMMEDIATE transaction that reads the version again
 * under the write lock, so two processes opening one old file migrate it once.
 * A file from a newer portcullis is refused. Why apart from the store: the DDL
 * and its versioning change on their own schedule (as postgres-schema.ts for
 * PostgreSQL).
 *
 * Schema versions (`user_version`): 1, the first; 2 adds the blob lifecycle
 * columns, links' `linked_at`, manifests' `untagged_at`, repositories' `version` (bumped by every
 * change to its manifests or tags, so retention can apply a plan only to the
 * state it was computed from), `counters` and `leases`.
 */
import type Database from 'better-sqlite3';
import { ServeError } from '../errors.js';
import { openSqliteFile } from './component-sqlite.js';

export const SCHEMA_VERSION = 2;

const SCHEMA_V1 = `
  CREATE TABLE repositories (name TEXT PRIMARY KEY, created_at TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE blobs (digest TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TABLE blob_links (repository TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (repository, digest)) WITHOUT ROWID;
  CREATE INDEX blob_links_digest ON blob_links (digest);
  CREATE TABLE manifests (
    repository TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,
    artifact_type TEXT, subject TEXT, annotations TEXT, pushed_at TEXT NOT NULL,
    PRIMARY KEY (repository, digest)
  ) WITHOUT ROWID;
  CREATE INDEX manifests_digest ON manifests (digest);
  CREATE INDEX manifests_subject ON manifests (repository, subject);
  CREATE TABLE manifest_refs (
    repository TEXT NOT NULL, manifest TEXT NOT NULL, ord INTEGER NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (repository, manifest, ord)
  ) WITHOUT ROWID;
  CREATE INDEX manifest_refs_digest ON manifest_refs (digest);
  CREATE TABLE tags (
    repository TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (repository, tag)
  ) WITHOUT ROWID;
  CREATE INDEX tags_digest ON tags (repository, digest);
  CREATE TABLE scans (
    manifest_digest TEXT PRIMARY KEY, state TEXT NOT NULL, database_digest TEXT, counts TEXT,
    result TEXT, error TEXT, updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
`;

const SCHEMA_V2 = `
  ALTER TABLE blobs ADD COLUMN state TEXT NOT NULL DEFAULT 'live';
  ALTER TABLE blobs ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE blobs ADD COLUMN size INTEGER;
  ALTER TABLE blobs ADD COLUMN touched_at TEXT;
  ALTER TABLE blobs ADD COLUMN claimed_at TEXT;
  CREATE INDEX blobs_claimed ON blobs (state, claimed_at);
  ALTER TABLE manifests ADD COLUMN untagged_at TEXT;
  UPDATE manifests SET untagged_at = pushed_at
    WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository = manifests.repository AND t.digest = manifests.digest);
  ALTER TABLE repositories ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE blob_links ADD COLUMN linked_at TEXT;
  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO counters (name, value) VALUES ('blob_epoch', 0);
  CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TEXT NOT NULL) WITHOUT ROWID;
`;

/** Schema version n is reached by running MIGRATIONS[0..n-1] in order (exported for the upgrade test). */
export const MIGRATIONS: readonly string[] = [SCHEMA_V1, SCHEMA_V2];

/** Opens (creating the folder and the file when missing) and migrates the database at `path`; CONFIG_INVALID when it cannot. */
export function openDatabase(path: string): Database.Database {
  return openSqliteFile(path, `cannot open registry metadata ${path}`, (db) => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new ServeError('CONFIG_INVALID', `registry metadata in ${path}: schema version ${version} is newer than this portcullis supports (${SCHEMA_VERSION}): upgrade portcullis`);
    if (version < SCHEMA_VERSION) {
      db.transaction(() => {
        // Read again under the write lock: another process may have migrated meanwhile.
        const current = db.pragma('user_version', { simple: true }) as number;
        for (let v = current + 1; v <= SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v - 1]!);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }).immediate();
    }
  });
}
