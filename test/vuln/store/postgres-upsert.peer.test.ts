/**
 * Batched writes into the PostgreSQL advisory store (postgres-upsert.ts) on a
 * real PostgreSQL: `upsertMany` leaves exactly the rows (primary keys
 * included) and gives exactly the results that the previous record-by-record
 * writer gave (kept here, verbatim in its SQL, as the reference), across the
 * batch boundary, with a key given twice in one call, older and identical
 * records, withdrawn ones (the records read back alike, though bodies are
 * now NULL where facts and match rows give them back, schema v3); a v2
 * schema's rows read the same after the upgrade; a newer schema is refused;
 * and two importers writing the same records at
 * once are kept apart by the import lock (one inserts, the other finds them
 * unchanged; no conflict error).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { Advisory } from '../../../src/core/index.js';
import { PostgresAdvisoryStore } from '../../../src/vuln/store/postgres.js';
import { UPSERT_BATCH } from '../../../src/vuln/store/postgres-upsert.js';
import { contentHash, storedForm } from '../../../src/vuln/store/records.js';
import { mergeRecords, timeOf, uniq } from '../../../src/vuln/store/merge.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from '../../../src/vuln/store/postgres-schema.js';
import type { UpsertResult } from '../../../src/vuln/store/store.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { advisory } from './advisory-contract.js';

let peer: PostgresPeer;
let database: string;

before(async () => {
  peer = await startPostgres();
  database = await peer.createDatabase();
});

after(async () => {
  await peer?.stop();
});

const freshSchema = (): string => `t_${randomBytes(5).toString('hex')}`;

/** The writer before batching (postgres.ts `upsert` up to this change), one record per call: the reference. */
async function referenceUpsert(client: pg.ClientBase, s: string, a: Advisory): Promise<UpsertResult> {
  const hash = contentHash(a);
  const { rows: [existing] } = await client.query<{ pk: string; modified: string | null; content_hash: string }>(
    `SELECT pk, modified, content_hash FROM ${s}.records WHERE id = $1 AND feed = $2 AND scope = $3`,
    [a.id, a.feed, a.scope],
  );
  if (existing && existing.content_hash === hash) return 'unchanged';
  if (existing) {
    const have = timeOf(existing.modified);
    const incoming = timeOf(a.modified);
    if (have !== undefined && incoming !== undefined && incoming < have) return 'unchanged';
  }
  const body = JSON.stringify(storedForm(a));
  const withdrawn = a.withdrawn ?? null;
  let pk: string;
  if (existing) {
    pk = existing.pk;
    await client.query(
      `WITH a AS (DELETE FROM ${s}.aliases WHERE record = $1), m AS (DELETE FROM ${s}.match_entries WHERE record = $1)
       UPDATE ${s}.records SET modified = $2, withdrawn = $3, content_hash = $4, body = $5 WHERE pk = $1`,
      [pk, a.modified ?? null, withdrawn, hash, body],
    );
  } else {
    const { rows } = await client.query<{ pk: string }>(
      `INSERT INTO ${s}.records (id, feed, scope, modified, withdrawn, content_hash, body) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING pk`,
      [a.id, a.feed, a.scope, a.modified ?? null, withdrawn, hash, body],
    );
    pk = rows[0]!.pk;
  }
  const aliases = uniq(a.aliases);
  const upstream = uniq(a.upstream);
  const x = a.affected;
  await client.query(
    `WITH al AS (INSERT INTO ${s}.aliases (record, kind, alias) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS u(k, v))
     INSERT INTO ${s}.match_entries (record, ord, ecosystem, package, advisory, withdrawn, ranges, versions, fixed, status, source_record, purl)
     SELECT $1, u.ord - 1, u.ecosystem, u.package, $4, $5, u.ranges, u.versions, u.fixed, u.status, u.source_record, u.purl
     FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
       WITH ORDINALITY AS u(ecosystem, package, ranges, versions, fixed, status, source_record, purl, ord)`,
    [
      pk,
      [...aliases.map(() => 'alias'), ...upstream.map(() => 'upstream')],
      [...aliases, ...upstream],
      a.id,
      withdrawn !== null,
      x.map((e) => e.ecosystem),
      x.map((e) => e.name),
      x.map((e) => JSON.stringify(e.ranges)),
      x.map((e) => (e.versions ? JSON.stringify(e.versions) : null)),
      x.map((e) => e.fixed ?? null),
      x.map((e) => e.status),
      x.map((e) => e.sourceRecord),
      x.map((e) => e.purl ?? null),
    ],
  );
  return existing ? 'updated' : 'inserted';
}

