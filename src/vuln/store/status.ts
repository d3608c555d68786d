/**
 * What the SQLite store holds: per-feed counts and dates, row counts, and a
 * digest of every advisory row (equal digests mean equal content).
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { feedRank, timeOf, uniq } from './merge.js';
import type { SourceStatus, StoreStatus } from './store.js';

type Db = Database.Database;

export function feedSources(db: Db): SourceStatus[] {
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
  const book = new Map(
    db
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

export function storeStatus(db: Db): StoreStatus {
  return {
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
    advisories: (db.prepare('SELECT COUNT(*) AS n FROM records').get() as { n: number }).n,
    affected: (db.prepare('SELECT COUNT(*) AS n FROM affected').get() as { n: number }).n,
    sources: feedSources(db),
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
  const orders: Record<string, string> = {
    records: 'pk',
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
