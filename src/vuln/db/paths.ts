/** Where the advisory database lives, and opening it for writing. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../store/sqlite.js';

/** `$PORTCULLIS_DB`, else `$XDG_CACHE_HOME/portcullis/db/advisories.sqlite`, else `~/.cache/portcullis/db/advisories.sqlite`. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PORTCULLIS_DB) return env.PORTCULLIS_DB;
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'portcullis', 'db', 'advisories.sqlite');
}

export function openStore(dbPath: string = defaultDbPath()): SqliteStore {
  return new SqliteStore(dbPath);
}
