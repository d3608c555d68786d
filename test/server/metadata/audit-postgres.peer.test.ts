/**
 * The PostgreSQL audit store against a real PostgreSQL 15 (a throwaway
 * cluster from test/support/postgres.ts): the shared contract, in a database
 * whose default collation is ICU en-US, beside the content store in its
 * schema as `serve` opens them; then processes appending at once (ids stay
 * unique, nothing lost) and startup migrations racing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { completeEvent } from '../../../src/server/audit/event.js';
import { ServeError } from '../../../src/server/errors.js';
import { AUDIT_SCHEMA_VERSION, PostgresAuditStore } from '../../../src/server/metadata/audit-postgres.js';
import { PostgresMetadataStore } from '../../../src/server/metadata/postgres.js';
import { postgresForFile } from '../../support/postgres.js';
import { auditStoreContract } from './audit-contract.js';

const pgFile = postgresForFile();

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: pgFile.url() });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

auditStoreContract('postgres (ICU en-US pgFile.url(), own schema per test)', async () => {
  const schema = pgFile.schema();
  // The content store first, as `serve` opens them: the audit tables join its schema.
  await (await PostgresMetadataStore.open({ connectionString: pgFile.url(), schema })).close();
  return PostgresAuditStore.open({ connectionString: pgFile.url(), schema });
});

test('postgres audit: four processes appending at once lose nothing, and ids stay unique', async () => {
  const schema = pgFile.schema();
  const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresAuditStore.open({ connectionString: pgFile.url(), schema })));
  try {
    await Promise.all(
      stores.map(async (store, p) => {
        for (let batch = 0; batch < 5; batch++) {
          const events = Array.from({ length: 50 }, (_, i) => completeEvent({ action: 'pull', outcome: 'success', principal: `p${p}`, principalKind: 'user', repository: 'team/app', tag: `${batch}-${i}` }, new Date()));
          await store.append(events);
        }
      }),
    );
    const rows = await sql<{ n: string; ids: string }>(`SELECT count(*) AS n, count(DISTINCT id) AS ids FROM ${schema}.audit_events`);
    assert.deepEqual(rows[0], { n: '1000', ids: '1000' });
    const versions = await sql<{ version: number }>(`SELECT version FROM ${schema}.audit_migrations`);
    assert.deepEqual(versions, [{ version: AUDIT_SCHEMA_VERSION }], 'migrated once');
  } finally {
    for (const store of stores) await store.close();
  }
});

test('postgres audit: a log from a newer portcullis is refused with CONFIG_INVALID', async () => {
  const schema = pgFile.schema();
  await (await PostgresAuditStore.open({ connectionString: pgFile.url(), schema })).close();
  await sql(`INSERT INTO ${schema}.audit_migrations (version) VALUES ($1)`, [AUDIT_SCHEMA_VERSION + 1]);
  await assert.rejects(PostgresAuditStore.open({ connectionString: pgFile.url(), schema }), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID' && /newer than this portcullis/.test(e.message));
});
