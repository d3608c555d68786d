/**
 * The SQLite advisory store (better-sqlite3).
 *
 * Why transactions and not a new file swapped in with rename: both designs
 * give "never a partial DB"; only the transaction also makes incremental
 * updates cheap. An import (`importPaths`, `update`) runs inside ONE
 * transaction on the live database (`transaction(fn)`: BEGIN IMMEDIATE …
 * COMMIT). SQLite's journal (WAL here) makes that commit atomic: if the
 * process throws, is killed (SIGKILL) or the machine stops mid-import, the
 * uncommitted frames are ignored on the next open and readers, during the
 * import and after a crash, see exactly the previous database. Copying the
 * whole DB (hundreds of MB with NVD) to apply a 304-mostly daily update would
 * cost more than the update.
 *
 * The parts: `schema.ts` (tables, migrations, the indexes a first import
 * builds at the end), `records.ts` (one record in and out, content hash),
 * `body.ts` (a record's JSON body stored NULL and rebuilt),
 * `merge.ts` (records of one id merged into one advisory), `status.ts`
 * (counts, dates, content digest), `sqlite-snapshot.ts` (read snapshots).
 * This file holds the store itself: lookups with their memos, bookkeeping,
 * transactions.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describeKind, normalizePackageName, type Advisory, type AffectedMatch } from '../../core/index.js';
import { EntryParser, planBatch, type EntryRow } from './batch.js';
import { mergeRecords } from './merge.js';
import { affectedFromRow, mergedFactsOf, RecordTables, type AffectedRow } from './records.js';
import { buildBulkIndexes, dropBulkIndexes, MATCH_ENTRIES_VERSION, migrate, SCHEMA_VERSION } from './schema.js';
import { ReadSnapshots } from './sqlite-snapshot.js';
import { contentDigest, ecosystemsHeld, feedSources, forgetCounts, hasKeptCounts, keepCounts, markFeedImported, rowCounts, storeStatus } from './status.js';
import { StoreError, type AdvisoryFacts, type AdvisoryReader, type AdvisoryStore, type AffectedEntry, type AffectedQuery, type FindOptions, type SourceStatus, type StoreStatus, type UpsertResult } from './store.js';
import { sqliteExploitation, type ExploitWriter } from '../exploit/store.js';

export { MIGRATIONS, SCHEMA_VERSION, migrate, type Migration } from './schema.js';

export interface SqliteAdvisoryStoreOptions {
  /** Open an existing database read-only (no migrations). */
  readonly readonly?: boolean;
}

const MERGED_MEMO_LIMIT = 20_000; // merged advisories kept in memory by one store instance
const ABSENT_MEMO_LIMIT = 100_000;
const READER_MMAP_BYTES = 1 << 30;

type MatchRow = AffectedRow & { id: string; withdrawn: string | null };
export class SqliteAdvisoryStore implements AdvisoryStore {
  readonly path: string;
  readonly db: Database.Database;
  #inTransaction = false;
  #bulk = false;
  readonly #records: RecordTables;
  readonly #stmts: ReturnType<SqliteAdvisoryStore['prepare']>;
  readonly #merged = new Map<string, Advisory>();
  /** Merged advisories without their entries (`getFactsByIds`), memoised and cleared like #merged. */
  readonly #facts = new Map<string, AdvisoryFacts>();
  /** Ids known to have no record (a CVE without an NVD record, looked up for every finding named by it). */
  readonly #absent = new Set<string>();
  /** findAffected answers by (ecosystem, package), memoised like #merged and cleared with it. */
  readonly #affected = new Map<string, AffectedMatch[]>();
  /** findEntriesBatch answers by (ecosystem, package), memoised and cleared like #affected. */
  readonly #entries = new Map<string, AffectedEntry[]>();
  /** Whether this transaction has removed the kept counts already (status.ts `forgetCounts`). */
  #countsForgotten = false;
  readonly #snapshots: ReadSnapshots; // the read transaction of `readSnapshot` (sqlite-snapshot.ts)

