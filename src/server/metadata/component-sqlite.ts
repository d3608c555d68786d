/**
 * What every SQLite store of `portcullis serve` shares: the content store
 * (sqlite-schema.ts) and the component stores beside it (identity, webhooks,
 * kept inventories, the audit log) live in one file (`registry.sqlite`),
 * each on a connection of its own, opened the same way: WAL (readers beside
 * the one writer) and a busy timeout, so that the connections of one file
 * wait for each other's short writes instead of failing. Why one helper:
 * opening and migrating are the same logic for every store; only the names,
 * the DDL and the words of the messages differ.
 *
 * The content tables are versioned by `user_version`; each component's by
 * its row of `schema_components`, so their migrations are numbered
 * independently and never wait for each other. A component migrates in one
 * IMMEDIATE transaction (the write lock taken before the version is read),
 * so two processes opening one old file migrate it once; a file from a
 * newer portcullis is refused (CONFIG_INVALID).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ServeError } from '../errors.js';
import type { Page } from './store.js';

/** One store's tables in the shared file: how they are versioned and what messages call them. */
export interface SqliteComponent {
  /** Its row of `schema_components`: `identity`. */
  readonly name: string;
  /** What messages call it: `registry accounts` ("registry accounts in …: schema version 3 is newer …"). */
  readonly label: string;
  /** As "cannot open … in <file>" says it, when not `label`: `the audit log`. */
  readonly openLabel?: string;
  /** Version n is reached by running the first n, in order; the current version is their count. */
  readonly migrations: readonly string[];
  /** Enforce foreign keys on its connection (its tables reference others). */
  readonly foreignKeys?: boolean;
}

/**
 * Opens the database at `path` (creating the folder and the file when
 * missing) with WAL and a busy timeout, then `setUp` (migrations); any
 * failure but a ServeError becomes CONFIG_INVALID "`failure`: message".
 */
export function openSqliteFile(path: string, failure: string, setUp: (db: Database.Database) => void, options: { readonly foreignKeys?: boolean } = {}): Database.Database {
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    if (options.foreignKeys) db.pragma('foreign_keys = ON');
    setUp(db);
    return db;
  } catch (error) {
    if (error instanceof ServeError) throw error;
    throw new ServeError('CONFIG_INVALID', `${failure}: ${(error as Error).message}`, { cause: error });
  }
}

/** Opens the file for the component and brings its tables up to date. */
function openComponentDatabase(path: string, component: SqliteComponent): Database.Database {
  return openSqliteFile(path, `cannot open ${component.openLabel ?? component.label} in ${path}`, (db) => db.transaction(() => migrateComponent(db, path, component)).immediate(), component);
}

/** A component store (identity, webhooks, …) on its connection to the file, opened and migrated for its component. */
export abstract class SqliteComponentStore {
  readonly db: Database.Database;

  constructor(
    readonly path: string,
    component: SqliteComponent,
  ) {
    this.db = openComponentDatabase(path, component);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Inside the IMMEDIATE transaction: the component's migrations from its version in `schema_components` on. */
function migrateComponent(db: Database.Database, path: string, component: SqliteComponent): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_components (component TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID');
  const row = db.prepare<[string], { version: number }>('SELECT version FROM schema_components WHERE component = ?').get(component.name);
  const current = row?.version ?? 0;
  const latest = component.migrations.length;
  if (current > latest) {
    throw new ServeError('CONFIG_INVALID', `${component.label} in ${path}: schema version ${current} is newer than this portcullis supports (${latest}): upgrade portcullis`);
  }
  if (current === latest) return;
  for (const ddl of component.migrations.slice(current)) db.exec(ddl);
  db.prepare('INSERT INTO schema_components (component, version) VALUES (?, ?) ON CONFLICT (component) DO UPDATE SET version = excluded.version').run(component.name, latest);
}

/** SQLite reads LIMIT -1 as "no limit". */
export function limitOf(page: Page): number {
  return page.limit === undefined ? -1 : Math.max(0, Math.floor(page.limit));
}
