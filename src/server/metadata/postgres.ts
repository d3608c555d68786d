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
 * in `postgres-schema.ts`.
 */
import pg from 'pg';
import { type Digest, MediaType, SEVERITY_LEVELS, type SeverityLevel } from '../../core/index.js';
import { ServeError } from '../errors.js';
import { DEFAULT_SCHEMA, LOCK_CLASS, migrate, quoteSchema } from './postgres-schema.js';
import { accessoryTagRange, beingCollected, missingBlob, projectRange } from './lifecycle-rules.js';
import { scanFromRow, scanToRow, totalsFrom, type ScanRow } from './scan-rows.js';
import type {
  BlobClaim,
  BlobHolders,
  BlobReservation,
  BlobRow,
  DeletionPlan,
  LinkOptions,
  ManifestNode,
  ManifestRecord,
  MetadataStore,
  Page,
  PutManifestOptions,
  RepositorySnapshot,
  RepositorySummary,
  ScanRecord,
  TagRecord,
  UnreferencedQuery,
} from './store.js';

export interface PostgresMetadataOptions {
  /** `postgres://user:password@host:port/database` (`?sslmode=…` works); or leave it out and give `pool`. */
  readonly connectionString?: string;
  /** Any other node-postgres pool settings (ssl, max, …). */
  readonly pool?: pg.PoolConfig;
  /** PostgreSQL schema holding the tables (default `portcullis_registry`). */
  readonly schema?: string;
}

interface ManifestRow {
  repository: string;
  digest: string;
  media_type: string;
  size: string | number;
  artifact_type: string | null;
  subject: string | null;
  annotations: string | null;
  pushed_at: string;
  untagged_at: string | null;
  refs: string[];
}

interface BlobTableRow {
  digest: string;
  state: string;
  epoch: string | number;
  size: string | number | null;
  touched_at: string | null;
  claimed_at: string | null;
}

/** Sorts after every ISO time: "no cutoff". */
const END_OF_TIME = '~';


type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/** SQLSTATEs worth a retry: serialization_failure, deadlock_detected. */
const RETRYABLE = new Set(['40001', '40P01']);
const IMAGE_CONFIG_TYPES = [MediaType.OciConfig, MediaType.DockerConfig];

export class PostgresMetadataStore implements MetadataStore {
  readonly #pool: pg.Pool;
  readonly #s: string;
  /** Migrations this instance applied when it opened (0 when the schema was already current). */
  readonly migrationsApplied: number;

  private constructor(pool: pg.Pool, schema: string, migrationsApplied: number) {
    this.#pool = pool;
    this.#s = quoteSchema(schema);
    this.migrationsApplied = migrationsApplied;
  }