  constructor(path: string, options: SqliteAdvisoryStoreOptions = {}) {
    this.path = path;
    // SQLite would block reading a FIFO (`--db` naming one hung `db status`) or journal beside a device.
    const kind = path === ':memory:' ? undefined : statSync(path, { throwIfNoEntry: false });
    if (kind && !kind.isFile()) throw new StoreError('DB_OPEN_FAILED', `cannot open advisory database ${path}: it is not a regular file (it is ${describeKind(kind)})`);
    try {
      if (!options.readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
      this.db.pragma('busy_timeout = 10000');
      if (!options.readonly) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
        migrate(this.db);
      }
      this.db.pragma('cache_size = -65536');
      // Readers (scan, lint) map the file: a fresh process reads thousands of scattered pages once,
      // and mapped reads skip a system call and a copy per page.
      if (options.readonly) this.db.pragma(`mmap_size = ${READER_MMAP_BYTES}`);
    } catch (error) {
      if (error instanceof StoreError) throw error;
      const code = (error as { code?: string }).code;
      throw new StoreError(code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' ? 'DB_CORRUPT' : 'DB_OPEN_FAILED', `cannot open advisory database ${path}: ${(error as Error).message}`, { cause: error });
    }
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new StoreError('DB_TOO_NEW', `advisory database schema v${version} is newer than this portcullis (v${SCHEMA_VERSION})`);
    this.#records = new RecordTables(this.db);
    this.#stmts = this.prepare(version >= MATCH_ENTRIES_VERSION);
    this.#snapshots = new ReadSnapshots(this.db, () => this.clearMemos());
  }

  private prepare(hasMatchTable: boolean) {
    const db = this.db;
    const entryColumns = 'package, purl, ranges, versions, fixed, status, source_record'; // the ecosystem is the one asked
    // Below v5 (a database opened read-only, never migrated) the same rows come from the join, ordered alike.
    // The third parameter is 1 to include withdrawn advisories' entries, 0 to leave them out.
    const findEntriesMany = hasMatchTable
      ? `SELECT ${entryColumns}, advisory FROM match_entries WHERE ecosystem = ? AND package IN (SELECT value FROM json_each(?)) AND (withdrawn = 0 OR ?)
         ORDER BY package, advisory, record, ord`
      : `SELECT ${entryColumns.replace(/(\w+)/g, 'a.$1')}, r.id AS advisory FROM affected a JOIN records r ON r.pk = a.record
         WHERE a.ecosystem = ? AND a.package IN (SELECT value FROM json_each(?)) AND (r.withdrawn IS NULL OR ?) ORDER BY a.package, r.id, a.record, a.ord`;
    const matchColumns = 'SELECT a.*, r.id AS id, r.withdrawn AS withdrawn FROM affected a JOIN records r ON r.pk = a.record';
    return {
      findAffected: db.prepare<[string, string], MatchRow>(`${matchColumns} WHERE a.ecosystem = ? AND a.package = ? ORDER BY r.id, a.record, a.ord`),
      /** One ecosystem, many package names (a JSON array): the same rows per name, in the same order. */
      findAffectedMany: db.prepare<[string, string], MatchRow>(
        `${matchColumns} WHERE a.ecosystem = ? AND a.package IN (SELECT value FROM json_each(?)) ORDER BY a.package, r.id, a.record, a.ord`,
      ),
      idsByAlias: db.prepare<[string, string], { id: string }>(
        'SELECT id FROM records WHERE id = ? UNION SELECT r.id FROM aliases al JOIN records r ON r.pk = al.record WHERE al.alias = ? ORDER BY 1',
      ),
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      deleteMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
      anyRecord: db.prepare<[], { pk: number }>('SELECT pk FROM records LIMIT 1'),
      findEntriesMany: db.prepare<[string, string, number], EntryRow>(findEntriesMany).raw(),
    };
  }

  async upsert(advisory: Advisory): Promise<UpsertResult> {
    return this.upsertSync(advisory);
  }

  /** The synchronous core of `upsert` (better-sqlite3 is synchronous). */
  upsertSync(advisory: Advisory): UpsertResult {
    this.clearMemos();
    // Outside a transaction the counts go first (a crash between leaves none, never stale ones);
    // inside one, with the first change (atomic with it; the commit counts again).
    if (!this.#inTransaction) forgetCounts(this.db);
    const result = this.#records.upsert(advisory);
    if (this.#inTransaction && result !== 'unchanged' && !this.#countsForgotten) {
      forgetCounts(this.db);
      this.#countsForgotten = true;
    }
    return result;
  }

  /** Every stored record of one id, unmerged. */
  getRecords(id: string): Advisory[] {
    return this.#records.byId(id);
  }

  /**
   * The merged advisory for `id`, memoised: a scan asks for the same
   * advisories again and again (every binary package of one source package,
   * every alias lookup), and loading one takes several queries. Any write
   * clears the memo; it is bounded by MERGED_MEMO_LIMIT.
   */
  merged(id: string): Advisory | undefined {
    if (this.#merged.has(id)) return this.#merged.get(id);
    if (this.#absent.has(id)) return undefined;
    return this.remember(id, mergeRecords(this.getRecords(id)));
  }

  /** Memoises a merged advisory; ids without records go to their own (cheap, larger) set. */
  private remember(id: string, advisory: Advisory | undefined): Advisory | undefined {
    if (advisory === undefined) {
      if (this.#absent.size >= ABSENT_MEMO_LIMIT) this.#absent.clear();
      this.#absent.add(id);
      return undefined;
    }
    if (this.#merged.size >= MERGED_MEMO_LIMIT) this.#merged.clear();
    this.#merged.set(id, advisory);
    return advisory;
  }

  async getById(id: string): Promise<Advisory | undefined> {
    return this.merged(id);
  }

  async getByIds(ids: readonly string[]): Promise<Map<string, Advisory | undefined>> {
    const out = new Map<string, Advisory | undefined>();
    const missing: string[] = [];
    for (const id of ids) {
      if (out.has(id)) continue;
      if (this.#merged.has(id)) out.set(id, this.#merged.get(id));
      else if (this.#absent.has(id)) out.set(id, undefined);
      else {
        out.set(id, undefined);
        missing.push(id);
      }
    }
    const loaded = this.#records.byIds(missing);
    for (const id of missing) out.set(id, this.remember(id, mergeRecords(loaded.get(id) ?? [])));
    return out;
  }

  /**
   * `getByIds` without the affected entries: every record's facts (`factsByIds`), merged like the
   * records (`mergeFacts`). What matching loads of the advisories that produced a finding and of the
   * CVE records beside them; memoised like the advisories (a full advisory loaded serves as its facts).
   */
  async getFactsByIds(ids: readonly string[]): Promise<Map<string, AdvisoryFacts | undefined>> {
    const out = new Map<string, AdvisoryFacts | undefined>();
    const missing: string[] = [];
    for (const id of ids) {
      if (out.has(id)) continue;
      const known = this.#facts.get(id) ?? this.#merged.get(id);
      if (known) out.set(id, known);
      else if (this.#absent.has(id)) out.set(id, undefined);
      else {
        out.set(id, undefined);
        missing.push(id);
      }
    }
    const loaded = this.#records.factsByIds(missing);
    for (const id of missing) {
      const facts = mergedFactsOf(loaded.get(id));
      if (facts === undefined) this.remember(id, undefined);
      else {
        if (this.#facts.size >= MERGED_MEMO_LIMIT) this.#facts.clear();
        this.#facts.set(id, facts);
      }
      out.set(id, facts);
    }
    return out;
  }

  private clearMemos(): void {
    this.#facts.clear();
    this.#merged.clear();
    this.#absent.clear();
    this.#affected.clear();
    this.#entries.clear();
  }

  async findAffected(ecosystem: string, packageName: string, options: FindOptions = {}): Promise<AffectedMatch[]> {
    const name = normalizePackageName(ecosystem, packageName);
    const key = `${options.includeWithdrawn ? 'w' : '-'}\u0000${ecosystem}\u0000${name}`;
    const hit = this.#affected.get(key);
    if (hit) return hit;
    const out: AffectedMatch[] = [];
    for (const row of this.#stmts.findAffected.all(ecosystem, name)) {
      if (row.withdrawn !== null && !options.includeWithdrawn) continue;
      out.push({ advisory: this.merged(row.id)!, affected: affectedFromRow(row) });
    }
    this.rememberAffected(key, out);
    return out;
  }

  private rememberAffected(key: string, matches: AffectedMatch[]): void {
    if (this.#affected.size >= MERGED_MEMO_LIMIT) this.#affected.clear();
    this.#affected.set(key, matches);
  }

  /**
   * `findAffected` for many (ecosystem, name) pairs at once, answers in the
   * order asked: one query per ecosystem for the affected rows, one query for
   * the records of every advisory not yet loaded. A scan of thousands of
   * packages costs a handful of queries instead of thousands.
   */
  async findAffectedBatch(queries: readonly AffectedQuery[], options: FindOptions = {}): Promise<AffectedMatch[][]> {
    const { flag, keys, answers, wanted } = planBatch(queries, options, this.#affected);
    const rows: MatchRow[] = [];
    for (const [ecosystem, names] of wanted) {
      for (const row of this.#stmts.findAffectedMany.all(ecosystem, JSON.stringify([...names]))) {
        if (row.withdrawn !== null && !options.includeWithdrawn) continue;
        rows.push(row);
      }
    }
    const advisories = new Map<string, Advisory | undefined>();
    const missing: string[] = [];
    for (const row of rows) {
      if (advisories.has(row.id)) continue;
      if (this.#merged.has(row.id)) advisories.set(row.id, this.#merged.get(row.id));
      else {
        advisories.set(row.id, undefined);
        missing.push(row.id);
      }
    }
    for (const [id, records] of this.#records.byIds(missing)) advisories.set(id, this.remember(id, mergeRecords(records)));
    for (const row of rows) {
      answers.get(`${flag}\u0000${row.ecosystem}\u0000${row.package}`)!.push({ advisory: advisories.get(row.id)!, affected: affectedFromRow(row) });
    }
    for (const [key, matches] of answers) if (!this.#affected.has(key)) this.rememberAffected(key, matches);
    return keys.map((key) => answers.get(key)!);
  }

  /**
   * The affected entries of many (ecosystem, name) pairs without their
   * advisories: one query per ecosystem over the match table's small rows
   * (no record row, no JSON body read). The matcher judges these, then loads
   * the advisories of packages found vulnerable (`getByIds`). Same entries in
   * the same order as `findAffectedBatch`.
   */
  async findEntriesBatch(queries: readonly AffectedQuery[], options: FindOptions = {}): Promise<AffectedEntry[][]> {
    const { flag, keys, answers, wanted } = planBatch(queries, options, this.#entries);
    const parsed = new EntryParser();
    for (const [ecosystem, names] of wanted) {
      // Rows come ordered by package: one answer list per run of rows.
      let pkg: string | undefined;
      let list: AffectedEntry[] = [];
      for (const row of this.#stmts.findEntriesMany.iterate(ecosystem, JSON.stringify([...names]), options.includeWithdrawn ? 1 : 0)) {
        if (row[0] !== pkg) {
          pkg = row[0];
          list = answers.get(`${flag}\u0000${ecosystem}\u0000${pkg}`)!;
        }
        list.push({ advisoryId: parsed.intern(row[7]), affected: parsed.entry(row, ecosystem, pkg) });
      }
    }
    for (const [key, entries] of answers) {
      if (this.#entries.has(key)) continue;
      if (this.#entries.size >= MERGED_MEMO_LIMIT) this.#entries.clear();
      this.#entries.set(key, entries);
    }
    return keys.map((key) => answers.get(key)!);
  }

  async byAlias(id: string): Promise<Advisory[]> {
    return this.#stmts.idsByAlias.all(id, id).map((r) => this.merged(r.id)!);
  }

  async sources(): Promise<SourceStatus[]> {
    return feedSources(this.db);
  }

  ecosystemsWithEntries = async (ecosystems: readonly string[]): Promise<ReadonlySet<string>> => ecosystemsHeld(this.db, ecosystems);

  async status(): Promise<StoreStatus> {
    return storeStatus(this.db);
  }

  markImported = async (feed: string, info: { changed?: boolean; dataDate?: string } = {}): Promise<void> => markFeedImported(this.db, feed, info);

  async getMeta(key: string): Promise<string | undefined> {
    return this.#stmts.getMeta.get(key)?.value;
  }

  async setMeta(key: string, value: string | undefined): Promise<void> {
    if (value === undefined) this.#stmts.deleteMeta.run(key);
    else this.#stmts.setMeta.run(key, value);
  }

  /** A read transaction on the connection, shared by overlapping callers (sqlite-snapshot.ts); memos cleared when another process committed. */
  readSnapshot = <T>(fn: (reader: AdvisoryReader) => Promise<T>): Promise<T> => this.#snapshots.run(() => fn(this), this.#inTransaction);

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#inTransaction || this.#snapshots.open) throw new StoreError('TRANSACTION_NESTED', 'advisory store transactions do not nest (nor begin while a read snapshot is open)');
    this.#inTransaction = true;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn();
      if (this.#bulk) buildBulkIndexes(this.db);
      if (this.#countsForgotten || !hasKeptCounts(this.db)) keepCounts(this.db);
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.#inTransaction = false;
      this.#bulk = false;
      this.#countsForgotten = false;
      this.clearMemos(); // what was read inside may have been rolled back
    }
  }

  /**
   * Called first inside an import's `transaction`: when the database holds no
   * record yet, the lookup indexes on package names and aliases are dropped
   * and built once before the commit (see schema.ts BULK_INDEXES). Both happen
   * inside the transaction, so a rollback or a kill restores them. Returns
   * whether bulk mode is on. Lookups by package or alias are slow until the
   * commit; an import does not make any.
   */
  beginBulkLoad(): boolean {
    if (!this.#inTransaction || this.#stmts.anyRecord.get() !== undefined) return false;
    dropBulkIndexes(this.db);
    this.#bulk = true;
    return true;
  }

  /** Row counts of the advisory tables (bookkeeping tables excluded). */
  rowCounts(): Record<string, number> {
    return rowCounts(this.db);
  }

  /** SHA-256 over every row of the advisory tables in a fixed order: equal digests mean equal advisory content. */
  contentDigest(): string {
    return contentDigest(this.db);
  }

  exploitation(): ExploitWriter {
    return sqliteExploitation(this.db);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export const openSqliteAdvisoryStore = (path: string, options?: SqliteAdvisoryStoreOptions): SqliteAdvisoryStore => new SqliteAdvisoryStore(path, options);
