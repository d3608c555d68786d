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
 * cost more than the update. Idempotency comes from the records themselves:
 * each record (id, feed, scope) stores a SHA-256 of its canonical content;
 * an upsert with the same hash, or with an older `modified` date, changes
 * nothing, so re-importing the same data leaves every advisory row untouched
 * (only the bookkeeping `sources.last_import` moves).
 *
 * Schema: normalised tables `records` (one per (id, feed, scope)),
 * `aliases` (kind `alias` | `upstream`), `severities`, `refs`, `affected`
 * (ranges and versions as JSON text), plus `sources` (per-feed bookkeeping)
 * and `meta` (key/value: HTTP validators, sync dates). Indexes on
 * affected(ecosystem, package) and aliases(alias). Versioned with
 * `PRAGMA user_version` and the ordered `MIGRATIONS` list; each step runs in
 * its own transaction. A database newer than this code is refused
 * (DB_TOO_NEW) rather than guessed at.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  normalizePackageName,
  type Advisory,
  type AffectedMatch,
  type AffectedPackage,
  type AffectedRange,
  type AffectedStatus,
  type CvssVersion,
  type Reference,
  type Severity,
  type SeverityLevel,
} from '../../core/advisory.js';
import { StoreError, type AdvisoryStore, type FindOptions, type SourceStatus, type StoreStatus, type UpsertResult } from './store.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'advisory records, aliases, severities, references, affected packages, per-feed bookkeeping',
    sql: `
      CREATE TABLE records (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        feed TEXT NOT NULL,
        scope TEXT NOT NULL DEFAULT '',
        summary TEXT,
        details TEXT,
        published TEXT,
        modified TEXT,
        withdrawn TEXT,
        content_hash TEXT NOT NULL,
        UNIQUE (id, feed, scope)
      );
      CREATE TABLE aliases (record INTEGER NOT NULL, kind TEXT NOT NULL, alias TEXT NOT NULL);
      CREATE INDEX aliases_record ON aliases (record);
      CREATE TABLE severities (
        record INTEGER NOT NULL, ord INTEGER NOT NULL, source TEXT NOT NULL, severity TEXT NOT NULL,
        cvss_version TEXT, vector TEXT, score REAL
      );
      CREATE INDEX severities_record ON severities (record);
      CREATE TABLE refs (record INTEGER NOT NULL, ord INTEGER NOT NULL, type TEXT NOT NULL, url TEXT NOT NULL);
      CREATE INDEX refs_record ON refs (record);
      CREATE TABLE affected (
        record INTEGER NOT NULL, ord INTEGER NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL, purl TEXT,
        ranges TEXT NOT NULL, versions TEXT, fixed TEXT, status TEXT NOT NULL, source_record TEXT NOT NULL
      );
      CREATE INDEX affected_record ON affected (record);
      CREATE INDEX affected_package ON affected (ecosystem, package);
      CREATE TABLE sources (feed TEXT PRIMARY KEY, last_import TEXT, data_date TEXT);
    `,
  },
  {
    version: 2,
    description: 'alias lookup index, key/value metadata (HTTP validators, sync dates), last change per feed',
    sql: `
      CREATE INDEX aliases_alias ON aliases (alias);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      ALTER TABLE sources ADD COLUMN last_change TEXT;
    `,
  },
  {
    version: 3,
    description: 'each record also kept whole as JSON (body), so reading an advisory is one row, not five queries',
    sql: `
      ALTER TABLE records ADD COLUMN body TEXT;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings `db` to `target` (default: the latest), one transaction per step. Returns the version reached. */
export function migrate(db: Database.Database, target: number = SCHEMA_VERSION): number {
  let current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new StoreError('DB_TOO_NEW', `advisory database schema v${current} is newer than this portcullis (v${SCHEMA_VERSION}); upgrade portcullis`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    current = m.version;
  }
  return current;
}

/** JSON with sorted keys and no undefined members: the input of a record's content hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function contentHash(advisory: Advisory): string {
  return createHash('sha256').update(canonicalJson(advisory)).digest('hex');
}

/** Milliseconds for comparing `modified` dates written with different precision; undefined when absent or unparsable. */
function timeOf(date: string | null | undefined): number | undefined {
  if (!date) return undefined;
  const t = Date.parse(date);
  return Number.isNaN(t) ? undefined : t;
}

const FEED_ORDER = ['osv', 'alpine-secdb', 'debian-tracker', 'nvd'];
function feedRank(feed: string): number {
  const i = FEED_ORDER.indexOf(feed);
  return i < 0 ? FEED_ORDER.length : i;
}

interface RecordRow {
  pk: number;
  id: string;
  feed: string;
  scope: string;
  summary: string | null;
  details: string | null;
  published: string | null;
  modified: string | null;
  withdrawn: string | null;
  /** The record as loadRecord would rebuild it, as JSON (schema v3+; null for rows written before). */
  body: string | null;
}

/** The record exactly as the tables hold it (de-duplicated aliases, only known fields), for the body column. */
function storedForm(a: Advisory): Advisory {
  return {
    id: a.id,
    feed: a.feed,
    scope: a.scope,
    aliases: uniq(a.aliases),
    upstream: uniq(a.upstream),
    ...(a.summary !== undefined ? { summary: a.summary } : {}),
    ...(a.details !== undefined ? { details: a.details } : {}),
    severities: a.severities.map((sev) => ({
      source: sev.source,
      severity: sev.severity,
      ...(sev.cvss ? { cvss: { version: sev.cvss.version, vector: sev.cvss.vector, ...(sev.cvss.score !== undefined ? { score: sev.cvss.score } : {}) } } : {}),
    })),
    references: a.references.map((r) => ({ type: r.type, url: r.url })),
    ...(a.published !== undefined ? { published: a.published } : {}),
    ...(a.modified !== undefined ? { modified: a.modified } : {}),
    ...(a.withdrawn !== undefined ? { withdrawn: a.withdrawn } : {}),
    affected: a.affected.map((x) => ({
      ecosystem: x.ecosystem,
      name: x.name,
      ...(x.purl !== undefined ? { purl: x.purl } : {}),
      ranges: x.ranges,
      ...(x.versions !== undefined ? { versions: x.versions } : {}),
      ...(x.fixed !== undefined ? { fixed: x.fixed } : {}),
      status: x.status,
      sourceRecord: x.sourceRecord,
    })),
  };
}
interface AffectedRow {
  record: number;
  ecosystem: string;
  package: string;
  purl: string | null;
  ranges: string;
  versions: string | null;
  fixed: string | null;
  status: string;
  source_record: string;
}

function affectedFromRow(r: AffectedRow): AffectedPackage {
  return {
    ecosystem: r.ecosystem,
    name: r.package,
    ...(r.purl !== null ? { purl: r.purl } : {}),
    ranges: JSON.parse(r.ranges) as AffectedRange[],
    ...(r.versions !== null ? { versions: JSON.parse(r.versions) as string[] } : {}),
    ...(r.fixed !== null ? { fixed: r.fixed } : {}),
    status: r.status as AffectedStatus,
    sourceRecord: r.source_record,
  };
}

function uniq(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** One advisory from all records sharing an id: OSV first, NVD last; lists are unions, `modified` the newest. */
export function mergeRecords(records: readonly Advisory[]): Advisory | undefined {
  if (records.length === 0) return undefined;
  if (records.length === 1) return records[0];
  const sorted = [...records].sort((a, b) => feedRank(a.feed) - feedRank(b.feed) || (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
  const first = sorted[0]!;
  const id = first.id;
  const seenSev = new Set<string>();
  const severities: Severity[] = [];
  for (const s of sorted.flatMap((r) => r.severities)) {
    const key = `${s.source}|${s.severity}|${s.cvss?.vector ?? ''}`;
    if (!seenSev.has(key)) {
      seenSev.add(key);
      severities.push(s);
    }
  }
  const seenRef = new Set<string>();
  const references = sorted.flatMap((r) => r.references).filter((r) => (seenRef.has(r.url) ? false : (seenRef.add(r.url), true)));
  const modified = sorted.map((r) => r.modified).filter((m): m is string => !!m).sort((a, b) => (timeOf(b) ?? 0) - (timeOf(a) ?? 0))[0];
  const withAffected = sorted.filter((r) => r.affected.length > 0);
  const deciders = withAffected.length > 0 ? withAffected : sorted;
  const withdrawn = deciders.every((r) => r.withdrawn) ? deciders[0]!.withdrawn : undefined;
  const summary = sorted.find((r) => r.summary)?.summary;
  const details = sorted.find((r) => r.details)?.details;
  const published = sorted.find((r) => r.published)?.published;
  return {
    id,
    feed: first.feed,
    scope: first.scope,
    aliases: uniq(sorted.flatMap((r) => r.aliases)).filter((a) => a !== id),
    upstream: uniq(sorted.flatMap((r) => r.upstream)).filter((a) => a !== id),
    ...(summary ? { summary } : {}),
    ...(details ? { details } : {}),
    severities,
    references,
    ...(published ? { published } : {}),
    ...(modified ? { modified } : {}),
    ...(withdrawn ? { withdrawn } : {}),
    affected: sorted.flatMap((r) => r.affected),
  };
}

export interface SqliteStoreOptions {
  /** Open an existing database read-only (no migrations). */
  readonly readonly?: boolean;
}

/** Merged advisories kept in memory by one store instance. */
const MERGED_MEMO_LIMIT = 20_000;

export class SqliteStore implements AdvisoryStore {
  readonly path: string;
  readonly db: Database.Database;
  #inTransaction = false;
  readonly #stmts: ReturnType<SqliteStore['prepare']>;
  readonly #merged = new Map<string, Advisory | undefined>();
  /** findAffected answers by (ecosystem, package), memoised like #merged and cleared with it. */
  readonly #affected = new Map<string, AffectedMatch[]>();

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.path = path;
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
    } catch (error) {
      if (error instanceof StoreError) throw error;
      const code = (error as { code?: string }).code;
      throw new StoreError(code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' ? 'DB_CORRUPT' : 'DB_OPEN_FAILED', `cannot open advisory database ${path}: ${(error as Error).message}`, { cause: error });
    }
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new StoreError('DB_TOO_NEW', `advisory database schema v${version} is newer than this portcullis (v${SCHEMA_VERSION})`);
    this.#stmts = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      findRecord: db.prepare<[string, string, string], { pk: number; modified: string | null; content_hash: string }>(
        'SELECT pk, modified, content_hash FROM records WHERE id = ? AND feed = ? AND scope = ?',
      ),
      insertRecord: db.prepare(
        'INSERT INTO records (id, feed, scope, summary, details, published, modified, withdrawn, content_hash, body) VALUES (@id, @feed, @scope, @summary, @details, @published, @modified, @withdrawn, @hash, @body)',
      ),
      updateRecord: db.prepare(
        'UPDATE records SET summary = @summary, details = @details, published = @published, modified = @modified, withdrawn = @withdrawn, content_hash = @hash, body = @body WHERE pk = @pk',
      ),
      deleteAliases: db.prepare('DELETE FROM aliases WHERE record = ?'),
      deleteSeverities: db.prepare('DELETE FROM severities WHERE record = ?'),
      deleteRefs: db.prepare('DELETE FROM refs WHERE record = ?'),
      deleteAffected: db.prepare('DELETE FROM affected WHERE record = ?'),
      insertAlias: db.prepare('INSERT INTO aliases (record, kind, alias) VALUES (?, ?, ?)'),
      insertSeverity: db.prepare('INSERT INTO severities (record, ord, source, severity, cvss_version, vector, score) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      insertRef: db.prepare('INSERT INTO refs (record, ord, type, url) VALUES (?, ?, ?, ?)'),
      insertAffected: db.prepare(
        'INSERT INTO affected (record, ord, ecosystem, package, purl, ranges, versions, fixed, status, source_record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      recordsById: db.prepare<[string], RecordRow>('SELECT pk, id, feed, scope, summary, details, published, modified, withdrawn, body FROM records WHERE id = ?'),
      aliasesOf: db.prepare<[number], { kind: string; alias: string }>('SELECT kind, alias FROM aliases WHERE record = ? ORDER BY rowid'),
      severitiesOf: db.prepare<[number], { source: string; severity: string; cvss_version: string | null; vector: string | null; score: number | null }>(
        'SELECT source, severity, cvss_version, vector, score FROM severities WHERE record = ? ORDER BY ord',
      ),
      refsOf: db.prepare<[number], { type: string; url: string }>('SELECT type, url FROM refs WHERE record = ? ORDER BY ord'),
      affectedOf: db.prepare<[number], AffectedRow>('SELECT * FROM affected WHERE record = ? ORDER BY ord'),
      findAffected: db.prepare<[string, string], AffectedRow & { id: string; withdrawn: string | null }>(
        'SELECT a.*, r.id AS id, r.withdrawn AS withdrawn FROM affected a JOIN records r ON r.pk = a.record WHERE a.ecosystem = ? AND a.package = ? ORDER BY r.id, a.record, a.ord',
      ),
      idsByAlias: db.prepare<[string, string], { id: string }>(
        'SELECT id FROM records WHERE id = ? UNION SELECT r.id FROM aliases al JOIN records r ON r.pk = al.record WHERE al.alias = ? ORDER BY 1',
      ),
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      deleteMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
    };
  }

  async upsert(advisory: Advisory): Promise<UpsertResult> {
    return this.upsertSync(advisory);
  }

  /** The synchronous core of `upsert` (better-sqlite3 is synchronous). */
  upsertSync(advisory: Advisory): UpsertResult {
    const s = this.#stmts;
    this.clearMemos();
    const hash = contentHash(advisory);
    const existing = s.findRecord.get(advisory.id, advisory.feed, advisory.scope);
    if (existing && existing.content_hash === hash) return 'unchanged';
    if (existing) {
      const have = timeOf(existing.modified);
      const incoming = timeOf(advisory.modified);
      if (have !== undefined && incoming !== undefined && incoming < have) return 'unchanged';
    }
    const row = {
      id: advisory.id,
      feed: advisory.feed,
      scope: advisory.scope,
      summary: advisory.summary ?? null,
      details: advisory.details ?? null,
      published: advisory.published ?? null,
      modified: advisory.modified ?? null,
      withdrawn: advisory.withdrawn ?? null,
      hash,
      body: JSON.stringify(storedForm(advisory)),
    };
    const write = (): UpsertResult => {
      let pk: number;
      if (existing) {
        pk = existing.pk;
        s.updateRecord.run({ ...row, pk });
        s.deleteAliases.run(pk);
        s.deleteSeverities.run(pk);
        s.deleteRefs.run(pk);
        s.deleteAffected.run(pk);
      } else {
        pk = Number(s.insertRecord.run(row).lastInsertRowid);
      }
      for (const a of uniq(advisory.aliases)) s.insertAlias.run(pk, 'alias', a);
      for (const a of uniq(advisory.upstream)) s.insertAlias.run(pk, 'upstream', a);
      advisory.severities.forEach((sev, i) =>
        s.insertSeverity.run(pk, i, sev.source, sev.severity, sev.cvss?.version ?? null, sev.cvss?.vector ?? null, sev.cvss?.score ?? null),
      );
      advisory.references.forEach((r, i) => s.insertRef.run(pk, i, r.type, r.url));
      advisory.affected.forEach((a, i) =>
        s.insertAffected.run(
          pk,
          i,
          a.ecosystem,
          a.name,
          a.purl ?? null,
          JSON.stringify(a.ranges),
          a.versions ? JSON.stringify(a.versions) : null,
          a.fixed ?? null,
          a.status,
          a.sourceRecord,
        ),
      );
      return existing ? 'updated' : 'inserted';
    };
    // Inside an import transaction already: no per-record savepoint.
    return this.db.inTransaction ? write() : this.db.transaction(write)();
  }

  private loadRecord(row: RecordRow): Advisory {
    if (row.body !== null) return JSON.parse(row.body) as Advisory;
    const s = this.#stmts;
    const aliases: string[] = [];
    const upstream: string[] = [];
    for (const a of s.aliasesOf.all(row.pk)) (a.kind === 'upstream' ? upstream : aliases).push(a.alias);
    const severities: Severity[] = s.severitiesOf.all(row.pk).map((r) => ({
      source: r.source,
      severity: r.severity as SeverityLevel,
      ...(r.cvss_version !== null && r.vector !== null
        ? { cvss: { version: r.cvss_version as CvssVersion, vector: r.vector, ...(r.score !== null ? { score: r.score } : {}) } }
        : {}),
    }));
    const references: Reference[] = s.refsOf.all(row.pk).map((r) => ({ type: r.type, url: r.url }));
    return {
      id: row.id,
      feed: row.feed,
      scope: row.scope,
      aliases,
      upstream,
      ...(row.summary !== null ? { summary: row.summary } : {}),
      ...(row.details !== null ? { details: row.details } : {}),
      severities,
      references,
      ...(row.published !== null ? { published: row.published } : {}),
      ...(row.modified !== null ? { modified: row.modified } : {}),
      ...(row.withdrawn !== null ? { withdrawn: row.withdrawn } : {}),
      affected: s.affectedOf.all(row.pk).map(affectedFromRow),
    };
  }

  /** Every stored record of one id, unmerged. */
  getRecords(id: string): Advisory[] {
    return this.#stmts.recordsById.all(id).map((r) => this.loadRecord(r));
  }

  /**
   * The merged advisory for `id`, memoised: a scan asks for the same
   * advisories again and again (every binary package of one source package,
   * every alias lookup), and loading one takes several queries. Any write
   * clears the memo; it is bounded by MERGED_MEMO_LIMIT.
   */
  merged(id: string): Advisory | undefined {
    if (this.#merged.has(id)) return this.#merged.get(id);
    const advisory = mergeRecords(this.getRecords(id));
    if (this.#merged.size >= MERGED_MEMO_LIMIT) this.#merged.clear();
    this.#merged.set(id, advisory);
    return advisory;
  }

  async getById(id: string): Promise<Advisory | undefined> {
    return this.merged(id);
  }

  private clearMemos(): void {
    this.#merged.clear();
    this.#affected.clear();
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
    if (this.#affected.size >= MERGED_MEMO_LIMIT) this.#affected.clear();
    this.#affected.set(key, out);
    return out;
  }

  async byAlias(id: string): Promise<Advisory[]> {
    return this.#stmts.idsByAlias.all(id, id).map((r) => this.merged(r.id)!);
  }

  async sources(): Promise<SourceStatus[]> {
    const counts = this.db
      .prepare<[], { feed: string; advisories: number; newest: string | null }>(
        "SELECT feed, COUNT(*) AS advisories, MAX(CASE WHEN modified LIKE '0001-%' THEN NULL ELSE modified END) AS newest FROM records GROUP BY feed",
      )
      .all();
    const affected = new Map(
      this.db
        .prepare<[], { feed: string; n: number }>('SELECT r.feed AS feed, COUNT(*) AS n FROM affected a JOIN records r ON r.pk = a.record GROUP BY r.feed')
        .all()
        .map((r) => [r.feed, r.n]),
    );
    const book = new Map(
      this.db
        .prepare<[], { feed: string; last_import: string | null; last_change: string | null; data_date: string | null }>('SELECT feed, last_import, last_change, data_date FROM sources')
        .all()
        .map((r) => [r.feed, r]),
    );
    const feeds = uniq([...counts.map((c) => c.feed), ...book.keys()]).sort((a, b) => feedRank(a) - feedRank(b) || (a < b ? -1 : 1));
    return feeds.map((feed) => {
      const c = counts.find((x) => x.feed === feed);
      const b = book.get(feed);
      const dates = [c?.newest, b?.data_date].filter((d): d is string => !!d).sort((x, y) => (timeOf(y) ?? 0) - (timeOf(x) ?? 0));
      return {
        feed,
        advisories: c?.advisories ?? 0,
        affected: affected.get(feed) ?? 0,
        ...(b?.last_import ? { lastImport: b.last_import } : {}),
        ...(b?.last_change ? { lastChange: b.last_change } : {}),
        ...(dates[0] ? { dataDate: dates[0] } : {}),
      };
    });
  }

  async status(): Promise<StoreStatus> {
    const sources = await this.sources();
    return {
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
      advisories: (this.db.prepare('SELECT COUNT(*) AS n FROM records').get() as { n: number }).n,
      affected: (this.db.prepare('SELECT COUNT(*) AS n FROM affected').get() as { n: number }).n,
      sources,
    };
  }

  async markImported(feed: string, info: { changed?: boolean; dataDate?: string } = {}): Promise<void> {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO sources (feed, last_import, last_change, data_date) VALUES (@feed, @now, @change, @dataDate)
         ON CONFLICT (feed) DO UPDATE SET last_import = @now,
           last_change = COALESCE(@change, last_change), data_date = COALESCE(@dataDate, data_date)`,
      )
      .run({ feed, now, change: info.changed ? now : null, dataDate: info.dataDate ?? null });
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.#stmts.getMeta.get(key)?.value;
  }

  async setMeta(key: string, value: string | undefined): Promise<void> {
    if (value === undefined) this.#stmts.deleteMeta.run(key);
    else this.#stmts.setMeta.run(key, value);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#inTransaction) throw new StoreError('TRANSACTION_NESTED', 'advisory store transactions do not nest');
    this.#inTransaction = true;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.#inTransaction = false;
      this.clearMemos(); // what was read inside may have been rolled back
    }
  }

  /** Row counts of the advisory tables (bookkeeping tables excluded). */
  rowCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of ['records', 'aliases', 'severities', 'refs', 'affected']) {
      out[t] = (this.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    }
    return out;
  }

  /** SHA-256 over every row of the advisory tables in a fixed order: equal digests mean equal advisory content. */
  contentDigest(): string {
    const h = createHash('sha256');
    const orders: Record<string, string> = {
      records: 'pk',
      aliases: 'record, kind, alias',
      severities: 'record, ord',
      refs: 'record, ord',
      affected: 'record, ord',
    };
    for (const [table, order] of Object.entries(orders)) {
      h.update(`#${table}\n`);
      for (const row of this.db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).iterate()) h.update(`${JSON.stringify(row)}\n`);
    }
    return h.digest('hex');
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export function openSqliteStore(path: string, options?: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(path, options);
}
