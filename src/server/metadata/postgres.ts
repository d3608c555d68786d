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
 * The schema (its own PostgreSQL schema, versioned, created under a lock) is
 * in `postgres-schema.ts`.
 */
import pg from 'pg';
import { type Digest, MediaType, SEVERITY_LEVELS, type SeverityLevel } from '../../core/index.js';
import { ServeError } from '../errors.js';
import { DEFAULT_SCHEMA, LOCK_CLASS, migrate, quoteSchema } from './postgres-schema.js';
import { scanFromRow, scanToRow, totalsFrom, type ScanRow } from './scan-rows.js';
import type { ManifestRecord, MetadataStore, Page, RepositorySummary, ScanRecord, TagRecord } from './store.js';

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
  refs: string[];
}


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

  async linkBlob(repository: string, digest: Digest): Promise<void> {
    await this.transaction(async (q) => {
      await this.lockRepository(q, repository);
      await q(`INSERT INTO ${this.#s}.repositories (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [repository, new Date().toISOString()]);
      await this.rememberBlobs(q, [digest]);
      await q(`INSERT INTO ${this.#s}.blob_links (repository, digest) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [repository, digest]);
    });
  }

  async isBlobLinked(repository: string, digest: Digest): Promise<boolean> {
    return (await this.query(`SELECT 1 FROM ${this.#s}.blob_links WHERE repository = $1 AND digest = $2`, [repository, digest])).rowCount === 1;
  }

  async unlinkBlob(repository: string, digest: Digest): Promise<boolean> {
    return this.transaction(async (q) => {
      await this.lockRepository(q, repository);
      const changed = ((await q(`DELETE FROM ${this.#s}.blob_links WHERE repository = $1 AND digest = $2`, [repository, digest])).rowCount ?? 0) > 0;
      await this.dropEmptyRepository(q, repository);
      return changed;
    });
  }

  async unreferencedBlobs(): Promise<Digest[]> {
    const s = this.#s;
    const { rows } = await this.query(`SELECT b.digest AS digest FROM ${s}.blobs b
      WHERE NOT EXISTS (SELECT 1 FROM ${s}.blob_links l WHERE l.digest = b.digest)
        AND NOT EXISTS (SELECT 1 FROM ${s}.manifest_refs r WHERE r.digest = b.digest)
        AND NOT EXISTS (SELECT 1 FROM ${s}.manifests m WHERE m.digest = b.digest)
      ORDER BY b.digest`);
    return rows.map((r: { digest: string }) => r.digest as Digest);
  }

  async putManifest(record: ManifestRecord, tag?: string): Promise<void> {
    const s = this.#s;
    await this.transaction(async (q) => {
      await this.lockRepository(q, record.repository);
      await q(`INSERT INTO ${s}.repositories (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [record.repository, record.pushedAt]);
      await this.rememberBlobs(q, [record.digest, ...record.references]);
      await q(
        `INSERT INTO ${s}.manifests (repository, digest, media_type, size, artifact_type, subject, annotations, pushed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (repository, digest) DO UPDATE SET media_type = excluded.media_type, size = excluded.size,
          artifact_type = excluded.artifact_type, subject = excluded.subject, annotations = excluded.annotations, pushed_at = excluded.pushed_at`,
        [
          record.repository,
          record.digest,
          record.mediaType,
          record.size,
          record.artifactType ?? null,
          record.subject ?? null,
          record.annotations ? JSON.stringify(record.annotations) : null,
          record.pushedAt,
        ],
      );
      await q(`DELETE FROM ${s}.manifest_refs WHERE repository = $1 AND manifest = $2`, [record.repository, record.digest]);
      await q(
        `INSERT INTO ${s}.manifest_refs (repository, manifest, ord, digest)
        SELECT $1, $2, u.ord - 1, u.digest FROM unnest($3::text[]) WITH ORDINALITY AS u(digest, ord)`,
        [record.repository, record.digest, record.references],
      );
      if (tag !== undefined) {
        await q(
          `INSERT INTO ${s}.tags (repository, tag, digest, updated_at) VALUES ($1, $2, $3, $4)
          ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
          [record.repository, tag, record.digest, record.pushedAt],
        );
      }
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
    return rows.map((r: { repository: string; tag: string; digest: string; updated_at: string }) => ({
      repository: r.repository,
      tag: r.tag,
      digest: r.digest as Digest,
      updatedAt: r.updated_at,
    }));
  }

  async deleteManifest(repository: string, digest: Digest): Promise<boolean> {
    const s = this.#s;
    return this.transaction(async (q) => {
      await this.lockRepository(q, repository);
      const changed = ((await q(`DELETE FROM ${s}.manifests WHERE repository = $1 AND digest = $2`, [repository, digest])).rowCount ?? 0) > 0;
      if (changed) {
        await q(`DELETE FROM ${s}.manifest_refs WHERE repository = $1 AND manifest = $2`, [repository, digest]);
        await q(`DELETE FROM ${s}.tags WHERE repository = $1 AND digest = $2`, [repository, digest]);
        await this.dropEmptyRepository(q, repository);
      }
      return changed;
    });
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    return ((await this.query(`DELETE FROM ${this.#s}.tags WHERE repository = $1 AND tag = $2`, [repository, tag])).rowCount ?? 0) > 0;
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

  private async rememberBlobs(q: Query, digests: readonly string[]): Promise<void> {
    const sorted = [...new Set(digests)].sort();
    await q(`INSERT INTO ${this.#s}.blobs (digest) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, [sorted]);
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
  private async transaction<T>(work: (q: Query) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw failure(error);
      }
      try {
        await client.query('BEGIN');
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