  /** Connects, creates or upgrades the schema (once, however many processes start together), and returns the store. */
  static async open(target: PostgresMetadataOptions | string): Promise<PostgresMetadataStore> {
    const options: PostgresMetadataOptions = typeof target === 'string' ? { connectionString: target } : target;
    const schema = options.schema ?? DEFAULT_SCHEMA;
    quoteSchema(schema);
    const pool = new pg.Pool({ ...options.pool, ...(options.connectionString ? { connectionString: options.connectionString } : {}) });
    // An idle pooled connection that dies (server restart) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        return new PostgresMetadataStore(pool, schema, await migrate(client, schema));
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof ServeError) throw error;
      throw new ServeError('CONFIG_INVALID', `cannot open registry metadata in PostgreSQL: ${describe(error)}`, { cause: error });
    }
  }

  async listRepositories(page: Page = {}): Promise<string[]> {
    const { rows } = await this.query(`SELECT name FROM ${this.#s}.repositories WHERE name > $1 ORDER BY name LIMIT $2`, [page.last ?? '', limitOf(page)]);
    return rows.map((r: { name: string }) => r.name);
  }

  async repositorySummaries(): Promise<RepositorySummary[]> {
    const s = this.#s;
    const { rows } = await this.query(`
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
    return (await this.query(`SELECT 1 FROM ${this.#s}.repositories WHERE name = $1`, [repository])).rowCount === 1;
  }

  async reserveBlob(digest: Digest, now: string): Promise<BlobReservation> {
    const s = this.#s;
    const { rows } = await this.query(
      `INSERT INTO ${s}.blobs (digest, state, epoch, touched_at) VALUES ($1, 'live', nextval('${s}.blob_epoch'), $2)
      ON CONFLICT (digest) DO UPDATE SET touched_at = CASE WHEN ${s}.blobs.state = 'live' THEN excluded.touched_at ELSE ${s}.blobs.touched_at END
      RETURNING state, epoch, claimed_at`,
      [digest, now],
    );
    const row = rows[0] as { state: string; epoch: string; claimed_at: string | null };
    return row.state === 'deleting' ? { state: 'deleting', epoch: Number(row.epoch), claimedAt: row.claimed_at ?? '' } : { state: 'live', epoch: Number(row.epoch) };
  }

  async linkBlob(repository: string, digest: Digest, options: LinkOptions = {}): Promise<void> {
    const now = options.now ?? new Date().toISOString();
    await this.transaction(async (q) => {
      await this.lockRepository(q, repository);
      const [row] = await this.touchForLink(q, [digest], now, options.size === undefined ? undefined : new Map([[digest, options.size]]));
      if (options.reservation !== undefined && row?.epoch !== options.reservation) throw beingCollected(digest);
      await q(`INSERT INTO ${this.#s}.repositories (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [repository, now]);
      await q(`INSERT INTO ${this.#s}.blob_links (repository, digest, linked_at) VALUES ($1, $2, $3) ON CONFLICT (repository, digest) DO UPDATE SET linked_at = excluded.linked_at`, [
        repository,
        digest,
        now,
      ]);
    });
  }

  async mountBlob(from: string, to: string, digest: Digest, now = new Date().toISOString()): Promise<boolean> {
    const s = this.#s;
    return this.transaction(async (q) => {
      // Both repositories' locks, in name order (the lock order every writer of two repositories keeps).
      for (const repository of [...new Set([from, to])].sort()) await this.lockRepository(q, repository);
      if ((await q(`SELECT 1 FROM ${s}.blob_links WHERE repository = $1 AND digest = $2`, [from, digest])).rowCount !== 1) return false;
      await this.touchForLink(q, [digest], now);
      await q(`INSERT INTO ${s}.repositories (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [to, now]);
      await q(`INSERT INTO ${s}.blob_links (repository, digest, linked_at) VALUES ($1, $2, $3) ON CONFLICT (repository, digest) DO UPDATE SET linked_at = excluded.linked_at`, [
        to,
        digest,
        now,
      ]);
      return true;
    });
  }

  async isBlobLinked(repository: string, digest: Digest): Promise<boolean> {
    return (await this.query(`SELECT 1 FROM ${this.#s}.blob_links WHERE repository = $1 AND digest = $2`, [repository, digest])).rowCount === 1;
  }

  async refreshLink(repository: string, digest: Digest, now: string, staleBefore: string): Promise<boolean> {
    const s = this.#s;
    // The common case, a fresh link, is one read.
    const { rows } = await this.query(`SELECT linked_at FROM ${s}.blob_links WHERE repository = $1 AND digest = $2`, [repository, digest]);
    const link = rows[0] as { linked_at: string | null } | undefined;
    if (link === undefined) return false;
    if ((link.linked_at ?? '') >= staleBefore) return true;
    return this.transaction(async (q) => {
      await q(`UPDATE ${s}.blob_links SET linked_at = $3 WHERE repository = $1 AND digest = $2 AND coalesce(linked_at, '') < $4`, [repository, digest, now, staleBefore]);
      // A new statement: a loose-link removal that committed before our update is seen, one after it found our refresh.
      return (await q(`SELECT 1 FROM ${s}.blob_links WHERE repository = $1 AND digest = $2`, [repository, digest])).rowCount === 1;
    });
  }

  async looseLinks(repository: string, linkedBefore: string, page: { readonly after?: string; readonly limit?: number } = {}): Promise<Digest[]> {
    const s = this.#s;
    const { rows } = await this.query(
      `SELECT l.digest AS digest FROM ${s}.blob_links l WHERE l.repository = $1 AND coalesce(l.linked_at, '') < $2 AND l.digest > $3
        AND NOT EXISTS (SELECT 1 FROM ${s}.manifest_refs r WHERE r.repository = $1 AND r.digest = l.digest)
        AND NOT EXISTS (SELECT 1 FROM ${s}.manifests m WHERE m.repository = $1 AND m.digest = l.digest)
      ORDER BY l.digest LIMIT $4`,
      [repository, linkedBefore, page.after ?? '', page.limit === undefined ? null : Math.max(0, Math.floor(page.limit))],
    );
    return rows.map((r: { digest: string }) => r.digest as Digest);
  }

  async unlinkIfLoose(repository: string, digest: Digest, linkedBefore: string): Promise<boolean> {
    const s = this.#s;
    return this.transaction(async (q) => {
      // Under the repository's lock no manifest of it can start referencing the blob while we decide.
      await this.lockRepository(q, repository);
      const { rowCount } = await q(
        `DELETE FROM ${s}.blob_links WHERE repository = $1 AND digest = $2 AND coalesce(linked_at, '') < $3
          AND NOT EXISTS (SELECT 1 FROM ${s}.manifest_refs r WHERE r.repository = $1 AND r.digest = $2)
          AND NOT EXISTS (SELECT 1 FROM ${s}.manifests m WHERE m.repository = $1 AND m.digest = $2)`,
        [repository, digest, linkedBefore],
      );
      if ((rowCount ?? 0) > 0) await this.dropEmptyRepository(q, repository);
      return (rowCount ?? 0) > 0;
    });
  }

  async unlinkBlob(repository: string, digest: Digest): Promise<boolean> {
    return this.transaction(async (q) => {
      await this.lockRepository(q, repository);
      const changed = ((await q(`DELETE FROM ${this.#s}.blob_links WHERE repository = $1 AND digest = $2`, [repository, digest])).rowCount ?? 0) > 0;
      await this.dropEmptyRepository(q, repository);
      return changed;
    });
  }

  async unreferencedBlobs(query: UnreferencedQuery = {}): Promise<Digest[]> {
    const s = this.#s;
    const { rows } = await this.query(
      `SELECT b.digest AS digest FROM ${s}.blobs b
      WHERE b.state = 'live' AND b.digest > $1 AND coalesce(b.touched_at, '') < $2
        AND NOT EXISTS (SELECT 1 FROM ${s}.blob_links l WHERE l.digest = b.digest)
        AND NOT EXISTS (SELECT 1 FROM ${s}.manifest_refs r WHERE r.digest = b.digest)
        AND NOT EXISTS (SELECT 1 FROM ${s}.manifests m WHERE m.digest = b.digest)
      ORDER BY b.digest LIMIT $3`,
      [query.after ?? '', query.touchedBefore ?? END_OF_TIME, query.limit === undefined ? null : Math.max(0, Math.floor(query.limit))],
    );
    return rows.map((r: { digest: string }) => r.digest as Digest);
  }

  async blobRow(digest: Digest): Promise<BlobRow | undefined> {
    const { rows } = await this.query(`SELECT * FROM ${this.#s}.blobs WHERE digest = $1`, [digest]);
    const row = rows[0] as BlobTableRow | undefined;
    return row ? toBlobRow(row) : undefined;
  }

  async blobHolders(digest: Digest, limit: number): Promise<BlobHolders> {
    const s = this.#s;
    const n = Math.max(0, Math.floor(limit));
    const { rows: links } = await this.query(`SELECT repository, linked_at FROM ${s}.blob_links WHERE digest = $1 ORDER BY repository LIMIT $2`, [digest, n + 1]);
    const { rows: manifests } = await this.query(
      `SELECT repository, manifest FROM ${s}.manifest_refs WHERE digest = $1
      UNION SELECT repository, digest AS manifest FROM ${s}.manifests WHERE digest = $1
      ORDER BY repository, manifest LIMIT $2`,
      [digest, n + 1],
    );
    return {
      links: (links as Array<{ repository: string; linked_at: string | null }>).slice(0, n).map((r) => ({ repository: r.repository, ...(r.linked_at !== null ? { linkedAt: r.linked_at } : {}) })),
      manifests: (manifests as Array<{ repository: string; manifest: string }>).slice(0, n).map((r) => ({ repository: r.repository, digest: r.manifest as Digest })),
      truncated: links.length > n || manifests.length > n,
    };
  }

  async claimBlob(digest: Digest, options: { readonly touchedBefore: string; readonly now: string }): Promise<BlobClaim | undefined> {
    const s = this.#s;
    return this.transaction(async (q): Promise<BlobClaim | undefined> => {
      const { rows } = await q(`SELECT * FROM ${s}.blobs WHERE digest = $1 FOR UPDATE`, [digest]);
      const row = rows[0] as BlobTableRow | undefined;
      if (row === undefined || row.state !== 'live' || (row.touched_at ?? '') >= options.touchedBefore) return undefined;
      // A new statement, so a new snapshot: every link or reference committed before we got the row lock is seen.
      const held = await q(
        `SELECT 1 WHERE EXISTS (SELECT 1 FROM ${s}.blob_links WHERE digest = $1) OR EXISTS (SELECT 1 FROM ${s}.manifest_refs WHERE digest = $1)
          OR EXISTS (SELECT 1 FROM ${s}.manifests WHERE digest = $1)`,
        [digest],
      );
      if (held.rowCount !== 0) return undefined;
      const { rows: claimed } = await q(`UPDATE ${s}.blobs SET state = 'deleting', epoch = nextval('${s}.blob_epoch'), claimed_at = $2 WHERE digest = $1 RETURNING epoch`, [
        digest,
        options.now,
      ]);
      const epoch = Number((claimed[0] as { epoch: string }).epoch);
      return { digest, epoch, claimedAt: options.now, ...(row.size !== null ? { size: Number(row.size) } : {}) };
    });
  }

  async claimOrphans(digests: readonly Digest[], now: string): Promise<BlobClaim[]> {
    const s = this.#s;
    const sorted = [...new Set(digests)].sort();
    if (sorted.length === 0) return [];
    const { rows } = await this.query(
      `INSERT INTO ${s}.blobs (digest, state, epoch, claimed_at) SELECT d, 'deleting', nextval('${s}.blob_epoch'), $2 FROM unnest($1::text[]) AS d
      ON CONFLICT (digest) DO NOTHING RETURNING digest, epoch`,
      [sorted, now],
    );
    return (rows as Array<{ digest: string; epoch: string }>).map((r) => ({ digest: r.digest as Digest, epoch: Number(r.epoch), claimedAt: now })).sort((a, b) => (a.digest < b.digest ? -1 : 1));
  }

  async claimedBlobs(options: { readonly claimedBefore?: string; readonly limit: number }): Promise<BlobClaim[]> {
    const { rows } = await this.query(`SELECT * FROM ${this.#s}.blobs WHERE state = 'deleting' AND claimed_at < $1 ORDER BY claimed_at, digest LIMIT $2`, [
      options.claimedBefore ?? END_OF_TIME,
      Math.max(0, Math.floor(options.limit)),
    ]);
    return (rows as BlobTableRow[]).map((row) => ({
      digest: row.digest as Digest,
      epoch: Number(row.epoch),
      claimedAt: row.claimed_at ?? '',
      ...(row.size !== null ? { size: Number(row.size) } : {}),
    }));
  }

  async finishClaim(claim: Pick<BlobClaim, 'digest' | 'epoch'>): Promise<boolean> {
    return ((await this.query(`DELETE FROM ${this.#s}.blobs WHERE digest = $1 AND state = 'deleting' AND epoch = $2`, [claim.digest, claim.epoch])).rowCount ?? 0) > 0;
  }

  async acquireLease(name: string, holder: string, now: string, ttlMs: number): Promise<boolean> {
    const s = this.#s;
    const { rowCount } = await this.query(
      `INSERT INTO ${s}.leases (name, holder, expires_at) VALUES ($1, $2, $3)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE ${s}.leases.holder = excluded.holder OR ${s}.leases.expires_at <= $4`,
      [name, holder, new Date(Date.parse(now) + ttlMs).toISOString(), now],
    );
    return rowCount === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.query(`DELETE FROM ${this.#s}.leases WHERE name = $1 AND holder = $2`, [name, holder]);
  }

  async blobsWithoutSize(page: { readonly after?: string; readonly limit: number }): Promise<Digest[]> {
    const { rows } = await this.query(`SELECT digest FROM ${this.#s}.blobs WHERE state = 'live' AND size IS NULL AND digest > $1 ORDER BY digest LIMIT $2`, [
      page.after ?? '',
      Math.max(0, Math.floor(page.limit)),
    ]);
    return rows.map((r: { digest: string }) => r.digest as Digest);
  }

  async setBlobSize(digest: Digest, size: number): Promise<void> {
    await this.query(`UPDATE ${this.#s}.blobs SET size = $1 WHERE digest = $2 AND size IS NULL`, [size, digest]);
  }

  async projectUsage(project: string): Promise<number> {
    const s = this.#s;
    const inProject = `(repository = $1 OR (repository >= $2 AND repository < $3))`;
    const range = projectRange(project);
    const { rows } = await this.query(
      `SELECT coalesce(sum(b.size), 0)::bigint AS bytes FROM ${s}.blobs b WHERE b.state = 'live' AND b.digest IN (
        SELECT digest FROM ${s}.blob_links WHERE ${inProject}
        UNION SELECT digest FROM ${s}.manifests WHERE ${inProject}
        UNION SELECT digest FROM ${s}.manifest_refs WHERE ${inProject})`,
      [range.project, range.low, range.high],
    );
    return Number((rows[0] as { bytes: string }).bytes);
  }

  async countsInProject(project: string, digest: Digest): Promise<boolean> {
    const s = this.#s;
    const inProject = `(repository = $1 OR (repository >= $2 AND repository < $3))`;
    const range = projectRange(project);
    const { rowCount } = await this.query(
      `SELECT 1 WHERE EXISTS (SELECT 1 FROM ${s}.blob_links WHERE digest = $4 AND ${inProject})
        OR EXISTS (SELECT 1 FROM ${s}.manifests WHERE digest = $4 AND ${inProject})
        OR EXISTS (SELECT 1 FROM ${s}.manifest_refs WHERE digest = $4 AND ${inProject})`,
      [range.project, range.low, range.high, digest],
    );
    return rowCount === 1;
  }

  async putManifest(record: ManifestRecord, tag?: string, options: PutManifestOptions = {}): Promise<void> {
    const s = this.#s;
    const repository = record.repository;
    await this.transaction(async (q) => {
      await this.lockRepository(q, repository);
      // Under the repository's lock its links and manifests cannot change: these checks hold until COMMIT.
      const linked = [...new Set(options.linked ?? [])];
      if (linked.length > 0) {
        const { rows } = await q(`SELECT digest FROM ${s}.blob_links WHERE repository = $1 AND digest = ANY($2::text[])`, [repository, linked]);
        const found = new Set((rows as Array<{ digest: string }>).map((r) => r.digest));
        const missing = linked.find((d) => !found.has(d));
        if (missing !== undefined) throw missingBlob('blob', missing, repository);
      }
      const children = [...new Set(options.children ?? [])];
      if (children.length > 0) {
        const { rows } = await q(`SELECT digest FROM ${s}.manifests WHERE repository = $1 AND digest = ANY($2::text[])`, [repository, children]);
        const found = new Set((rows as Array<{ digest: string }>).map((r) => r.digest));
        const missing = children.find((d) => !found.has(d));
        if (missing !== undefined) throw missingBlob('manifest', missing, repository);
      }
      const rows = await this.touchForLink(q, [record.digest, ...record.references], record.pushedAt, new Map([[record.digest, record.size]]));
      if (options.reservation !== undefined && rows.find((r) => r.digest === record.digest)?.epoch !== options.reservation) throw beingCollected(record.digest);
      await q(`INSERT INTO ${s}.repositories (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [repository, record.pushedAt]);
      await q(
        `INSERT INTO ${s}.manifests (repository, digest, media_type, size, artifact_type, subject, annotations, pushed_at, untagged_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
        ON CONFLICT (repository, digest) DO UPDATE SET media_type = excluded.media_type, size = excluded.size,
          artifact_type = excluded.artifact_type, subject = excluded.subject, annotations = excluded.annotations, pushed_at = excluded.pushed_at`,
        [
          repository,
          record.digest,
          record.mediaType,
          record.size,
          record.artifactType ?? null,
          record.subject ?? null,
          record.annotations ? JSON.stringify(record.annotations) : null,
          record.pushedAt,
        ],
      );
      await q(`DELETE FROM ${s}.manifest_refs WHERE repository = $1 AND manifest = $2`, [repository, record.digest]);
      await q(
        `INSERT INTO ${s}.manifest_refs (repository, manifest, ord, digest)
        SELECT $1, $2, u.ord - 1, u.digest FROM unnest($3::text[]) WITH ORDINALITY AS u(digest, ord)`,
        [repository, record.digest, record.references],
      );
      if (tag !== undefined) {
        const { rows: previous } = await q(
          `WITH old AS (SELECT digest FROM ${s}.tags WHERE repository = $1 AND tag = $2)
          INSERT INTO ${s}.tags (repository, tag, digest, updated_at) VALUES ($1, $2, $3, $4)
          ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at
          RETURNING (SELECT digest FROM old) AS previous`,
          [repository, tag, record.digest, record.pushedAt],
        );
        const before = (previous[0] as { previous: string | null } | undefined)?.previous;
        if (before && before !== record.digest) await this.markUntagged(q, repository, before, record.pushedAt);
      }
      // A push (with or without a tag) restarts the untagged clock; a manifest with tags has none.
      await q(
        `UPDATE ${s}.manifests m SET untagged_at = CASE WHEN EXISTS (SELECT 1 FROM ${s}.tags t WHERE t.repository = m.repository AND t.digest = m.digest)
          THEN NULL ELSE $3 END WHERE m.repository = $1 AND m.digest = $2`,
        [repository, record.digest, record.pushedAt],
      );
      await this.bumpVersion(q, repository);
    });
  }

  async getManifest(repository: string, digest: Digest): Promise<ManifestRecord | undefined> {
    const { rows } = await this.query(`${this.manifestSelect()} WHERE m.repository = $1 AND m.digest = $2`, [repository, digest]);
    const row = rows[0] as ManifestRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  async repositoriesWithManifest(digest: Digest): Promise<string[]> {
    const { rows } = await this.query(`SELECT repository FROM ${this.#s}.manifests WHERE digest = $1 ORDER BY repository`, [digest]);
    return rows.map((r: { repository: string }) => r.repository);
  }

  async resolveTag(repository: string, tag: string): Promise<Digest | undefined> {
    const { rows } = await this.query(`SELECT digest FROM ${this.#s}.tags WHERE repository = $1 AND tag = $2`, [repository, tag]);
    return (rows[0] as { digest: string } | undefined)?.digest as Digest | undefined;
  }

  async listTags(repository: string, page: Page = {}): Promise<string[]> {
    const { rows } = await this.query(`SELECT tag FROM ${this.#s}.tags WHERE repository = $1 AND tag > $2 ORDER BY tag LIMIT $3`, [
      repository,
      page.last ?? '',
      limitOf(page),
    ]);
    return rows.map((r: { tag: string }) => r.tag);
  }

  async tagsOf(repository: string): Promise<TagRecord[]> {
    const { rows } = await this.query(`SELECT repository, tag, digest, updated_at FROM ${this.#s}.tags WHERE repository = $1 ORDER BY tag`, [repository]);
    return (rows as TagRow[]).map(toTag);
  }

  async deleteManifest(repository: string, digest: Digest): Promise<boolean> {
    const s = this.#s;
    return this.transaction(async (q) => {
      await this.lockRepository(q, repository);
      const changed = ((await q(`DELETE FROM ${s}.manifests WHERE repository = $1 AND digest = $2`, [repository, digest])).rowCount ?? 0) > 0;
      if (changed) {
        await q(`DELETE FROM ${s}.manifest_refs WHERE repository = $1 AND manifest = $2`, [repository, digest]);
        await q(`DELETE FROM ${s}.tags WHERE repository = $1 AND digest = $2`, [repository, digest]);
        await this.bumpVersion(q, repository);
        await this.dropEmptyRepository(q, repository);
      }
      return changed;
    });
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.transaction(async (q) => {
      await this.lockRepository(q, repository);
      const { rows } = await q(`DELETE FROM ${this.#s}.tags WHERE repository = $1 AND tag = $2 RETURNING digest`, [repository, tag]);
      const digest = (rows[0] as { digest: string } | undefined)?.digest;
      if (digest === undefined) return false;
      await this.markUntagged(q, repository, digest, new Date().toISOString());
      await this.bumpVersion(q, repository);
      return true;
    });
  }

  async repositorySnapshot(repository: string): Promise<RepositorySnapshot | undefined> {
    const s = this.#s;
    return this.transaction(
      async (q): Promise<RepositorySnapshot | undefined> => {
        const { rows: repo } = await q(`SELECT version FROM ${s}.repositories WHERE name = $1`, [repository]);
        const version = (repo[0] as { version: string } | undefined)?.version;
        if (version === undefined) return undefined;
        const { rows: childRows } = await q(
          `SELECT r.manifest AS parent, r.digest AS child FROM ${s}.manifest_refs r
          JOIN ${s}.manifests m ON m.repository = r.repository AND m.digest = r.digest WHERE r.repository = $1 ORDER BY r.manifest, r.ord`,
          [repository],
        );
        const children = new Map<string, Digest[]>();
        for (const { parent, child } of childRows as Array<{ parent: string; child: string }>) {
          const list = children.get(parent);
          if (list) list.push(child as Digest);
          else children.set(parent, [child as Digest]);
        }
        const { rows: manifestRows } = await q(
          `SELECT digest, media_type, size, artifact_type, subject, pushed_at, untagged_at FROM ${s}.manifests WHERE repository = $1 ORDER BY digest`,
          [repository],
        );
        const manifests = (manifestRows as ManifestRow[]).map((row): ManifestNode => nodeOf(row, children.get(row.digest) ?? []));
        const { rows: tagRows } = await q(`SELECT repository, tag, digest, updated_at FROM ${s}.tags WHERE repository = $1 ORDER BY tag`, [repository]);
        return { repository, version: Number(version), manifests, tags: (tagRows as TagRow[]).map(toTag) };
      },
      'REPEATABLE READ READ ONLY',
    );
  }

  async applyDeletions(repository: string, plan: DeletionPlan, now: string): Promise<boolean> {
    const s = this.#s;
    return this.transaction(async (q) => {
      await this.lockRepository(q, repository);
      const { rows } = await q(`SELECT version FROM ${s}.repositories WHERE name = $1`, [repository]);
      const version = (rows[0] as { version: string } | undefined)?.version;
      if (plan.version !== undefined && (version === undefined || Number(version) !== plan.version)) return false;
      if (version === undefined) return plan.tags.length === 0 && plan.manifests.length === 0;
      const untagged = new Set<string>();
      for (const { tag, digest } of plan.tags) {
        const removed = await q(`DELETE FROM ${s}.tags WHERE repository = $1 AND tag = $2 AND digest = $3`, [repository, tag, digest]);
        if ((removed.rowCount ?? 0) > 0) untagged.add(digest);
      }
      const manifests = [...new Set(plan.manifests)];
      if (manifests.length > 0) {
        await q(`DELETE FROM ${s}.manifests WHERE repository = $1 AND digest = ANY($2::text[])`, [repository, manifests]);
        await q(`DELETE FROM ${s}.manifest_refs WHERE repository = $1 AND manifest = ANY($2::text[])`, [repository, manifests]);
        await q(`DELETE FROM ${s}.tags WHERE repository = $1 AND digest = ANY($2::text[])`, [repository, manifests]);
        for (const digest of manifests) untagged.delete(digest);
      }
      for (const digest of untagged) await this.markUntagged(q, repository, digest, now);
      await this.bumpVersion(q, repository);
      await this.dropEmptyRepository(q, repository);
      return true;
    });
  }

  async accessoriesOf(repository: string, digest: Digest): Promise<Digest[]> {
    const s = this.#s;
    const range = accessoryTagRange(digest);
    const { rows } = await this.query(
      `SELECT digest FROM ${s}.manifests WHERE repository = $1 AND subject = $2
      UNION SELECT t.digest FROM ${s}.tags t JOIN ${s}.manifests m ON m.repository = t.repository AND m.digest = t.digest
        WHERE t.repository = $1 AND (t.tag = $3 OR (t.tag >= $4 AND t.tag < $5))
      ORDER BY digest`,
      [repository, digest, range.tag, range.low, range.high],
    );
    return rows.map((r: { digest: string }) => r.digest as Digest);
  }

  async listReferrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestRecord[]> {
    const byType = artifactType === undefined ? '' : ' AND m.artifact_type = $3';
    const values = artifactType === undefined ? [repository, subject] : [repository, subject, artifactType];
    const { rows } = await this.query(`${this.manifestSelect()} WHERE m.repository = $1 AND m.subject = $2${byType} ORDER BY m.pushed_at, m.digest`, values);
    return (rows as ManifestRow[]).map(toRecord);
  }

  async saveScan(record: ScanRecord): Promise<void> {
    await this.query(
      `INSERT INTO ${this.#s}.scans (manifest_digest, state, database_digest, counts, result, error, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (manifest_digest) DO UPDATE SET state = excluded.state, database_digest = excluded.database_digest,
        counts = excluded.counts, result = excluded.result, error = excluded.error, updated_at = excluded.updated_at`,
      (({ manifest_digest, state, database_digest, counts, result, error, updated_at }) => [manifest_digest, state, database_digest, counts, result, error, updated_at])(scanToRow(record)),
    );
  }

  async getScan(manifestDigest: Digest): Promise<ScanRecord | undefined> {
    const { rows } = await this.query(`SELECT * FROM ${this.#s}.scans WHERE manifest_digest = $1`, [manifestDigest]);
    const row = rows[0] as ScanRow | undefined;
    return row ? scanFromRow(row) : undefined;
  }

  async severityTotals(): Promise<Partial<Record<SeverityLevel, number>>> {
    const s = this.#s;
    const sums = SEVERITY_LEVELS.map((l) => `SUM((counts::jsonb ->> '${l}')::bigint) AS "${l}"`).join(', ');
    const { rows } = await this.query(`SELECT ${sums} FROM ${s}.scans sc WHERE counts IS NOT NULL AND EXISTS (SELECT 1 FROM ${s}.manifests m WHERE m.digest = sc.manifest_digest)`);
    return totalsFrom(rows[0] as Record<string, unknown> | undefined);
  }

  async manifestsNeedingScan(databaseDigest: string, limit: number): Promise<Digest[]> {
    const s = this.#s;
    const { rows } = await this.query(
      `SELECT m.digest AS digest FROM ${s}.manifests m LEFT JOIN ${s}.scans s ON s.manifest_digest = m.digest
      WHERE m.artifact_type = ANY($1::text[])
        AND (s.manifest_digest IS NULL OR s.state IN ('queued', 'scanning') OR coalesce(s.database_digest, '') <> $2)
      GROUP BY m.digest ORDER BY min(m.pushed_at), m.digest LIMIT $3`,
      [IMAGE_CONFIG_TYPES, databaseDigest, Math.max(0, Math.floor(limit))],
    );
    return rows.map((r: { digest: string }) => r.digest as Digest);
  }

  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }

  /** A manifest row with its references in order, read in one statement (one snapshot). */
  private manifestSelect(): string {
    const s = this.#s;
    return `SELECT m.*, ARRAY(SELECT r.digest FROM ${s}.manifest_refs r WHERE r.repository = m.repository AND r.manifest = m.digest ORDER BY r.ord) AS refs
      FROM ${s}.manifests m`;
  }

  private async lockRepository(q: Query, repository: string): Promise<void> {
    await q('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `repository:${repository}`]);
  }

  private async dropEmptyRepository(q: Query, repository: string): Promise<void> {
    const s = this.#s;
    await q(
      `DELETE FROM ${s}.repositories WHERE name = $1
      AND NOT EXISTS (SELECT 1 FROM ${s}.blob_links WHERE repository = $1) AND NOT EXISTS (SELECT 1 FROM ${s}.manifests WHERE repository = $1)`,
      [repository],
    );
  }

  /**
   * Inside a transaction: the blobs' rows are live (created when missing) and touched now, locked in digest
   * order until COMMIT; UNAVAILABLE when one is claimed. Returns the rows as they are now.
   */
  private async touchForLink(q: Query, digests: readonly string[], now: string, sizes?: ReadonlyMap<string, number>): Promise<Array<{ digest: string; epoch: number }>> {
    const s = this.#s;
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

  private async markUntagged(q: Query, repository: string, digest: string, now: string): Promise<void> {
    const s = this.#s;
    await q(
      `UPDATE ${s}.manifests SET untagged_at = $3 WHERE repository = $1 AND digest = $2
        AND NOT EXISTS (SELECT 1 FROM ${s}.tags t WHERE t.repository = $1 AND t.digest = $2)`,
      [repository, digest, now],
    );
  }

  private async bumpVersion(q: Query, repository: string): Promise<void> {
    await q(`UPDATE ${this.#s}.repositories SET version = version + 1 WHERE name = $1`, [repository]);
  }

  /** One statement, autocommitted. */
  private async query(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.#pool.query(text, values);
    } catch (error) {
      throw failure(error);
    }
  }

  /** `work` inside BEGIN … COMMIT on one connection; retried a few times on deadlock or serialization failure. */
  private async transaction<T>(work: (q: Query) => Promise<T>, isolation?: 'REPEATABLE READ READ ONLY'): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw failure(error);
      }
      try {
        await client.query(isolation ? `BEGIN ISOLATION LEVEL ${isolation}` : 'BEGIN');
        const result = await work((text, values) => client.query(text, values));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const sqlState = (error as { code?: string }).code;
        if (attempt < 4 && sqlState !== undefined && RETRYABLE.has(sqlState)) continue;
        throw failure(error);
      } finally {
        client.release();
      }
    }
  }
}

function toRecord(row: ManifestRow): ManifestRecord {
  return {
    repository: row.repository,
    digest: row.digest as Digest,
    mediaType: row.media_type,
    size: Number(row.size),
    references: row.refs as Digest[],
    pushedAt: row.pushed_at,
    ...(row.artifact_type !== null ? { artifactType: row.artifact_type } : {}),
    ...(row.subject !== null ? { subject: row.subject as Digest } : {}),
    ...(row.annotations !== null ? { annotations: JSON.parse(row.annotations) as Record<string, string> } : {}),
  };
}

interface TagRow {
  repository: string;
  tag: string;
  digest: string;
  updated_at: string;
}

function toTag(r: TagRow): TagRecord {
  return { repository: r.repository, tag: r.tag, digest: r.digest as Digest, updatedAt: r.updated_at };
}

function toBlobRow(row: BlobTableRow): BlobRow {
  return {
    digest: row.digest as Digest,
    state: row.state === 'deleting' ? 'deleting' : 'live',
    epoch: Number(row.epoch),
    ...(row.size !== null ? { size: Number(row.size) } : {}),
    ...(row.touched_at !== null ? { touchedAt: row.touched_at } : {}),
    ...(row.claimed_at !== null ? { claimedAt: row.claimed_at } : {}),
  };
}

function nodeOf(row: Pick<ManifestRow, 'digest' | 'media_type' | 'size' | 'artifact_type' | 'subject' | 'pushed_at' | 'untagged_at'>, children: readonly Digest[]): ManifestNode {
  return {
    digest: row.digest as Digest,
    mediaType: row.media_type,
    size: Number(row.size),
    pushedAt: row.pushed_at,
    children,
    ...(row.artifact_type !== null ? { artifactType: row.artifact_type } : {}),
    ...(row.subject !== null ? { subject: row.subject as Digest } : {}),
    ...(row.untagged_at !== null ? { untaggedAt: row.untagged_at } : {}),
  };
}

/** PostgreSQL reads LIMIT NULL as "no limit". */
function limitOf(page: Page): number | null {
  return page.limit === undefined ? null : Math.max(0, Math.floor(page.limit));
}

function failure(error: unknown): ServeError {
  if (error instanceof ServeError) return error;
  return new ServeError('INTERNAL', `registry metadata (PostgreSQL): ${describe(error)}`, { cause: error });
}

/** The server's message and SQLSTATE, or the connection error; node-postgres never puts the password in either. */
function describe(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return `${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}`;
}
