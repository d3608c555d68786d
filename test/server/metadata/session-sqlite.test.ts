/**
 * The UI session store contract on SQLite (two connections to one file: two
 * processes) and in memory; the SQLite tables hold the key hash, the user's
 * name and the times, nothing else, versioned on their own in the shared
 * file (a newer schema is refused).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ServeError } from '../../../src/server/errors.js';
import { MemorySessionStore } from '../../../src/server/metadata/session-store.js';
import { SESSION_SCHEMA_VERSION, SqliteSessionStore } from '../../../src/server/metadata/session-sqlite.js';
import { sessionStoreContract } from './session-contract.js';

sessionStoreContract('sqlite', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-sessions-')), 'registry.sqlite');
  return { open: async () => new SqliteSessionStore(path), shared: true };
});

sessionStoreContract('memory', async () => ({ open: async () => new MemorySessionStore(), shared: false }));

test('sqlite sessions: only the key, user name and times are columns; versioned on their own; a newer schema is refused', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-sessions-')), 'registry.sqlite');
  const store = new SqliteSessionStore(path);
  const columns = store.db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('ui_sessions') ORDER BY cid").all().map((c) => c.name);
  assert.deepEqual(columns, ['key', 'user_name', 'created_at', 'last_seen', 'expires_at', 'idle_ms']);
  assert.deepEqual(store.db.prepare("SELECT version FROM schema_components WHERE component = 'ui-sessions'").get(), { version: SESSION_SCHEMA_VERSION });
  await store.close();
  const raw = new Database(path);
  raw.prepare("UPDATE schema_components SET version = ? WHERE component = 'ui-sessions'").run(SESSION_SCHEMA_VERSION + 1);
  raw.close();
  assert.throws(() => new SqliteSessionStore(path), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID' && /newer than this portcullis/.test(e.message));
});
