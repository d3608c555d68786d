/**
 * The PostgreSQL advisory store: one database that every `serve` process
 * (and every `scan --db postgres://…`) reads, filled by one `db import` or
 * `db update`. Same answers, in the same order, as the SQLite store
 * (sqlite.ts): the same record bodies (records.ts `storedForm`), the same
 * match table, the same merge (merge.ts), byte ("C") ordering.
 *
 * An import is one transaction (`transaction`: BEGIN, an advisory lock that
 * makes a second importer on the schema wait, the writes, COMMIT): readers,
 * each statement under PostgreSQL's MVCC, see the data before the commit or
 * after it, never part of an import; a crash or kill rolls it back. Records
 * are written in batches (`upsertMany`, postgres-upsert.ts: a few statements
 * per thousand records), each record's JSON body only when its facts and
 * match rows would not give it back (schema v3; `getByIds` rebuilds the
 * others in the statement that reads them, body.ts). The reads of one match share one snapshot
 * (`readSnapshot`: REPEATABLE READ on one pooled connection).
 *
 * Lookups are batched: `findEntriesBatch` is one round trip for a whole
 * inventory (every ecosystem at once, the pairs passed as two arrays), and
 * `getByIds` one more for the advisories of what matched. Unlike the SQLite
 * store this one keeps no memo between calls: another process may import
 * whenever it likes, and a memo would serve the old data after its commit.
 */
import pg from 'pg';
import { normalizePackageName, type Advisory, type AffectedMatch } from '../../core/index.js';
import { mergeFacts, mergeRecords, uniq } from './merge.js';
import { describeLocation } from './open.js';
import type { ExploitWriter } from '../exploit/store.js';
import { postgresExploitation } from './postgres-exploit.js';
import { DEFAULT_ADVISORY_SCHEMA, migratePostgres, PG_SCHEMA_VERSION, quoteSchema, schemaLock } from './postgres-schema.js';
import { bodyFrom, entryJson } from './body.js';
import { upsertRecords } from './postgres-upsert.js';
import { affectedFromRow, type AffectedRow } from './records.js';
import { composeSources, COUNTS_META, parseCounts, type Counts, type SourceBookRow } from './status.js';
import {
  StoreError,
  type AdvisoryFacts,
  type AdvisoryReader,
  type AdvisoryStore,
  type AffectedEntry,
  type AffectedQuery,
  type FindOptions,
  type SourceStatus,
  type StoreStatus,
  type UpsertResult,
} from './store.js';

export interface PostgresAdvisoryStoreOptions {
  /** PostgreSQL schema holding the tables (default `portcullis_advisories`). */
  readonly schema?: string;
  /** Other node-postgres pool settings (ssl, max, …). */
  readonly pool?: pg.PoolConfig;
}

type EntryRow = Omit<AffectedRow, 'record'> & { advisory: string; withdrawn: boolean };
/** A record as `getByIds` reads it: its body, or (schema v3) its facts and its match rows' columns in order. */
type StoredRecord = { id: string; body: string | null; facts: string | null; entries: unknown[][] | null };

/** The record a row holds: its body parsed, or the body rebuilt from facts and match rows (body.ts) and parsed. */
function recordOf(row: StoredRecord, label: string): Advisory {
  if (row.body !== null) return JSON.parse(row.body) as Advisory;
  const parts: string[] = [];
  for (const [ecosystem, pkg, purl, ranges, versions, fixed, status, source_record] of row.entries ?? []) {
    const json = entryJson({ ecosystem, package: pkg, purl, ranges, versions, fixed, status, source_record });
    if (json === undefined) throw new StoreError('DB_CORRUPT', `advisory database ${label}: record ${row.id} has a match row that is not text`);
    parts.push(json);
  }
  const body = row.facts === null ? undefined : bodyFrom(row.facts, parts);
  if (body === undefined) throw new StoreError('DB_CORRUPT', `advisory database ${label}: record ${row.id} has neither a body nor facts to rebuild it from`);
  return JSON.parse(body) as Advisory;
}
type Client = Pick<pg.ClientBase, 'query'>;

const ENTRY_COLUMNS = 'm.ecosystem, m.package, m.purl, m.ranges, m.versions, m.fixed, m.status, m.source_record, m.advisory, m.withdrawn';

export class PostgresAdvisoryStore implements AdvisoryStore {
  readonly #pool: pg.Pool;
  readonly #s: string;
  readonly #schema: string;
  readonly #label: string;
  /** The import transaction's connection while `transaction` runs. */
  #tx: pg.PoolClient | undefined;
  #inTransaction = false;
  /** Whether this transaction changed a record (its commit counts again: status.ts, kept counts). */
  #changed = false;

