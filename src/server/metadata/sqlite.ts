/**
 * The default metadata store: one SQLite file beside the blobs. Why SQLite:
 * a single `portcullis serve` needs transactions (a manifest and its tag move
 * together, a delete takes its tags with it) and ordered paging, without a
 * database server. better-sqlite3 is synchronous, so every method is one
 * transaction that cannot interleave with another in this process; WAL lets
 * readers (the UI, the scan worker) run beside a writer.
 *
 * Ordering is by byte value (SQLite's BINARY collation), as distribution sorts
 * names with Go's sort.Strings: `A` < `B` < `a`.
 *
 * Blobs ever linked or referenced are remembered in `blobs` so that
 * `unreferencedBlobs` can name the ones nothing points at any more; each row
 * carries the garbage-collection state of store.ts (`live`/`deleting`, an
 * epoch from the `counters` table, when it was last touched and claimed) and
 * its size for quotas. Writes that check and then change (a claim, a link
 * that must see the blob live) run as IMMEDIATE transactions: in this
 * process better-sqlite3 already runs them one at a time, and against another
 * process (`portcullis registry gc` on the same file) the write lock is taken
 * before the check is read, so no check can go stale before its write.
 *
 * This class opens the file (sqlite-schema.ts: tables, versions, migration)
 * and answers the repository catalog; the rest is in its parts
 * (store-parts.ts), one file each, over the shared rows of
 * sqlite-connection.ts: links, collection, manifests, retention, scans.
 */
import type Database from 'better-sqlite3';
import { limitOf } from './component-sqlite.js';
import { SqliteCollection } from './sqlite-collection.js';
import { SqliteConnection } from './sqlite-connection.js';
import { SqliteLinks } from './sqlite-links.js';
import { SqliteManifests } from './sqlite-manifests.js';
import { SqliteRetention } from './sqlite-retention.js';
import { SqliteScans } from './sqlite-scans.js';
import { openDatabase } from './sqlite-schema.js';
import { ComposedMetadataStore } from './store-parts.js';
import type { Page, RepositorySummary } from './store.js';

export { MIGRATIONS, SCHEMA_VERSION } from './sqlite-schema.js';

export class SqliteMetadataStore extends ComposedMetadataStore {
  readonly db: Database.Database;
  readonly path: string;
  readonly #s: ReturnType<typeof prepare>;

  constructor(path: string) {
    const db = openDatabase(path);
    const connection = new SqliteConnection(db);
    super({
      links: new SqliteLinks(connection),
      collection: new SqliteCollection(connection),
      manifests: new SqliteManifests(connection),
      retention: new SqliteRetention(connection),
      scans: new SqliteScans(connection),
    });
    this.db = db;
    this.path = path;
    this.#s = prepare(db);
  }

  async listRepositories(page: Page = {}): Promise<string[]> {
    return this.#s.repositories.all(page.last ?? '', limitOf(page)).map((r) => r.name);
  }

  async repositorySummaries(): Promise<RepositorySummary[]> {
    return this.#s.summaries.all().map((r) => ({ name: r.name, tags: r.tags, manifests: r.manifests, ...(r.last_push ? { lastPush: r.last_push } : {}) }));
  }

  async repositoryExists(repository: string): Promise<boolean> {
    return this.#s.repositoryExists.get(repository) !== undefined;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function prepare(db: Database.Database) {
  return {
    repositories: db.prepare<[string, number], { name: string }>('SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?'),
    repositoryExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM repositories WHERE name = ?'),
    summaries: db.prepare<[], { name: string; tags: number; manifests: number; last_push: string | null }>(`
      SELECT r.name AS name,
        (SELECT count(*) FROM tags t WHERE t.repository = r.name) AS tags,
        (SELECT count(*) FROM manifests m WHERE m.repository = r.name) AS manifests,
        (SELECT max(pushed_at) FROM manifests m WHERE m.repository = r.name) AS last_push
      FROM repositories r ORDER BY r.name`),
  };
}
