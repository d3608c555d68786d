/**
 * The PostgreSQL store's connection and the row operations its parts share
 * (store-parts.ts): one statement (`query`, autocommitted) or one
 * transaction (`transaction`: BEGIN … COMMIT on one pooled connection,
 * retried on deadlock or serialization failure); the repository's advisory
 * lock every write that can create or drop a repository row takes first;
 * blob rows upserted live and touched in digest order (so two pushes sharing
 * layers cannot deadlock) and refused when claimed; repository rows dropped
 * with their last link or manifest and versioned by every change to
 * manifests or tags. Statements and transactions go through the store's
 * pool of component-postgres.ts (errors as ServeError with the server's
 * message and SQLSTATE). Mirrors sqlite-connection.ts.
 */
import type pg from 'pg';
import { LOCK_CLASS, type ComponentPool, type Query } from './component-postgres.js';
import { beingCollected } from './lifecycle-rules.js';

export class PostgresConnection {
  /** The store's schema, quoted, to splice into SQL. */
  readonly s: string;
  readonly #pool: ComponentPool;

  constructor(pool: ComponentPool) {
    this.#pool = pool;
    this.s = pool.s;
  }

  /** One statement, autocommitted. */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    return this.#pool.query(text, values);
  }

  /** `work` inside BEGIN … COMMIT on one connection; retried a few times on deadlock or serialization failure. */
  transaction<T>(work: (q: Query) => Promise<T>, isolation?: 'REPEATABLE READ READ ONLY'): Promise<T> {
    return this.#pool.transaction(work, isolation);
  }

  async lockRepository(q: Query, repository: string): Promise<void> {
    await q('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `repository:${repository}`]);
  }

  /** Drops the repository's row once nothing links a blob into it and it holds no manifest. */
  async dropEmptyRepository(q: Query, repository: string): Promise<void> {
    const s = this.s;
    await q(
      `DELETE FROM ${s}.repositories WHERE name = $1
      AND NOT EXISTS (SELECT 1 FROM ${s}.blob_links WHERE repository = $1) AND NOT EXISTS (SELECT 1 FROM ${s}.manifests WHERE repository = $1)`,
      [repository],
    );
  }

  async bumpVersion(q: Query, repository: string): Promise<void> {
    await q(`UPDATE ${this.s}.repositories SET version = version + 1 WHERE name = $1`, [repository]);
  }

  /**
   * Inside a transaction: the blobs' rows are live (created when missing) and touched now, locked in digest
   * order until COMMIT; UNAVAILABLE when one is claimed. Returns the rows as they are now.
   */
  async touchForLink(q: Query, digests: readonly string[], now: string, sizes?: ReadonlyMap<string, number>): Promise<Array<{ digest: string; epoch: number }>> {
    const s = this.s;
    const sorted = [...new Set(digests)].sort();
    const { rows } = await q(
      `INSERT INTO ${s}.blobs (digest, state, epoch, size, touched_at)
      SELECT u.digest, 'live', nextval('${s}.blob_epoch'), u.size, $2 FROM unnest($1::text[], $3::bigint[]) AS u(digest, size) ORDER BY u.digest
      ON CONFLICT (digest) DO UPDATE SET
        touched_at = CASE WHEN ${s}.blobs.state = 'live' THEN excluded.touched_at ELSE ${s}.blobs.touched_at END,
        size = coalesce(${s}.blobs.size, excluded.size)
      RETURNING digest, state, epoch`,
      [sorted, now, sorted.map((d) => sizes?.get(d) ?? null)],
    );
    const result = rows as Array<{ digest: string; state: string; epoch: string }>;
    const claimed = result.find((r) => r.state === 'deleting');
    if (claimed) throw beingCollected(claimed.digest);
    return result.map((r) => ({ digest: r.digest, epoch: Number(r.epoch) }));
  }

  /** Starts the manifest's untagged clock at `now` unless a tag still points at it. */
  async markUntagged(q: Query, repository: string, digest: string, now: string): Promise<void> {
    const s = this.s;
    await q(
      `UPDATE ${s}.manifests SET untagged_at = $3 WHERE repository = $1 AND digest = $2
        AND NOT EXISTS (SELECT 1 FROM ${s}.tags t WHERE t.repository = $1 AND t.digest = $2)`,
      [repository, digest, now],
    );
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** A part of the PostgreSQL store (store-parts.ts): the shared connection `c` and its quoted schema `s`. */
export abstract class PostgresPart {
  protected readonly c: PostgresConnection;
  protected readonly s: string;

  constructor(connection: PostgresConnection) {
    this.c = connection;
    this.s = connection.s;
  }
}
