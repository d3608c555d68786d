/**
 * The PostgreSQL store's per-image lookups read indexes, as the SQLite ones
 * do (sqlite-plans.test.ts): a subject's referrers scan `manifests_subject`,
 * a manifest's accessories scan it and the tags' primary key (a BitmapOr of
 * the tag and its range), never a whole table. EXPLAIN on the very SQL the
 * store sends, with the values bound as the store binds them, over a real
 * PostgreSQL 15 holding a repository of 20,000 tagged manifests (a third of
 * them referrers, a fifth with a signature tag) beside 200 small ones, after
 * ANALYZE: at that size a sequential scan would be planned if no index fit.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { quoteSchema } from '../../../src/server/metadata/component-postgres.js';
import { accessoryTagRange } from '../../../src/server/metadata/lifecycle-rules.js';
import { referrersSql } from '../../../src/server/metadata/postgres-manifests.js';
import { accessoriesSql } from '../../../src/server/metadata/postgres-retention.js';
import { PostgresMetadataStore } from '../../../src/server/metadata/postgres.js';
import type { Digest } from '../../../src/core/digest.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';

const SCHEMA = 'plans';
const S = quoteSchema(SCHEMA);
const digestOf = (i: number): Digest => `sha256:${String(i).padStart(64, '0')}`;

let peer: PostgresPeer;
let client: pg.Client;

before(async () => {
  peer = await startPostgres();
  const url = await peer.createDatabase();
  await (await PostgresMetadataStore.open({ connectionString: url, schema: SCHEMA })).close();
  client = new pg.Client({ connectionString: url });
  await client.connect();
  const digest = (column: string): string => `'sha256:' || lpad((${column})::text, 64, '0')`;
  await client.query(`INSERT INTO ${S}.repositories (name, created_at) SELECT 'big', 't'`);
  await client.query(`INSERT INTO ${S}.manifests (repository, digest, media_type, size, artifact_type, subject, pushed_at)
    SELECT 'big', ${digest('i')}, 'm', 1, 'a', CASE WHEN i % 3 = 0 THEN ${digest('i - 1')} END, 't' FROM generate_series(1, 20000) i`);
  await client.query(`INSERT INTO ${S}.manifests (repository, digest, media_type, size, pushed_at) SELECT 'small-' || i, ${digest('i')}, 'm', 1, 't' FROM generate_series(1, 200) i`);
  await client.query(`INSERT INTO ${S}.tags (repository, tag, digest, updated_at) SELECT 'big', 'v' || i, ${digest('i')}, 't' FROM generate_series(1, 20000) i`);
  await client.query(`INSERT INTO ${S}.tags (repository, tag, digest, updated_at)
    SELECT 'big', 'sha256-' || lpad(i::text, 64, '0') || '.sig', ${digest('i + 1')}, 't' FROM generate_series(1, 20000, 5) i`);
  await client.query(`ANALYZE ${S}.manifests`);
  await client.query(`ANALYZE ${S}.tags`);
});

after(async () => {
  await client?.end();
  await peer?.stop();
});

async function explain(sql: string, values: unknown[]): Promise<string> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, values);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

test('postgres: a subject\'s referrers scan manifests_subject, with or without an artifact type', async () => {
  for (const [sql, values] of [
    [referrersSql(S, false), ['big', digestOf(6)]],
    [referrersSql(S, true), ['big', digestOf(6), 'a']],
  ] as const) {
    const plan = await explain(sql, [...values]);
    assert.match(plan, /Index Scan using manifests_subject on manifests m/, plan);
    assert.doesNotMatch(plan, /Seq Scan/, plan);
  }
});

test('postgres: a manifest\'s accessories scan manifests_subject and the tags\' primary key, for the tag and its range', async () => {
  const range = accessoryTagRange(digestOf(6));
  const plan = await explain(accessoriesSql(S), ['big', digestOf(6), range.tag, range.low, range.high]);
  assert.match(plan, /Index (Only )?Scan using manifests_subject on manifests/, plan);
  assert.equal(plan.match(/Index Scan on tags_pkey|Index Scan using tags_pkey/g)?.length, 2, plan);
  assert.doesNotMatch(plan, /Seq Scan/, plan);
});
