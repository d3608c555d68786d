/**
 * The UI session store contract on a real PostgreSQL (a throwaway cluster
 * from test/support/postgres.ts), each test in a schema of its own, two
 * pools on it (two processes); and several processes migrating the session
 * table at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { PostgresSessionStore } from '../../../src/server/metadata/session-postgres.js';
import { postgresForFile } from '../../support/postgres.js';
import { sessionStoreContract } from './session-contract.js';

const pgFile = postgresForFile();

sessionStoreContract('postgres (own schema per test)', async () => {
  const schema = pgFile.schema();
  return { open: () => PostgresSessionStore.open({ connectionString: pgFile.url(), schema }), shared: true };
});

test('postgres sessions: six processes opening at once migrate the table once; only key, user name and times are columns', async () => {
  const schema = pgFile.schema();
  const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresSessionStore.open({ connectionString: pgFile.url(), schema })));
  const client = new pg.Client({ connectionString: pgFile.url() });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.ui_session_migrations ORDER BY version`);
    assert.deepEqual(rows.map((r) => r.version), [1]);
    const columns = await client.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'ui_sessions' ORDER BY ordinal_position`, [schema]);
    assert.deepEqual(columns.rows.map((c) => c.column_name), ['key', 'user_name', 'created_at', 'last_seen', 'expires_at', 'idle_ms']);
  } finally {
    await client.end();
    await Promise.all(stores.map((s) => s.close()));
  }
});