/**
 * Every row of the three record tables, in a fixed order (aliases have no key of their own: sorted whole), and
 * every record (and its facts) as the store reads it: the body column itself differs (NULL when rebuilt, schema v3).
 */
async function dump(client: pg.ClientBase, s: string): Promise<string> {
  const q = async (sql: string): Promise<unknown[]> => (await client.query(sql)).rows;
  const ids = (await client.query<{ id: string }>(`SELECT DISTINCT id FROM ${s}.records ORDER BY id`)).rows.map((r) => r.id);
  const store = await PostgresAdvisoryStore.open(database, { schema: s });
  const [read, facts] = await Promise.all([store.getByIds(ids), store.getFactsByIds(ids)]).finally(() => store.close());
  return JSON.stringify([
    [...read],
    [...facts],
    await q(`SELECT pk, id, feed, scope, modified, withdrawn, content_hash FROM ${s}.records ORDER BY pk`),
    await q(`SELECT record, kind, alias FROM ${s}.aliases ORDER BY record, kind, alias COLLATE "C"`),
    await q(`SELECT * FROM ${s}.match_entries ORDER BY record, ord`),
    (await q(`SELECT last_value FROM ${s}.records_pk_seq`)),
  ]);
}

/** Records of many shapes; `round` 1 rewrites some (newer, older, identical) and repeats keys. */
function records(round: number): Advisory[] {
  const out: Advisory[] = [];
  const n = UPSERT_BATCH.records * 2 + 300;
  for (let i = 0; i < n; i++) {
    if (round === 1 && i % 3 === 0) continue; // not in the second import
    const newer = round === 1 && i % 3 === 1;
    const older = round === 1 && i % 7 === 2;
    out.push(
      advisory(`GHSA-${i}`, {
        feed: i % 2 === 0 ? 'osv' : 'nvd',
        scope: i % 5 === 0 ? `scope-${i % 4}` : '',
        aliases: i % 4 === 0 ? [`CVE-2024-${i}`, `CVE-2024-${i}`, 'CVE-2024-1'] : [],
        upstream: i % 6 === 0 ? [`CVE-2023-${i}`] : [],
        summary: newer ? `rewritten ${i}` : `record ${i}`,
        modified: newer ? '2024-05-01T00:00:00Z' : older ? '2023-01-01T00:00:00Z' : '2024-01-01T00:00:00Z',
        ...(i % 11 === 0 ? { withdrawn: '2024-02-01T00:00:00Z' } : {}),
        affected: Array.from({ length: i % 4 }, (_, k) => ({
          ecosystem: k % 2 === 0 ? 'PyPI' : 'Debian:12',
          name: `pkg-${i % 50}`,
          ...(k === 1 ? { purl: `pkg:pypi/pkg-${i % 50}` } : {}),
          ranges: [{ type: 'ECOSYSTEM' as const, events: [{ introduced: '0' }, { fixed: `${k}.${i}` }] }],
          ...(k === 2 ? { versions: ['0.1', '0.2'] } : {}),
          ...(k !== 3 ? { fixed: `${k}.${i}` } : {}),
          status: k === 3 ? ('affected' as const) : ('fixed' as const),
          sourceRecord: `src-${i}-${k}`,
        })),
      }),
    );
  }
  // A key given twice in one call (in one batch, and across batches): the second is judged against the first.
  out.splice(7, 0, { ...out[round === 0 ? 5 : 0]!, summary: 'the same key again, newer', modified: '2024-09-01T00:00:00Z' });
  out.push({ ...out[3]!, summary: 'again, in a later batch', modified: '2024-10-01T00:00:00Z' });
  if (round === 1) for (let k = 0; k < 5; k++) out.push(advisory(`GHSA-NEW-${k}`));
  // A lone surrogate does not survive text columns: this record keeps its body.
  if (round === 0) out.push(advisory('GHSA-SURROGATE', { summary: 'half \ud800 a pair' }));
  return out;
}

