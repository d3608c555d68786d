/**
 * The OIDC sign-in store contract on a real PostgreSQL (a throwaway cluster
 * from test/support/postgres.ts), each test in a schema of its own, two
 * pools on it (two processes: the take race and the cap race are real
 * concurrent transactions); and several processes migrating the table at
 * once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { PostgresOidcStateStore } from '../../../src/server/metadata/oidc-state-postgres.js';
import { postgresForFile } from '../../support/postgres.js';
import { oidcStateStoreContract } from './oidc-state-contract.js';

const pgFile = postgresForFile();

oidcStateStoreContract('postgres (own schema per test)', async () => {
  const schema = pgFile.schema();
  return () => PostgresOidcStateStore.open({ connectionString: pgFile.url(), schema });
});

test('postgres OIDC sign-ins: six processes opening at once migrate the table once; the columns', async () => {
  const schema = pgFile.schema();
  const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresOidcStateStore.open({ connectionString: pgFile.url(), schema })));
  const client = new pg.Client({ connectionString: pgFile.url() });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.oidc_state_migrations ORDER BY version`);
    assert.deepEqual(rows.map((r) => r.version), [1]);
    const columns = await client.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'oidc_states' ORDER BY ordinal_position`, [schema]);
    assert.deepEqual(columns.rows.map((c) => c.column_name), ['key', 'client', 'state', 'nonce', 'verifier', 'return_path', 'expires_at']);
  } finally {
    await client.end();
    await Promise.all(stores.map((s) => s.close()));
  }
});
