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
 * Which manifests need a scan (`manifestsNeedingScan`): image manifests only
 * (artifactType is the OCI or Docker image config type) that have no scan
 * record, were left `queued` or `scanning` (a restart picks them up; the scan
 * service skips ones it already holds), or were scanned with another advisory
 * database. Oldest pushes first.
 *
 * Blobs ever linked or referenced are remembered in `blobs` so that
 * `unreferencedBlobs` can name the ones nothing points at any more.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type Digest, MediaType, SEVERITY_LEVELS, type SeverityLevel } from '../../core/index.js';
import { ServeError } from '../errors.js';
import { scanFromRow, scanToRow, totalsFrom, type ScanRow } from './scan-rows.js';
import type { ManifestRecord, MetadataStore, Page, RepositorySummary, ScanRecord, TagRecord } from './store.js';

export const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE repositories (name TEXT PRIMARY KEY, created_at TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE blobs (digest TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TABLE blob_links (repository TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (repository, digest)) WITHOUT ROWID;
  CREATE INDEX blob_links_digest ON blob_links (digest);
  CREATE TABLE manifests (
    repository TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,
    artifact_type TEXT, subject TEXT, annotations TEXT, pushed_at TEXT NOT NULL,
    PRIMARY KEY (repository, digest)
  ) WITHOUT ROWID;
  CREATE INDEX manifests_digest ON manifests (digest);
  CREATE INDEX manifests_subject ON manifests (repository, subject);
  CREATE TABLE manifest_refs (
    repository TEXT NOT NULL, manifest TEXT NOT NULL, ord INTEGER NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (repository, manifest, ord)
  ) WITHOUT ROWID;
  CREATE INDEX manifest_refs_digest ON manifest_refs (digest);
  CREATE TABLE tags (
    repository TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (repository, tag)
  ) WITHOUT ROWID;
  CREATE INDEX tags_digest ON tags (repository, digest);
  CREATE TABLE scans (
    manifest_digest TEXT PRIMARY KEY, state TEXT NOT NULL, database_digest TEXT, counts TEXT,
    result TEXT, error TEXT, updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
`;

const IMAGE_CONFIG_TYPES = [MediaType.OciConfig, MediaType.DockerConfig];

interface ManifestRow {
  repository: string;
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject: string | null;
  annotations: string | null;
  pushed_at: string;
}


export class SqliteMetadataStore implements MetadataStore {
  readonly db: Database.Database;
  readonly #s: ReturnType<SqliteMetadataStore['prepare']>;

  constructor(readonly path: string) {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('busy_timeout = 10000');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new ServeError('CONFIG_INVALID', `registry metadata schema v${version} in ${path} is newer than this portcullis (v${SCHEMA_VERSION})`);
      if (version < 1) {
        this.db.transaction(() => {
          this.db.exec(SCHEMA);
          this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
        })();
      }
    } catch (error) {
      if (error instanceof ServeError) throw error;
      throw new ServeError('CONFIG_INVALID', `cannot open registry metadata ${path}: ${(error as Error).message}`, { cause: error });
    }
    this.#s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      addRepository: db.prepare('INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      dropEmptyRepository: db.prepare(`DELETE FROM repositories WHERE name = @name
        AND NOT EXISTS (SELECT 1 FROM blob_links WHERE repository = @name) AND NOT EXISTS (SELECT 1 FROM manifests WHERE repository = @name)`),
      repositories: db.prepare<[string, number], { name: string }>('SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?'),
      repositoryExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM repositories WHERE name = ?'),
      summaries: db.prepare<[], { name: string; tags: number; manifests: number; last_push: string | null }>(`
        SELECT r.name AS name,
          (SELECT count(*) FROM tags t WHERE t.repository = r.name) AS tags,
          (SELECT count(*) FROM manifests m WHERE m.repository = r.name) AS manifests,
          (SELECT max(pushed_at) FROM manifests m WHERE m.repository = r.name) AS last_push
        FROM repositories r ORDER BY r.name`),
      rememberBlob: db.prepare('INSERT INTO blobs (digest) VALUES (?) ON CONFLICT DO NOTHING'),
      link: db.prepare('INSERT INTO blob_links (repository, digest) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      isLinked: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM blob_links WHERE repository = ? AND digest = ?'),
      unlink: db.prepare('DELETE FROM blob_links WHERE repository = ? AND digest = ?'),
      unreferenced: db.prepare<[], { digest: string }>(`SELECT b.digest AS digest FROM blobs b
        WHERE NOT EXISTS (SELECT 1 FROM blob_links l WHERE l.digest = b.digest)
          AND NOT EXISTS (SELECT 1 FROM manifest_refs r WHERE r.digest = b.digest)
          AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = b.digest)
        ORDER BY b.digest`),
      putManifest: db.prepare(`INSERT INTO manifests (repository, digest, media_type, size, artifact_type, subject, annotations, pushed_at)
        VALUES (@repository, @digest, @media_type, @size, @artifact_type, @subject, @annotations, @pushed_at)
        ON CONFLICT (repository, digest) DO UPDATE SET media_type = excluded.media_type, size = excluded.size,
          artifact_type = excluded.artifact_type, subject = excluded.subject, annotations = excluded.annotations, pushed_at = excluded.pushed_at`),
      deleteRefs: db.prepare('DELETE FROM manifest_refs WHERE repository = ? AND manifest = ?'),
      addRef: db.prepare('INSERT INTO manifest_refs (repository, manifest, ord, digest) VALUES (?, ?, ?, ?)'),
      refs: db.prepare<[string, string], { digest: string }>('SELECT digest FROM manifest_refs WHERE repository = ? AND manifest = ? ORDER BY ord'),
      getManifest: db.prepare<[string, string], ManifestRow>('SELECT * FROM manifests WHERE repository = ? AND digest = ?'),
      deleteManifest: db.prepare('DELETE FROM manifests WHERE repository = ? AND digest = ?'),
      deleteTagsOf: db.prepare('DELETE FROM tags WHERE repository = ? AND digest = ?'),
      reposWithManifest: db.prepare<[string], { repository: string }>('SELECT repository FROM manifests WHERE digest = ? ORDER BY repository'),
      setTag: db.prepare(`INSERT INTO tags (repository, tag, digest, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`),
      resolveTag: db.prepare<[string, string], { digest: string }>('SELECT digest FROM tags WHERE repository = ? AND tag = ?'),
      listTags: db.prepare<[string, string, number], { tag: string }>('SELECT tag FROM tags WHERE repository = ? AND tag > ? ORDER BY tag LIMIT ?'),
      tagsOf: db.prepare<[string], { repository: string; tag: string; digest: string; updated_at: string }>('SELECT * FROM tags WHERE repository = ? ORDER BY tag'),
      deleteTag: db.prepare('DELETE FROM tags WHERE repository = ? AND tag = ?'),
      referrers: db.prepare<[string, string], ManifestRow>('SELECT * FROM manifests WHERE repository = ? AND subject = ? ORDER BY pushed_at, digest'),
      referrersOfType: db.prepare<[string, string, string], ManifestRow>(
        'SELECT * FROM manifests WHERE repository = ? AND subject = ? AND artifact_type = ? ORDER BY pushed_at, digest',
      ),
      saveScan: db.prepare(`INSERT INTO scans (manifest_digest, state, database_digest, counts, result, error, updated_at)
        VALUES (@manifest_digest, @state, @database_digest, @counts, @result, @error, @updated_at)
        ON CONFLICT (manifest_digest) DO UPDATE SET state = excluded.state, database_digest = excluded.database_digest,
          counts = excluded.counts, result = excluded.result, error = excluded.error, updated_at = excluded.updated_at`),
      getScan: db.prepare<[string], ScanRow>('SELECT * FROM scans WHERE manifest_digest = ?'),
      severityTotals: db.prepare(
        `SELECT ${SEVERITY_LEVELS.map((l) => `SUM(json_extract(counts, '$.${l}')) AS ${l}`).join(', ')} FROM scans
          WHERE counts IS NOT NULL AND EXISTS (SELECT 1 FROM manifests m WHERE m.digest = scans.manifest_digest)`,
      ),
      needingScan: db.prepare<[string, string, string, number], { digest: string }>(`
        SELECT m.digest AS digest FROM manifests m LEFT JOIN scans s ON s.manifest_digest = m.digest
        WHERE m.artifact_type IN (?, ?)
          AND (s.manifest_digest IS NULL OR s.state IN ('queued', 'scanning') OR coalesce(s.database_digest, '') <> ?)
        GROUP BY m.digest ORDER BY min(m.pushed_at), m.digest LIMIT ?`),
    };
  }

  async listRepositories(page: Page = {}): Promise<string[]> {
    return this.#s.repositories.all(page.last ?? '', limitOf(page)).map((r) => r.name);
  }

  async repositorySummaries(): Promise<RepositorySummary[]> {
    return this.#s.summaries.all().map((r) => ({ name: r.name, tags: r.tags, manifests: r.manifests, ...(r.last_push ? { lastPush: r.last_push } : {}) }));
  }

  async severityTotals(): Promise<Partial<Record<SeverityLevel, number>>> {
    const row = this.#s.severityTotals.get() as Record<string, number | null> | undefined;
    return totalsFrom(row);
  }

  async repositoryExists(repository: string): Promise<boolean> {
    return this.#s.repositoryExists.get(repository) !== undefined;
  }

  async linkBlob(repository: string, digest: Digest): Promise<void> {
    this.db.transaction(() => {
      this.#s.addRepository.run(repository, new Date().toISOString());
      this.#s.rememberBlob.run(digest);
      this.#s.link.run(repository, digest);
    })();
  }

  async isBlobLinked(repository: string, digest: Digest): Promise<boolean> {
    return this.#s.isLinked.get(repository, digest) !== undefined;
  }

  async unlinkBlob(repository: string, digest: Digest): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.#s.unlink.run(repository, digest).changes > 0;
      this.#s.dropEmptyRepository.run({ name: repository });
      return changed;
    })();
  }

  async unreferencedBlobs(): Promise<Digest[]> {
    return this.#s.unreferenced.all().map((r) => r.digest as Digest);
  }

  async putManifest(record: ManifestRecord, tag?: string): Promise<void> {
    this.db.transaction(() => {
      this.#s.addRepository.run(record.repository, record.pushedAt);
      this.#s.rememberBlob.run(record.digest);
      this.#s.putManifest.run({
        repository: record.repository,
        digest: record.digest,
        media_type: record.mediaType,
        size: record.size,
        artifact_type: record.artifactType ?? null,
        subject: record.subject ?? null,
        annotations: record.annotations ? JSON.stringify(record.annotations) : null,
        pushed_at: record.pushedAt,
      });
      this.#s.deleteRefs.run(record.repository, record.digest);
      record.references.forEach((ref, ord) => {
        this.#s.rememberBlob.run(ref);
        this.#s.addRef.run(record.repository, record.digest, ord, ref);
      });
      if (tag !== undefined) this.#s.setTag.run(record.repository, tag, record.digest, record.pushedAt);
    })();
  }

  async getManifest(repository: string, digest: Digest): Promise<ManifestRecord | undefined> {
    const row = this.#s.getManifest.get(repository, digest);
    return row ? this.toRecord(row) : undefined;
  }

  async repositoriesWithManifest(digest: Digest): Promise<string[]> {
    return this.#s.reposWithManifest.all(digest).map((r) => r.repository);
  }

  async resolveTag(repository: string, tag: string): Promise<Digest | undefined> {
    return this.#s.resolveTag.get(repository, tag)?.digest as Digest | undefined;
  }

  async listTags(repository: string, page: Page = {}): Promise<string[]> {
    return this.#s.listTags.all(repository, page.last ?? '', limitOf(page)).map((r) => r.tag);
  }

  async tagsOf(repository: string): Promise<TagRecord[]> {
    return this.#s.tagsOf.all(repository).map((r) => ({ repository: r.repository, tag: r.tag, digest: r.digest as Digest, updatedAt: r.updated_at }));
  }

  async deleteManifest(repository: string, digest: Digest): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.#s.deleteManifest.run(repository, digest).changes > 0;
      if (changed) {
        this.#s.deleteRefs.run(repository, digest);
        this.#s.deleteTagsOf.run(repository, digest);
        this.#s.dropEmptyRepository.run({ name: repository });
      }
      return changed;
    })();
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.#s.deleteTag.run(repository, tag).changes > 0;
  }

  async listReferrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestRecord[]> {
    const rows = artifactType === undefined ? this.#s.referrers.all(repository, subject) : this.#s.referrersOfType.all(repository, subject, artifactType);
    return rows.map((row) => this.toRecord(row));
  }

  async saveScan(record: ScanRecord): Promise<void> {
    this.#s.saveScan.run(scanToRow(record));
  }

  async getScan(manifestDigest: Digest): Promise<ScanRecord | undefined> {
    const row = this.#s.getScan.get(manifestDigest);
    return row ? scanFromRow(row) : undefined;
  }

  async manifestsNeedingScan(databaseDigest: string, limit: number): Promise<Digest[]> {
    const [oci, docker] = IMAGE_CONFIG_TYPES as [string, string];
    return this.#s.needingScan.all(oci, docker, databaseDigest, Math.max(0, Math.floor(limit))).map((r) => r.digest as Digest);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private toRecord(row: ManifestRow): ManifestRecord {
    return {
      repository: row.repository,
      digest: row.digest as Digest,
      mediaType: row.media_type,
      size: row.size,
      references: this.#s.refs.all(row.repository, row.digest).map((r) => r.digest as Digest),
      pushedAt: row.pushed_at,
      ...(row.artifact_type !== null ? { artifactType: row.artifact_type } : {}),
      ...(row.subject !== null ? { subject: row.subject as Digest } : {}),
      ...(row.annotations !== null ? { annotations: JSON.parse(row.annotations) as Record<string, string> } : {}),
    };
  }
}

/** SQLite reads LIMIT -1 as "no limit". */
function limitOf(page: Page): number {
  return page.limit === undefined ? -1 : Math.max(0, Math.floor(page.limit));
}