test('postgres: upsertMany leaves the rows and gives the results of the record-by-record writer, across batches and repeated keys', async () => {
  const [reference, batched] = [freshSchema(), freshSchema()];
  const store = await PostgresAdvisoryStore.open(database, { schema: batched });
  await (await PostgresAdvisoryStore.open(database, { schema: reference })).close();
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    for (const round of [0, 1]) {
      const input = records(round);
      const expected: UpsertResult[] = [];
      await client.query('BEGIN');
      for (const a of input) expected.push(await referenceUpsert(client, reference, a));
      await client.query('COMMIT');
      const got = await store.transaction(() => store.upsertMany(input));
      assert.deepEqual(got, expected, `round ${round}: results`);
      assert.deepEqual([...new Set(expected)].sort(), round === 0 ? ['inserted', 'updated'] : ['inserted', 'unchanged', 'updated'], `round ${round}`);
      assert.equal(await dump(client, batched), await dump(client, reference), `round ${round}: rows`);
      const bodies = (await client.query<{ kept: number; all: number }>(`SELECT count(body)::int AS kept, count(*)::int AS all FROM ${batched}.records`)).rows[0]!;
      assert.equal(bodies.kept, 1, `round ${round}: only the record a rebuild would not give back keeps its body (${bodies.kept} of ${bodies.all})`);
    }
    const again = await store.transaction(() => store.upsertMany(records(1)));
    assert.ok(again.every((r) => r === 'unchanged'), 'the same input twice changes nothing');
  } finally {
    await client.end();
    await store.close();
  }
});

test('postgres: two importers writing the same records at once: one inserts, the other waits on the import lock and finds them unchanged', async () => {
  const schema = freshSchema();
  const [a, b] = await Promise.all([PostgresAdvisoryStore.open(database, { schema }), PostgresAdvisoryStore.open(database, { schema })]);
  try {
    const input = records(0).filter((x, i, all) => all.findIndex((y) => y.id === x.id) === i); // no key twice
    const results = await Promise.all([a, b].map((store) => store.transaction(() => store.upsertMany(input))));
    const kinds = results.map((list) => [...new Set(list)].sort().join(',')).sort();
    assert.deepEqual(kinds, ['inserted', 'unchanged']);
    assert.equal((await a.status()).advisories, input.length);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('postgres: a v2 schema is upgraded to v3: its records (bodies whole) read as before, rewritten ones lose their body; a newer schema is refused', async () => {
  const schema = freshSchema();
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    for (const migration of PG_MIGRATIONS.slice(0, 2)) await client.query(migration(schema));
    await client.query(`CREATE TABLE ${schema}.advisory_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    await client.query(`INSERT INTO ${schema}.advisory_migrations (version) VALUES (1), (2)`);
    const input = records(0).slice(0, 50).filter((a) => a.summary !== 'the same key again, newer'); // no key twice
    for (const a of input) await referenceUpsert(client, schema, a);
    const before = (await client.query<{ id: string; body: string }>(`SELECT id, body FROM ${schema}.records ORDER BY id, feed, scope`)).rows;
    const store = await PostgresAdvisoryStore.open(database, { schema });
    try {
      const read = await store.getByIds(before.map((r) => r.id));
      for (const r of before) assert.equal(JSON.stringify(read.get(r.id)), JSON.stringify(mergeRecords(before.filter((b) => b.id === r.id).map((b) => JSON.parse(b.body) as Advisory))));
      const rewritten = input.slice(0, 10).map((a) => ({ ...a, summary: 'rewritten', modified: '2025-01-01T00:00:00Z' }));
      assert.ok((await store.transaction(() => store.upsertMany(rewritten))).every((r) => r === 'updated'));
      const nulls = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.records WHERE body IS NULL`)).rows[0]!.n;
      assert.equal(nulls, 10);
      const again = await store.getByIds(rewritten.map((a) => a.id));
      for (const a of rewritten) assert.equal(JSON.stringify(again.get(a.id)), JSON.stringify(storedForm(a)));
    } finally {
      await store.close();
    }
    // What portcullis reading v3 does to a schema newer than it knows; portcullis reading v2 does the same to v3.
    await client.query(`INSERT INTO ${schema}.advisory_migrations (version) VALUES ($1)`, [PG_SCHEMA_VERSION + 1]);
    await assert.rejects(PostgresAdvisoryStore.open(database, { schema }), { code: 'DB_TOO_NEW', message: new RegExp(`schema v${PG_SCHEMA_VERSION + 1} is newer than this portcullis \\(v${PG_SCHEMA_VERSION}\\)`) });
  } finally {
    await client.end();
  }
});
