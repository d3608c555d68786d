/**
 * Writing records into the PostgreSQL advisory store, many at a time
 * (postgres.ts `upsert`, `upsertMany`). One record at a time cost three or
 * four round trips per record (look up, write the record, its aliases and
 * match rows): an import of every feed was 3–4.6x slower than SQLite's
 * (bench/README.md). Here a batch costs five statements whatever its size:
 *
 * 1. the stored (pk, modified, content hash) of every key of the batch, in one
 *    lookup (the keys passed as three arrays, `unnest`);
 * 2. the decision per record, exactly as one `upsert` makes it: the same hash,
 *    or older than the stored record by `modified`, is `unchanged`;
 * 3. primary keys for the new records taken from the table's sequence and
 *    given out in the batch's order, so records get the keys a record-by-record
 *    import gives them (lookups order a package's entries by record key);
 * 4. the updated records rewritten and their old aliases and match rows
 *    deleted, in one statement; the new records inserted in one;
 * 5. the aliases and match rows of every changed record inserted in one.
 *
 * A record's JSON body is stored only when its facts (the body without
 * `affected`) and the match rows written would not give it back byte for
 * byte (schema v3; body.ts decides, as for SQLite); otherwise `body` is NULL
 * and `facts` holds the rest, which postgres.ts `getByIds` rebuilds from.
 *
 * A key given twice in one call would be decided twice against the stored
 * state: a batch ends before a key it already holds (the second then sees
 * the first, as with `upsert` one by one). Batches are bounded in records,
 * affected entries and body bytes, so a statement stays bounded whatever the
 * caller passes. Concurrent importers are kept apart by the caller's
 * transaction (postgres.ts: the advisory lock taken first), as before.
 *
 * Why not COPY into a temporary table and merge: the statements here are
 * plain parameterised SQL (no CSV encoding of bodies, no temp table per
 * transaction), and the round trips they save are the whole difference.
 */
import type { Advisory } from '../../core/index.js';
import { timeOf, uniq } from './merge.js';
import { serialiseRecord } from './body.js';
import { contentHash, storedForm } from './records.js';
import type { UpsertResult } from './store.js';

/** Bounds of one batch: records, affected entries, JSON body bytes (UTF-16 units, near enough). */
export const UPSERT_BATCH = { records: 1_000, entries: 20_000, bodyChars: 16 * 1024 * 1024 } as const;

export interface UpsertAccess {
  /** The quoted schema name. */
  readonly schema: string;
  /** A query on the import transaction's connection. */
  query<R extends object>(text: string, values?: unknown[]): Promise<R[]>;
}

interface Planned {
  readonly advisory: Advisory;
  readonly hash: string;
  /** What the record's columns hold: the body whole, or (when they give it back) NULL and its facts. */
  readonly body: string | null;
  readonly facts: string | null;
}

/**
 * The record's body and facts as SQLite computes them (records.ts): the facts are the stored form without
 * `affected`, the body the facts with it appended (= JSON.stringify of the stored form). The body is left
 * out when the facts and the match rows written give it back byte for byte (body.ts `droppableBody`).
 */
function plan(advisory: Advisory): Planned & { readonly chars: number } {
  const { facts, keptBody } = serialiseRecord(advisory, storedForm(advisory));
  const hash = contentHash(advisory);
  return keptBody === null ? { advisory, hash, body: null, facts, chars: facts.length } : { advisory, hash, body: keptBody, facts: null, chars: keptBody.length };
}

const keyOf = (a: Advisory): string => `${a.id}\u0000${a.feed}\u0000${a.scope}`;

/** Every record written as `upsert` one after the other would write it; results in the order given. */
export async function upsertRecords(db: UpsertAccess, advisories: readonly Advisory[]): Promise<UpsertResult[]> {
  const results: UpsertResult[] = [];
  let batch: Planned[] = [];
  let keys = new Set<string>();
  let entries = 0;
  let chars = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    for (const r of await upsertBatch(db, batch)) results.push(r);
    batch = [];
    keys = new Set();
    entries = 0;
    chars = 0;
  };
  for (const advisory of advisories) {
    const key = keyOf(advisory);
    const planned = plan(advisory);
    const full = batch.length >= UPSERT_BATCH.records || entries + advisory.affected.length > UPSERT_BATCH.entries || chars + planned.chars > UPSERT_BATCH.bodyChars;
    if (keys.has(key) || full) await flush();
    batch.push(planned);
    keys.add(key);
    entries += advisory.affected.length;
    chars += planned.chars;
  }
  await flush();
  return results;
}

