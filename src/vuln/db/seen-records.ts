/**
 * The records one import has already written, so that two inputs carrying
 * the same record key (id, feed, scope) do not overwrite each other on every
 * run. Without it, `db import` of a tree holding two versions of one advisory
 * with the same `modified` date (osv-linter's `GHSA-9v2f-6vcg-3hgv.json` and
 * `nopackage-GHSA-9v2f-6vcg-3hgv.json`) wrote the first, then the second,
 * and reported "2 updated" every time although nothing had changed (and
 * bumped the feed's last-change date, which makes a registry rescan).
 *
 * The rule: within one import the first record of a key wins; a later one
 * replaces it only when its `modified` is strictly newer (newer data), else it
 * is skipped with a warning naming the file that won. The keys live in a
 * TEMP table of the import's own connection (disk-backed, dropped at the
 * end), not in a JavaScript Set: a full import holds hundreds of thousands
 * of keys and memory stays bounded. The connection is the import's own
 * temporary SQLite database (disk-backed, gone on close), whatever store
 * the import writes to.
 */
import Database from 'better-sqlite3';
import type { Advisory } from '../../core/index.js';

const TABLE = 'temp.portcullis_import_seen';

export interface FirstRecord {
  readonly file: string;
  readonly modified?: string;
}

export class SeenRecords {
  readonly #find: Database.Statement<[string, string, string], { file: string; modified: string | null }>;
  readonly #put: Database.Statement<[string, string, string, string, string | null]>;

  private readonly db: Database.Database;

  /** An empty file name: SQLite's anonymous temporary database, on disk, deleted when closed. */
  constructor() {
    const db = (this.db = new Database(''));
    db.exec(`DROP TABLE IF EXISTS ${TABLE}; CREATE TABLE ${TABLE} (id TEXT NOT NULL, feed TEXT NOT NULL, scope TEXT NOT NULL, file TEXT NOT NULL, modified TEXT, PRIMARY KEY (id, feed, scope)) WITHOUT ROWID`);
    this.#find = db.prepare(`SELECT file, modified FROM ${TABLE} WHERE id = ? AND feed = ? AND scope = ?`);
    this.#put = db.prepare(`INSERT OR REPLACE INTO ${TABLE} (id, feed, scope, file, modified) VALUES (?, ?, ?, ?, ?)`);
  }

  /** The first record of this key in this import, if one was seen. */
  first(advisory: Advisory): FirstRecord | undefined {
    const row = this.#find.get(advisory.id, advisory.feed, advisory.scope);
    return row ? { file: row.file, ...(row.modified !== null ? { modified: row.modified } : {}) } : undefined;
  }

  remember(advisory: Advisory, file: string): void {
    this.#put.run(advisory.id, advisory.feed, advisory.scope, file, advisory.modified ?? null);
  }

  /** Drops the table; never throws (a failed import's error is the one to report, and the table dies with the connection anyway). */
  close(): void {
    try {
      this.db.close();
    } catch {
      // see above
    }
  }
}

/** True when `later` should replace the record an import already wrote: its `modified` is strictly newer. */
export function supersedes(later: Advisory, first: FirstRecord): boolean {
  const a = later.modified ? Date.parse(later.modified) : NaN;
  const b = first.modified ? Date.parse(first.modified) : NaN;
  return Number.isFinite(a) && Number.isFinite(b) && a > b;
}
