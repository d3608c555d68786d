/** Where the advisory database lives, and opening it for writing (a SQLite path, or a `postgres://` URL: store/open.ts). */
import { statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isPostgresLocation, openAdvisoryWriter } from '../store/open.js';
import { SqliteAdvisoryStore } from '../store/sqlite.js';
import type { AdvisoryStore } from '../store/store.js';

/** `$PORTCULLIS_DB`, else `$XDG_CACHE_HOME/portcullis/db/advisories.sqlite`, else `~/.cache/portcullis/db/advisories.sqlite`. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PORTCULLIS_DB) return env.PORTCULLIS_DB;
  return join(cacheDbDir(env), 'advisories.sqlite');
}

function cacheDbDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'portcullis', 'db');
}

/** Where `db update` downloads to: beside the SQLite file, or for PostgreSQL `…/portcullis/db/postgres.downloads` in the cache. */
export function defaultDownloadDir(dbPath: string, env: NodeJS.ProcessEnv = process.env): string {
  return isPostgresLocation(dbPath) ? join(cacheDbDir(env), 'postgres.downloads') : `${dbPath}.downloads`;
}

/** The SQLite store at `dbPath`, created and migrated when needed. */
export function openAdvisoryStore(dbPath: string = defaultDbPath()): SqliteAdvisoryStore {
  return new SqliteAdvisoryStore(dbPath);
}

/** True when something (a database, or not) exists at `dbPath`; a PostgreSQL store always does (its tables are made on open). */
export function dbExists(dbPath: string): boolean {
  return isPostgresLocation(dbPath) || statSync(dbPath, { throwIfNoEntry: false }) !== undefined;
}

/**
 * Runs `fn` on the store at `dbPath`, creating the database if needed; when
 * this call created it and `fn` fails, the new file (and its WAL and shared
 * memory files) is removed again. A first `db update` or `db import` that
 * fails must leave "no database" (which `scan` explains) rather than an empty
 * one (which `scan` would call empty).
 */
export async function withStore<T>(dbPath: string, fn: (store: AdvisoryStore) => Promise<T>): Promise<T> {
  const created = !dbExists(dbPath);
  const store = await openAdvisoryWriter(dbPath);
  try {
    return await fn(store);
  } catch (error) {
    if (created) {
      await store.close();
      for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(`${dbPath}${suffix}`, { force: true });
    }
    throw error;
  } finally {
    await store.close(); // idempotent
  }
}
