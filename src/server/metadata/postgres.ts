/**
 * The metadata store for many machines: several `portcullis serve` processes
 * share one PostgreSQL database. Behaviour matches the SQLite store exactly
 * (the shared contract test decides); what differs is concurrency. SQLite
 * serialises everything in one process; here writers on different machines
 * interleave, so:
 * - every method is one statement or one transaction (BEGIN … COMMIT on one
 *   pooled connection), retried on deadlock or serialization failure;
 * - every write that can create or drop a repository row first takes a
 *   transaction-scoped advisory lock on the repository name, so "drop the
 *   repository when its last link or manifest goes" can never race "link a
 *   blob into it" into a link without a repository;
 * - digests inserted into `blobs` go in sorted order, so two pushes sharing
 *   layers cannot deadlock on the unique index.
 * - garbage collection and pushes meet on the blob row (store.ts, "blob
 *   lifecycle"): every link or reference upserts the rows it relies on (a
 *   row lock, in sorted order) and refuses a `deleting` one; a claim first
 *   locks the row `FOR UPDATE` and only then, in a new statement (READ
 *   COMMITTED takes a new snapshot per statement), checks that nothing links
 *   or references it. Whichever locks first wins, and the other sees its
 *   committed result: a claim never misses a link, a link never lands on a
 *   claimed blob. Repository writes (manifests, tags, links) hold the
 *   repository's advisory lock, so retention's "apply this plan only at the
 *   version it was computed from" check cannot interleave with a push.
 * The schema (its own PostgreSQL schema, versioned, created under a lock) is
 * in `postgres-schema.ts`, opened and migrated as the stores beside this one
 * are (component-postgres.ts). This class opens the pool and answers the
 * repository catalog; the rest is in its parts (store-parts.ts), one file
 * each, over the connection of postgres-connection.ts: links, collection,
 * manifests, retention, scans.
 */
import { limitOf, openComponentPool, type PostgresOptions } from './component-postgres.js';
import { PostgresCollection } from './postgres-collection.js';
import { PostgresConnection } from './postgres-connection.js';
import { PostgresLinks } from './postgres-links.js';
import { PostgresManifests } from './postgres-manifests.js';
import { PostgresRetention } from './postgres-retention.js';
import { PostgresScans } from './postgres-scans.js';
import { CONTENT_TABLES } from './postgres-schema.js';
import { ComposedMetadataStore } from './store-parts.js';
import type { Page, RepositorySummary } from './store.js';

export class PostgresMetadataStore extends ComposedMetadataStore {
  readonly #c: PostgresConnection;
  /** Migrations this instance applied when it opened (0 when the schema was already current). */
  readonly migrationsApplied: number;

  private constructor(connection: PostgresConnection, migrationsApplied: number) {
    super({
      links: new PostgresLinks(connection),
      collection: new PostgresCollection(connection),
      manifests: new PostgresManifests(connection),
      retention: new PostgresRetention(connection),
      scans: new PostgresScans(connection),
    });
    this.#c = connection;
    this.migrationsApplied = migrationsApplied;
  }

  /** Connects, creates or upgrades the schema (once, however many processes start together), and returns the store. */
  static async open(target: PostgresOptions | string): Promise<PostgresMetadataStore> {
    const pool = await openComponentPool(target, CONTENT_TABLES);
    return new PostgresMetadataStore(new PostgresConnection(pool), pool.migrationsApplied);
  }

  async listRepositories(page: Page = {}): Promise<string[]> {
    const { rows } = await this.#c.query(`SELECT name FROM ${this.#c.s}.repositories WHERE name > $1 ORDER BY name LIMIT $2`, [page.last ?? '', limitOf(page)]);
    return rows.map((r: { name: string }) => r.name);
  }

  async repositorySummaries(): Promise<RepositorySummary[]> {
    const s = this.#c.s;
    const { rows } = await this.#c.query(`
      SELECT r.name AS name,
        (SELECT count(*) FROM ${s}.tags t WHERE t.repository = r.name)::int AS tags,
        (SELECT count(*) FROM ${s}.manifests m WHERE m.repository = r.name)::int AS manifests,
        (SELECT max(pushed_at) FROM ${s}.manifests m WHERE m.repository = r.name) AS last_push
      FROM ${s}.repositories r ORDER BY r.name`);
    return rows.map((r: { name: string; tags: number; manifests: number; last_push: string | null }) => ({
      name: r.name,
      tags: r.tags,
      manifests: r.manifests,
      ...(r.last_push ? { lastPush: r.last_push } : {}),
    }));
  }

  async repositoryExists(repository: string): Promise<boolean> {
    return (await this.#c.query(`SELECT 1 FROM ${this.#c.s}.repositories WHERE name = $1`, [repository])).rowCount === 1;
  }

  async close(): Promise<void> {
    await this.#c.close();
  }
}
