/**
 * The OIDC sign-in store contract on SQLite (two connections to one file:
 * two processes); the table holds the cookie's hash, the client, what the
 * callback checks and the expiry, versioned on its own in the shared file
 * (a newer schema is refused).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ServeError } from '../../../src/server/errors.js';
import { OIDC_STATE_SCHEMA_VERSION, SqliteOidcStateStore } from '../../../src/server/metadata/oidc-state-sqlite.js';
import { oidcStateStoreContract } from './oidc-state-contract.js';

oidcStateStoreContract('sqlite', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-oidc-states-')), 'registry.sqlite');
  return async () => new SqliteOidcStateStore(path);
});

test('sqlite OIDC sign-ins: the columns; versioned on their own; a newer schema is refused', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'portcullis-oidc-states-')), 'registry.sqlite');
  const store = new SqliteOidcStateStore(path);
  const columns = store.db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('oidc_states') ORDER BY cid").all().map((c) => c.name);
  assert.deepEqual(columns, ['key', 'client', 'state', 'nonce', 'verifier', 'return_path', 'expires_at']);
  assert.deepEqual(store.db.prepare("SELECT version FROM schema_components WHERE component = 'oidc-states'").get(), { version: OIDC_STATE_SCHEMA_VERSION });
  await store.close();
  const raw = new Database(path);
  raw.prepare("UPDATE schema_components SET version = ? WHERE component = 'oidc-states'").run(OIDC_STATE_SCHEMA_VERSION + 1);
  raw.close();
  assert.throws(() => new SqliteOidcStateStore(path), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID' && /OIDC sign-ins .*newer than this portcullis/.test(e.message));
});
