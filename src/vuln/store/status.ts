/**
 * What the SQLite store holds: per-feed counts and dates, row counts, and a
 * digest of every advisory row (equal digests mean equal content).
 *
 * Counting every record and affected row takes tens of milliseconds on a
 * real database, and every scan asks for the status (is the database empty,
 * is it stale): so an import keeps the counts in `meta` when it commits, and
 * a record write removes them first; the status counts live only when they
 * are absent.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { BodyRebuilder, hasFactsTable } from './body.js';
import { feedRank, timeOf, uniq } from './merge.js';
import { MATCH_ENTRIES_VERSION } from './schema.js';
import type { SourceStatus, StoreStatus } from './store.js';

type Db = Database.Database;

/** Records and affected rows of one feed, and its newest real `modified` date. */
export interface FeedCount {
  readonly feed: string;
  readonly advisories: number;
  readonly affected: number;
  readonly newest: string | null;
}

export interface Counts {
  readonly advisories: number;
  readonly affected: number;
  readonly feeds: readonly FeedCount[];
}

/** The meta key the counts are kept under between imports. */
export const COUNTS_META = 'store:counts';

/** Counts every record and affected row (tens of milliseconds on a real database). */
function countLive(db: Db): Counts {
  const counts = db
    .prepare<[], { feed: string; advisories: number; newest: string | null }>(
      "SELECT feed, COUNT(*) AS advisories, MAX(CASE WHEN modified LIKE '0001-%' THEN NULL ELSE modified END) AS newest FROM records GROUP BY feed",
    )
    .all();
  const affected = new Map(
    db
      .prepare<[], { feed: string; n: number }>('SELECT r.feed AS feed, COUNT(*) AS n FROM affected a JOIN records r ON r.pk = a.record GROUP BY r.feed')
      .all()
      .map((r) => [r.feed, r.n]),
  );
  return {
    advisories: (db.prepare('SELECT COUNT(*) AS n FROM records').get() as { n: number }).n,
    affected: (db.prepare('SELECT COUNT(*) AS n FROM affected').get() as { n: number }).n,
    feeds: counts.map((c) => ({ feed: c.feed, advisories: c.advisories, affected: affected.get(c.feed) ?? 0, newest: c.newest })),
  };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isFeedCount(value: unknown): value is FeedCount {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.feed === 'string' && isCount(v.advisories) && isCount(v.affected) && (v.newest === null || typeof v.newest === 'string');
}

/** The counts kept by the last import, when they are there and well formed. */
function keptCounts(db: Db): Counts | undefined {
  return parseCounts(db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(COUNTS_META)?.value);
}

/** Kept counts from their meta value; undefined when absent or not well formed (shared with the PostgreSQL store). */
export function parseCounts(text: string | undefined): Counts | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!isCount(v.advisories) || !isCount(v.affected) || !Array.isArray(v.feeds) || !v.feeds.every(isFeedCount)) return undefined;
  return { advisories: v.advisories, affected: v.affected, feeds: v.feeds };
}

/**
 * The counts as of now: those an import kept in `meta` (written in the same
 * transaction as its records, and removed by any record write before it
 * commits, so never stale), else counted live (a database written before the
 * counts were kept, or by single upserts outside an import).
 */
function currentCounts(db: Db): Counts {
  return keptCounts(db) ?? countLive(db);
}

/** Counts every row and keeps the result in `meta` (called inside an import's transaction, before its commit). */
export function keepCounts(db: Db): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(COUNTS_META, JSON.stringify(countLive(db)));
}

/** Whether `meta` holds counts (an import that changed nothing keeps them; one that finds none counts once). */
export function hasKeptCounts(db: Db): boolean {
  return keptCounts(db) !== undefined;
}

/** Removes the kept counts: every record write does this before (or in the same transaction as) its change. */
export function forgetCounts(db: Db): void {
  db.prepare('DELETE FROM meta WHERE key = ?').run(COUNTS_META);
}

/** One row of the `sources` bookkeeping table. */
export interface SourceBookRow {
  readonly feed: string;
  readonly last_import: string | null;
  readonly last_change: string | null;
  readonly data_date: string | null;
}

function sourcesFrom(db: Db, counts: Counts): SourceStatus[] {
  return composeSources(counts, db.prepare<[], SourceBookRow>('SELECT feed, last_import, last_change, data_date FROM sources').all());
}