/** One batch of distinct keys (see the header's steps). */
async function upsertBatch(db: UpsertAccess, batch: readonly Planned[]): Promise<UpsertResult[]> {
  const s = db.schema;
  const stored = new Map<number, { pk: string; modified: string | null; content_hash: string }>();
  const found = await db.query<{ i: string; pk: string; modified: string | null; content_hash: string }>(
    `SELECT k.i, r.pk, r.modified, r.content_hash FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(id, feed, scope, i)
     JOIN ${s}.records r ON r.id = k.id AND r.feed = k.feed AND r.scope = k.scope`,
    [batch.map((p) => p.advisory.id), batch.map((p) => p.advisory.feed), batch.map((p) => p.advisory.scope)],
  );
  for (const row of found) stored.set(Number(row.i) - 1, row);

  const results: UpsertResult[] = [];
  const updated: { pk: string; plan: Planned }[] = [];
  const inserted: Planned[] = [];
  batch.forEach((plan, i) => {
    const existing = stored.get(i);
    if (existing && existing.content_hash === plan.hash) return void results.push('unchanged');
    if (existing) {
      const have = timeOf(existing.modified);
      const incoming = timeOf(plan.advisory.modified);
      if (have !== undefined && incoming !== undefined && incoming < have) return void results.push('unchanged');
      updated.push({ pk: existing.pk, plan });
      return void results.push('updated');
    }
    inserted.push(plan);
    results.push('inserted');
  });

  const written: { pk: string; plan: Planned }[] = [...updated];
  if (updated.length > 0) {
    const rows = updated.map((u) => u.plan);
    await db.query(
      `WITH a AS (DELETE FROM ${s}.aliases WHERE record = ANY($1::bigint[])), m AS (DELETE FROM ${s}.match_entries WHERE record = ANY($1::bigint[]))
       UPDATE ${s}.records r SET modified = u.modified, withdrawn = u.withdrawn, content_hash = u.hash, body = u.body, facts = u.facts
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(pk, modified, withdrawn, hash, body, facts) WHERE r.pk = u.pk`,
      [updated.map((u) => u.pk), ...recordColumns(rows)],
    );
  }
  if (inserted.length > 0) {
    const keys = await db.query<{ pk: string }>(`SELECT nextval(pg_get_serial_sequence($1, 'pk'))::text AS pk FROM generate_series(1, $2::int)`, [`${s}.records`, inserted.length]);
    // Handed out in ascending order, as inserting one by one would.
    const pks = keys.map((k) => BigInt(k.pk)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
    inserted.forEach((plan, i) => written.push({ pk: pks[i]!, plan }));
    await db.query(
      `INSERT INTO ${s}.records (pk, modified, withdrawn, content_hash, body, facts, id, feed, scope)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
      [pks, ...recordColumns(inserted), inserted.map((p) => p.advisory.id), inserted.map((p) => p.advisory.feed), inserted.map((p) => p.advisory.scope)],
    );
  }
  if (written.length > 0) await insertChildren(db, written);
  return results;
}

/** modified, withdrawn, content hash, body, facts: the columns an update and an insert both write. */
function recordColumns(rows: readonly Planned[]): [(string | null)[], (string | null)[], string[], (string | null)[], (string | null)[]] {
  return [rows.map((p) => p.advisory.modified ?? null), rows.map((p) => p.advisory.withdrawn ?? null), rows.map((p) => p.hash), rows.map((p) => p.body), rows.map((p) => p.facts)];
}

/** The aliases and match rows of every written record, in one statement. */
async function insertChildren(db: UpsertAccess, written: readonly { pk: string; plan: Planned }[]): Promise<void> {
  const alias = { record: [] as string[], kind: [] as string[], value: [] as string[] };
  const m = {
    record: [] as string[],
    ord: [] as number[],
    ecosystem: [] as string[],
    package: [] as string[],
    advisory: [] as string[],
    withdrawn: [] as boolean[],
    ranges: [] as string[],
    versions: [] as (string | null)[],
    fixed: [] as (string | null)[],
    status: [] as string[],
    sourceRecord: [] as string[],
    purl: [] as (string | null)[],
  };
  for (const { pk, plan } of written) {
    const a = plan.advisory;
    for (const [kind, values] of [['alias', uniq(a.aliases)], ['upstream', uniq(a.upstream)]] as const) {
      for (const value of values) {
        alias.record.push(pk);
        alias.kind.push(kind);
        alias.value.push(value);
      }
    }
    a.affected.forEach((x, ord) => {
      m.record.push(pk);
      m.ord.push(ord);
      m.ecosystem.push(x.ecosystem);
      m.package.push(x.name);
      m.advisory.push(a.id);
      m.withdrawn.push((a.withdrawn ?? null) !== null);
      m.ranges.push(JSON.stringify(x.ranges));
      m.versions.push(x.versions ? JSON.stringify(x.versions) : null);
      m.fixed.push(x.fixed ?? null);
      m.status.push(x.status);
      m.sourceRecord.push(x.sourceRecord);
      m.purl.push(x.purl ?? null);
    });
  }
  const s = db.schema;
  await db.query(
    `WITH al AS (INSERT INTO ${s}.aliases (record, kind, alias) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]))
     INSERT INTO ${s}.match_entries (record, ord, ecosystem, package, advisory, withdrawn, ranges, versions, fixed, status, source_record, purl)
     SELECT * FROM unnest($4::bigint[], $5::int[], $6::text[], $7::text[], $8::text[], $9::bool[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])`,
    [alias.record, alias.kind, alias.value, m.record, m.ord, m.ecosystem, m.package, m.advisory, m.withdrawn, m.ranges, m.versions, m.fixed, m.status, m.sourceRecord, m.purl],
  );
}
