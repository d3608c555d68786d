/**
 * Opening the advisory store a location names. `postgres://…` and
 * `postgresql://…` name the shared PostgreSQL store (postgres.ts: one
 * `db import` or `db update` serves every `serve` process on that database);
 * every other string is the path of a SQLite file (sqlite.ts), the default.
 * Callers outside the store name a location and get the interfaces of
 * store.ts, never an implementation.
 */
import { statSync } from 'node:fs';
import { SqliteAdvisoryStore } from './sqlite.js';
import type { AdvisoryReader, AdvisoryStore } from './store.js';

export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The location as messages and `db status` show it: a PostgreSQL URL without its password. */
export function describeLocation(location: string): string {
  if (!isPostgresLocation(location)) return location;
  try {
    const url = new URL(location);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** Whether something is there to read: the SQLite file exists (or anything else at that path); a PostgreSQL store always is. */
export function advisoryStoreExists(location: string): boolean {
  return isPostgresLocation(location) || statSync(location, { throwIfNoEntry: false }) !== undefined;
}

/** Whether the location holds a regular file (SQLite) or names PostgreSQL: what scan and lint check before opening. */
export function advisoryStoreReadable(location: string): boolean {
  return isPostgresLocation(location) || statSync(location, { throwIfNoEntry: false })?.isFile() === true;
}

/** For matching and status: SQLite opened read-only (never migrated), PostgreSQL with its tables made current. */
export async function openAdvisoryReader(location: string): Promise<AdvisoryReader> {
  if (isPostgresLocation(location)) return openPostgres(location);
  return new SqliteAdvisoryStore(location, { readonly: true });
}

/** For imports: SQLite created and migrated when needed, PostgreSQL likewise. */
export async function openAdvisoryWriter(location: string): Promise<AdvisoryStore> {
  if (isPostgresLocation(location)) return openPostgres(location);
  return new SqliteAdvisoryStore(location);
}

async function openPostgres(location: string): Promise<AdvisoryStore> {
  const { PostgresAdvisoryStore } = await import('./postgres.js');
  return PostgresAdvisoryStore.open(location);
}