  /** In a read snapshot's view (`readSnapshot`): its connection, inside BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY. */
  readonly #snapshot: pg.PoolClient | undefined;

  private constructor(pool: pg.Pool, schema: string, label: string, snapshot?: pg.PoolClient) {
    this.#pool = pool;
    this.#schema = schema;
    this.#s = quoteSchema(schema);
    this.#label = label;
    this.#snapshot = snapshot;
  }

  /** Connects and creates or upgrades the tables (once, however many processes open at the same time). */
  static async open(connectionString: string, options: PostgresAdvisoryStoreOptions = {}): Promise<PostgresAdvisoryStore> {
    const schema = options.schema ?? DEFAULT_ADVISORY_SCHEMA;
    const label = describeLocation(connectionString);
    quoteSchema(schema);
    const pool = new pg.Pool({ max: 4, ...options.pool, connectionString });
    // An idle pooled connection that dies (server restart) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        await migratePostgres(client, schema);
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof StoreError) throw error;
      throw new StoreError('DB_OPEN_FAILED', `cannot open advisory database ${label}: ${(error as Error).message}`, { cause: error });
    }
    return new PostgresAdvisoryStore(pool, schema, label);
  }

  async #q<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
    const client: Client = this.#snapshot ?? this.#tx ?? this.#pool;
    try {
      return (await client.query<R>(text, values)).rows;
    } catch (error) {
      throw this.#failed(error);
    }
  }

  #failed(error: unknown): StoreError {
    return error instanceof StoreError ? error : new StoreError('DB_OPEN_FAILED', `advisory database ${this.#label}: ${(error as Error).message}`, { cause: error });
  }

  /**
   * `fn` on one pooled connection inside a REPEATABLE READ READ ONLY transaction: every read of `fn` sees the
   * data as of its first one, whatever imports commit meanwhile (MVCC: the importer is neither blocked nor
   * blocking). Each snapshot has its own connection, so concurrent scans do not wait on each other (up to the
   * pool's size); a snapshot asked for inside one is that one.
   */
  async readSnapshot<T>(fn: (reader: AdvisoryReader) => Promise<T>): Promise<T> {
    if (this.#snapshot) return fn(this);
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw this.#failed(error);
    }
    let broken = false;
    try {
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      } catch (error) {
        throw this.#failed(error);
      }
      const result = await fn(new PostgresAdvisoryStore(this.#pool, this.#schema, this.#label, client));
      await client.query('COMMIT').catch((error: unknown) => Promise.reject(this.#failed(error)));
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async upsert(advisory: Advisory): Promise<UpsertResult> {
    return (await this.upsertMany([advisory]))[0]!;
  }

  /** Records in batches of a few statements each (postgres-upsert.ts), inside the import's transaction (or one of their own). */
  async upsertMany(advisories: readonly Advisory[]): Promise<UpsertResult[]> {
    if (!this.#tx) return this.transaction(() => this.upsertMany(advisories));
    const results = await upsertRecords({ schema: this.#s, query: <R extends object>(text: string, values?: unknown[]) => this.#q<R & pg.QueryResultRow>(text, values) }, advisories);
    if (results.some((r) => r !== 'unchanged')) this.#changed = true;
    return results;
  }

  async getById(id: string): Promise<Advisory | undefined> {
    return (await this.getByIds([id])).get(id);
  }

  /** The merged advisories of many ids in one query (records in id, feed, scope order, as SQLite reads them). */
  async getByIds(ids: readonly string[]): Promise<Map<string, Advisory | undefined>> {
    const wanted = uniq(ids);
    const records = new Map<string, Advisory[]>();
    if (wanted.length > 0) {
      // One statement (one MVCC snapshot): a record without its body comes with its match rows, to rebuild it from.
      const rows = await this.#q<StoredRecord>(
        `SELECT r.id, r.body, r.facts, e.entries FROM ${this.#s}.records r
         LEFT JOIN LATERAL (SELECT json_agg(json_build_array(m.ecosystem, m.package, m.purl, m.ranges, m.versions, m.fixed, m.status, m.source_record) ORDER BY m.ord) AS entries
           FROM ${this.#s}.match_entries m WHERE r.body IS NULL AND m.record = r.pk) e ON true
         WHERE r.id = ANY($1::text[]) ORDER BY r.id, r.feed, r.scope`,
        [wanted],
      );
      for (const row of rows) {
        const list = records.get(row.id);
        const record = recordOf(row, this.#label);
        if (list) list.push(record);
        else records.set(row.id, [record]);
      }
    }
    return new Map(wanted.map((id) => [id, mergeRecords(records.get(id) ?? [])]));
  }

  /**
   * `getByIds` without the affected entries, merged alike (merge.ts `mergeFacts`): what matching shows of an
   * advisory. Reads each record's facts (schema v3), or its body without `affected` where the body is kept;
   * no match row is read and no entry parsed.
   */
  async getFactsByIds(ids: readonly string[]): Promise<Map<string, AdvisoryFacts | undefined>> {
    const wanted = uniq(ids);
    const records = new Map<string, AdvisoryFacts[]>();
    if (wanted.length > 0) {
      const rows = await this.#q<{ id: string; facts: string | null; body: string | null }>(
        `SELECT id, facts, CASE WHEN facts IS NULL THEN body END AS body FROM ${this.#s}.records WHERE id = ANY($1::text[]) ORDER BY id, feed, scope`,
        [wanted],
      );
      for (const row of rows) {
        let facts: AdvisoryFacts;
        if (row.facts !== null) facts = JSON.parse(row.facts) as AdvisoryFacts;
        else if (row.body !== null) {
          const { affected: _affected, ...rest } = JSON.parse(row.body) as Advisory;
          facts = rest;
        } else throw new StoreError('DB_CORRUPT', `advisory database ${this.#label}: record ${row.id} has neither a body nor facts`);
        const list = records.get(row.id);
        if (list) list.push(facts);
        else records.set(row.id, [facts]);
      }
    }
    return new Map(wanted.map((id) => [id, mergeFacts(records.get(id) ?? [])]));
  }

  async findAffected(ecosystem: string, packageName: string, options: FindOptions = {}): Promise<AffectedMatch[]> {
    return (await this.findAffectedBatch([{ ecosystem, name: packageName }], options))[0]!;
  }

  async findAffectedBatch(queries: readonly AffectedQuery[], options: FindOptions = {}): Promise<AffectedMatch[][]> {
    const entries = await this.findEntriesBatch(queries, options);
    const ids: string[] = [];
    for (const list of entries) for (const e of list) ids.push(e.advisoryId);
    const advisories = await this.getByIds(ids);
    return entries.map((list) => list.map((e) => ({ advisory: advisories.get(e.advisoryId)!, affected: e.affected })));
  }

  /** One round trip for every (ecosystem, name) pair asked; answers in the order asked, entries as SQLite orders them. */
  async findEntriesBatch(queries: readonly AffectedQuery[], options: FindOptions = {}): Promise<AffectedEntry[][]> {
    const keys = queries.map((q) => `${q.ecosystem}\u0000${normalizePackageName(q.ecosystem, q.name)}`);
    const answers = new Map<string, AffectedEntry[]>();
    const ecosystems: string[] = [];
    const names: string[] = [];
    queries.forEach((q, i) => {
      const key = keys[i]!;
      if (answers.has(key)) return;
      answers.set(key, []);
      ecosystems.push(q.ecosystem);
      names.push(normalizePackageName(q.ecosystem, q.name));
    });
    if (ecosystems.length > 0) {
      const rows = await this.#q<EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM ${this.#s}.match_entries m
         JOIN unnest($1::text[], $2::text[]) AS q(ecosystem, package) ON m.ecosystem = q.ecosystem AND m.package = q.package
         ORDER BY m.ecosystem, m.package, m.advisory, m.record, m.ord`,
        [ecosystems, names],
      );
      for (const row of rows) {
        if (row.withdrawn && !options.includeWithdrawn) continue;
        answers.get(`${row.ecosystem}\u0000${row.package}`)?.push({ advisoryId: row.advisory, affected: affectedFromRow(row) });
      }
    }
    return keys.map((key) => answers.get(key)!);
  }

  async ecosystemsWithEntries(ecosystems: readonly string[]): Promise<ReadonlySet<string>> {
    // One probe of the (ecosystem, package) index per ecosystem, in one round trip.
    const rows = await this.#q<{ ecosystem: string }>(
      `SELECT e.ecosystem FROM unnest($1::text[]) AS e(ecosystem) WHERE EXISTS (SELECT 1 FROM ${this.#s}.match_entries m WHERE m.ecosystem = e.ecosystem COLLATE "C")`,
      [[...ecosystems]],
    );
    return new Set(rows.map((r) => r.ecosystem));
  }

  async byAlias(id: string): Promise<Advisory[]> {
    const s = this.#s;
    const rows = await this.#q<{ id: string }>(
      `SELECT id FROM ${s}.records WHERE id = $1 UNION SELECT r.id FROM ${s}.aliases al JOIN ${s}.records r ON r.pk = al.record WHERE al.alias = $1 ORDER BY 1`,
      [id],
    );
    const advisories = await this.getByIds(rows.map((r) => r.id));
    return rows.map((r) => advisories.get(r.id)).filter((a): a is Advisory => a !== undefined);
  }

  /** The counts the last import kept in `meta` (each import counts before its commit: records change only in one), else counted live. */
  async #counts(): Promise<Counts> {
    return parseCounts(await this.getMeta(COUNTS_META)) ?? this.#countLive();
  }

  async #countLive(): Promise<Counts> {
    const s = this.#s;
    const feeds = await this.#q<{ feed: string; advisories: number; affected: number; newest: string | null }>(
      `SELECT r.feed, r.advisories, coalesce(m.affected, 0)::int AS affected, r.newest FROM
         (SELECT feed, count(*)::int AS advisories, max(CASE WHEN modified LIKE '0001-%' THEN NULL ELSE modified END) AS newest FROM ${s}.records GROUP BY feed) r
         LEFT JOIN (SELECT r2.feed, count(*) AS affected FROM ${s}.match_entries e JOIN ${s}.records r2 ON r2.pk = e.record GROUP BY r2.feed) m ON m.feed = r.feed`,
    );
    let advisories = 0;
    let affected = 0;
    for (const f of feeds) {
      advisories += f.advisories;
      affected += f.affected;
    }
    return { advisories, affected, feeds };
  }

  async #sources(counts: Counts): Promise<SourceStatus[]> {
    return composeSources(counts, await this.#q<SourceBookRow & pg.QueryResultRow>(`SELECT feed, last_import, last_change, data_date FROM ${this.#s}.sources`));
  }

  async sources(): Promise<SourceStatus[]> {
    return this.#sources(await this.#counts());
  }

  async status(): Promise<StoreStatus> {
    const counts = await this.#counts();
    return { schemaVersion: PG_SCHEMA_VERSION, advisories: counts.advisories, affected: counts.affected, sources: await this.#sources(counts) };
  }

  async markImported(feed: string, info: { changed?: boolean; dataDate?: string } = {}): Promise<void> {
    const now = new Date().toISOString();
    await this.#q(
      `INSERT INTO ${this.#s}.sources (feed, last_import, last_change, data_date) VALUES ($1, $2, $3, $4)
       ON CONFLICT (feed) DO UPDATE SET last_import = $2, last_change = COALESCE($3, ${this.#s}.sources.last_change),
         data_date = COALESCE($4, ${this.#s}.sources.data_date)`,
      [feed, now, info.changed ? now : null, info.dataDate ?? null],
    );
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.#q<{ value: string }>(`SELECT value FROM ${this.#s}.meta WHERE key = $1`, [key]))[0]?.value;
  }

  async setMeta(key: string, value: string | undefined): Promise<void> {
    if (value === undefined) await this.#q(`DELETE FROM ${this.#s}.meta WHERE key = $1`, [key]);
    else await this.#q(`INSERT INTO ${this.#s}.meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
  }

  /** One transaction on one connection; a second importer on the same schema waits on the advisory lock until this one ends. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#inTransaction || this.#snapshot) throw new StoreError('TRANSACTION_NESTED', 'advisory store transactions do not nest (nor run inside a read snapshot)');
    this.#inTransaction = true;
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      this.#inTransaction = false;
      throw new StoreError('DB_OPEN_FAILED', `advisory database ${this.#label}: ${(error as Error).message}`, { cause: error });
    }
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', schemaLock(this.#schema, 'import'));
      this.#tx = client;
      const result = await fn();
      if (this.#changed || parseCounts(await this.getMeta(COUNTS_META)) === undefined) await this.setMeta(COUNTS_META, JSON.stringify(await this.#countLive()));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof StoreError || !(error instanceof Error) || !('severity' in error)) throw error;
      throw new StoreError('DB_OPEN_FAILED', `advisory database ${this.#label}: ${error.message}`, { cause: error });
    } finally {
      this.#tx = undefined;
      this.#inTransaction = false;
      this.#changed = false;
      client.release();
    }
  }

  /** CISA KEV and EPSS in this schema; their imports join the running transaction (or open one). */
  exploitation(): ExploitWriter {
    return postgresExploitation({
      schema: this.#s,
      query: <R extends object>(text: string, values?: unknown[]) => this.#q<R & pg.QueryResultRow>(text, values),
      inTransaction: <T>(fn: () => Promise<T>) => (this.#tx ? fn() : this.transaction(fn)),
    });
  }

  /** Ends the pool (a snapshot's view leaves it to its store). */
  async close(): Promise<void> {
    if (!this.#snapshot && !this.#pool.ended) await this.#pool.end();
  }
}