/** Per-feed status from the counts and the bookkeeping rows (shared with the PostgreSQL store). */
export function composeSources(counts: Counts, rows: readonly SourceBookRow[]): SourceStatus[] {
  const book = new Map(rows.map((r) => [r.feed, r]));
  const feeds = uniq([...counts.feeds.map((c) => c.feed), ...book.keys()]).sort((a, b) => feedRank(a) - feedRank(b) || (a < b ? -1 : 1));
  return feeds.map((feed) => {
    const c = counts.feeds.find((x) => x.feed === feed);
    const b = book.get(feed);
    const dates = [c?.newest, b?.data_date].filter((d): d is string => !!d).sort((x, y) => (timeOf(y) ?? 0) - (timeOf(x) ?? 0));
    return {
      feed,
      advisories: c?.advisories ?? 0,
      affected: c?.affected ?? 0,
      ...(b?.last_import ? { lastImport: b.last_import } : {}),
      ...(b?.last_change ? { lastChange: b.last_change } : {}),
      ...(dates[0] ? { dataDate: dates[0] } : {}),
    };
  });
}

/** Records that an import of `feed` completed (store.ts `markImported`). */
export function markFeedImported(db: Db, feed: string, info: { changed?: boolean; dataDate?: string }): void {
  const now = new Date().toISOString();
  db.prepare(
    `INSERT INTO sources (feed, last_import, last_change, data_date) VALUES (@feed, @now, @change, @dataDate)
     ON CONFLICT (feed) DO UPDATE SET last_import = @now,
       last_change = COALESCE(@change, last_change), data_date = COALESCE(@dataDate, data_date)`,
  ).run({ feed, now, change: info.changed ? now : null, dataDate: info.dataDate ?? null });
}

export function feedSources(db: Db): SourceStatus[] {
  return sourcesFrom(db, currentCounts(db));
}

export function storeStatus(db: Db): StoreStatus {
  const counts = currentCounts(db);
  return {
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
    advisories: counts.advisories,
    affected: counts.affected,
    sources: sourcesFrom(db, counts),
  };
}

/** Row counts of the advisory tables (bookkeeping tables excluded). */
export function rowCounts(db: Db): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ['records', 'aliases', 'severities', 'refs', 'affected']) {
    out[t] = (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  }
  return out;
}

/** SHA-256 over every row of the advisory tables in a fixed order: equal digests mean equal advisory content. */
export function contentDigest(db: Db): string {
  const h = createHash('sha256');
  h.update('#records\n');
  hashRecords(db, h);
  const orders: Record<string, string> = {
    aliases: 'record, kind, alias',
    severities: 'record, ord',
    refs: 'record, ord',
    affected: 'record, ord',
  };
  for (const [table, order] of Object.entries(orders)) {
    h.update(`#${table}\n`);
    for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).iterate()) h.update(`${JSON.stringify(row)}\n`);
  }
  return h.digest('hex');
}

const DIGEST_CHUNK = 2000;

/**
 * The records rows, each with its JSON body as written before bodies could be
 * NULL (body.ts): a NULL body that the facts and affected rows give back is
 * hashed as that body, so the same advisories give the same digest whether
 * their bodies are stored or rebuilt, and a digest made by an older
 * portcullis still verifies. Read in chunks of pks: bounded memory.
 */
function hashRecords(db: Db, h: ReturnType<typeof createHash>): void {
  const chunk = db.prepare<[number, number], Record<string, unknown> & { pk: number; body: string | null }>('SELECT * FROM records WHERE pk > ? ORDER BY pk LIMIT ?');
  const rebuilder = hasFactsTable(db) ? new BodyRebuilder(db) : undefined;
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const rows = chunk.all(after, DIGEST_CHUNK);
    if (rows.length === 0) return;
    const bodies = rebuilder?.bodies(rows.filter((r) => r.body === null).map((r) => r.pk));
    for (const row of rows) {
      if (row.body === null) row.body = bodies?.get(row.pk) ?? null;
      h.update(`${JSON.stringify(row)}\n`);
    }
    after = rows[rows.length - 1]!.pk;
  }
}

/**
 * Which of `ecosystems` hold at least one affected entry: one indexed probe
 * each (`(ecosystem, package)` index), in the match table from schema v5 and
 * in `affected` below it (a database opened read-only is never migrated).
 */
export function ecosystemsHeld(db: Db, ecosystems: readonly string[]): ReadonlySet<string> {
  const version = db.pragma('user_version', { simple: true }) as number;
  const table = version >= MATCH_ENTRIES_VERSION ? 'match_entries' : 'affected';
  const probe = db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM ${table} WHERE ecosystem = ? LIMIT 1`);
  const held = new Set<string>();
  for (const ecosystem of ecosystems) if (probe.get(ecosystem)) held.add(ecosystem);
  return held;
}
