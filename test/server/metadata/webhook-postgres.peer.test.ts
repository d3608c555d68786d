/**
 * The WebhookStore contract on a real PostgreSQL 15 (a throwaway cluster from
 * test/support/postgres.ts), in a database whose default collation is ICU
 * en-US, each test in a schema of its own opened as `serve` opens it: the
 * content store, the identity store, then the webhook store; and several
 * processes migrating the webhook tables at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { PostgresIdentityStore } from '../../../src/server/metadata/identity-postgres.js';
import { PostgresMetadataStore } from '../../../src/server/metadata/postgres.js';
import { PostgresWebhookStore } from '../../../src/server/metadata/webhook-postgres.js';
import { postgresForFile } from '../../support/postgres.js';
import { webhookStoreContract } from './webhook-contract.js';

const pgFile = postgresForFile();

async function opened(schema: string): Promise<PostgresIdentityStore> {
  await (await PostgresMetadataStore.open({ connectionString: pgFile.url(), schema })).close();
  return PostgresIdentityStore.open({ connectionString: pgFile.url(), schema });
}

webhookStoreContract('postgres (ICU en-US pgFile.url(), own schema per test)', async () => {
  const schema = pgFile.schema();
  const identity = await opened(schema);
  return { identity, open: () => PostgresWebhookStore.open({ connectionString: pgFile.url(), schema }) };
});

test('postgres webhooks: six processes opening at once migrate the webhook tables once', async () => {
  const schema = pgFile.schema();
  const identity = await opened(schema);
  const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresWebhookStore.open({ connectionString: pgFile.url(), schema })));
  const client = new pg.Client({ connectionString: pgFile.url() });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.webhook_migrations ORDER BY version`);
    assert.deepEqual(rows.map((r) => r.version), [1]);
  } finally {
    await client.end();
    await Promise.all(stores.map((s) => s.close()));
    await identity.close();
  }
});
