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
 * `unreferencedBlobs` can name the ones nothing points at any more; each row
 * carries the garbage-collection state of store.ts (`live`/`deleting`, an
 * epoch from the `counters` table, when it was last touched and claimed) and
 * its size for quotas. Writes that check and then change (a claim, a link
 * that must see the blob live) run as IMMEDIATE transactions: in this
 * process better-sqlite3 already runs them one at a time, and against another
 * process (`portcullis registry gc` on the same file) the write lock is taken
 * before the check is read, so no check can go stale before its write.
 *
 * Schema versions (`user_version`): 1, the first; 2 adds the blob lifecycle
 * columns, links' `linked_at`, manifests' `untagged_at`, repositories' `version` (bumped by every
 * change to its manifests or tags, so retention can apply a plan only to the
 * state it was computed from), `counters` and `leases`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type Digest, MediaType, SEVERITY_LEVELS, type SeverityLevel } from '../../core/index.js';
import { ServeError } from '../errors.js';
import { scanFromRow, scanToRow, totalsFrom, type ScanRow } from './scan-rows.js';
import { accessoryTagRange, beingCollected, missingBlob, projectRange } from './lifecycle-rules.js';
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

export const SCHEMA_VERSION = 2;

const SCHEMA_V1 = `
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

const SCHEMA_V2 = `
  ALTER TABLE blobs ADD COLUMN state TEXT NOT NULL DEFAULT 'live';
  ALTER TABLE blobs ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE blobs ADD COLUMN size INTEGER;
  ALTER TABLE blobs ADD COLUMN touched_at TEXT;
  ALTER TABLE blobs ADD COLUMN claimed_at TEXT;
  CREATE INDEX blobs_claimed ON blobs (state, claimed_at);
  ALTER TABLE manifests ADD COLUMN untagged_at TEXT;
  UPDATE manifests SET untagged_at = pushed_at
    WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository = manifests.repository AND t.digest = manifests.digest);
  ALTER TABLE repositories ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE blob_links ADD COLUMN linked_at TEXT;
  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO counters (name, value) VALUES ('blob_epoch', 0);
  CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TEXT NOT NULL) WITHOUT ROWID;
`;

/** Schema version n is reached by running MIGRATIONS[0..n-1] in order (exported for the upgrade test). */
export const MIGRATIONS: readonly string[] = [SCHEMA_V1, SCHEMA_V2];
/** Sorts after every ISO time: "no cutoff". */
const END_OF_TIME = '~';

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
  untagged_at: string | null;
}

interface BlobTableRow {
  digest: string;
  state: string;
  epoch: number;
  size: number | null;
  touched_at: string | null;
  claimed_at: string | null;
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
      if (version < SCHEMA_VERSION) {
        this.db.transaction(() => {
          // Read again under the write lock: another process may have migrated meanwhile.
          const current = this.db.pragma('user_version', { simple: true }) as number;
          for (let v = current + 1; v <= SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v - 1]!);
          this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
        }).immediate();
      }
    } catch (error) {
      if (error instanceof ServeError) throw error;
      throw new ServeError('CONFIG_INVALID', `cannot open registry metadata ${path}: ${(error as Error).message}`, { cause: error });
    }
    this.#s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    const inProject = (column: string): string => `(${column} = @project OR (${column} >= @low AND ${column} < @high))`;
    return {
      addRepository: db.prepare('INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      bumpVersion: db.prepare('UPDATE repositories SET version = version + 1 WHERE name = ?'),
      repositoryVersion: db.prepare<[string], { version: number }>('SELECT version FROM repositories WHERE name = ?'),
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
      nextEpoch: db.prepare<[], { value: number }>("UPDATE counters SET value = value + 1 WHERE name = 'blob_epoch' RETURNING value"),
      blob: db.prepare<[string], BlobTableRow>('SELECT * FROM blobs WHERE digest = ?'),
      insertBlob: db.prepare(`INSERT INTO blobs (digest, state, epoch, size, touched_at, claimed_at)
        VALUES (@digest, @state, @epoch, @size, @touched_at, @claimed_at)`),
      touchBlob: db.prepare('UPDATE blobs SET touched_at = @now, size = coalesce(size, @size) WHERE digest = @digest'),
      claim: db.prepare("UPDATE blobs SET state = 'deleting', epoch = @epoch, claimed_at = @now WHERE digest = @digest"),
      finishClaim: db.prepare("DELETE FROM blobs WHERE digest = ? AND state = 'deleting' AND epoch = ?"),
      claimed: db.prepare<[string, number], BlobTableRow>("SELECT * FROM blobs WHERE state = 'deleting' AND claimed_at < ? ORDER BY claimed_at, digest LIMIT ?"),
      blobHeld: db.prepare<{ digest: string }, { one: number }>(`SELECT 1 AS one WHERE
        EXISTS (SELECT 1 FROM blob_links WHERE digest = @digest) OR EXISTS (SELECT 1 FROM manifest_refs WHERE digest = @digest)
        OR EXISTS (SELECT 1 FROM manifests WHERE digest = @digest)`),
      linksOf: db.prepare<[string, number], { repository: string; linked_at: string | null }>('SELECT repository, linked_at FROM blob_links WHERE digest = ? ORDER BY repository LIMIT ?'),
      holdersOf: db.prepare<{ digest: string; limit: number }, { repository: string; manifest: string }>(`
        SELECT repository, manifest FROM manifest_refs WHERE digest = @digest
        UNION SELECT repository, digest AS manifest FROM manifests WHERE digest = @digest
        ORDER BY repository, manifest LIMIT @limit`),
      link: db.prepare('INSERT INTO blob_links (repository, digest, linked_at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET linked_at = excluded.linked_at'),
      linkTime: db.prepare<[string, string], { linked_at: string | null }>('SELECT linked_at FROM blob_links WHERE repository = ? AND digest = ?'),
      refreshLink: db.prepare("UPDATE blob_links SET linked_at = ? WHERE repository = ? AND digest = ? AND coalesce(linked_at, '') < ?"),
      looseLinks: db.prepare<{ repository: string; before: string; after: string; limit: number }, { digest: string }>(`
        SELECT l.digest AS digest FROM blob_links l WHERE l.repository = @repository AND coalesce(l.linked_at, '') < @before AND l.digest > @after
          AND NOT EXISTS (SELECT 1 FROM manifest_refs r WHERE r.repository = @repository AND r.digest = l.digest)
          AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repository = @repository AND m.digest = l.digest)
        ORDER BY l.digest LIMIT @limit`),
      unlinkIfLoose: db.prepare(`DELETE FROM blob_links WHERE repository = @repository AND digest = @digest AND coalesce(linked_at, '') < @before
        AND NOT EXISTS (SELECT 1 FROM manifest_refs r WHERE r.repository = @repository AND r.digest = @digest)
        AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repository = @repository AND m.digest = @digest)`),
      isLinked: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM blob_links WHERE repository = ? AND digest = ?'),
      unlink: db.prepare('DELETE FROM blob_links WHERE repository = ? AND digest = ?'),
      unreferenced: db.prepare<{ after: string; before: string; limit: number }, { digest: string }>(`SELECT b.digest AS digest FROM blobs b
        WHERE b.state = 'live' AND b.digest > @after AND coalesce(b.touched_at, '') < @before
          AND NOT EXISTS (SELECT 1 FROM blob_links l WHERE l.digest = b.digest)
          AND NOT EXISTS (SELECT 1 FROM manifest_refs r WHERE r.digest = b.digest)
          AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = b.digest)
        ORDER BY b.digest LIMIT @limit`),
      withoutSize: db.prepare<[string, number], { digest: string }>("SELECT digest FROM blobs WHERE state = 'live' AND size IS NULL AND digest > ? ORDER BY digest LIMIT ?"),
      setSize: db.prepare('UPDATE blobs SET size = ? WHERE digest = ? AND size IS NULL'),
      lease: db.prepare<[string], { holder: string; expires_at: string }>('SELECT holder, expires_at FROM leases WHERE name = ?'),
      setLease: db.prepare(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`),
      releaseLease: db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?'),
      projectUsage: db.prepare<{ project: string; low: string; high: string }, { bytes: number }>(`
        SELECT coalesce(sum(b.size), 0) AS bytes FROM blobs b WHERE b.state = 'live' AND b.digest IN (
          SELECT digest FROM blob_links WHERE ${inProject('repository')}
          UNION SELECT digest FROM manifests WHERE ${inProject('repository')}
          UNION SELECT digest FROM manifest_refs WHERE ${inProject('repository')})`),
      countsInProject: db.prepare<{ project: string; low: string; high: string; digest: string }, { one: number }>(`SELECT 1 AS one WHERE
        EXISTS (SELECT 1 FROM blob_links WHERE digest = @digest AND ${inProject('repository')})
        OR EXISTS (SELECT 1 FROM manifests WHERE digest = @digest AND ${inProject('repository')})
        OR EXISTS (SELECT 1 FROM manifest_refs WHERE digest = @digest AND ${inProject('repository')})`),
      putManifest: db.prepare(`INSERT INTO manifests (repository, digest, media_type, size, artifact_type, subject, annotations, pushed_at, untagged_at)
        VALUES (@repository, @digest, @media_type, @size, @artifact_type, @subject, @annotations, @pushed_at, @pushed_at)
        ON CONFLICT (repository, digest) DO UPDATE SET media_type = excluded.media_type, size = excluded.size,
          artifact_type = excluded.artifact_type, subject = excluded.subject, annotations = excluded.annotations, pushed_at = excluded.pushed_at`),
      deleteRefs: db.prepare('DELETE FROM manifest_refs WHERE repository = ? AND manifest = ?'),
      addRef: db.prepare('INSERT INTO manifest_refs (repository, manifest, ord, digest) VALUES (?, ?, ?, ?)'),
      refs: db.prepare<[string, string], { digest: string }>('SELECT digest FROM manifest_refs WHERE repository = ? AND manifest = ? ORDER BY ord'),
      getManifest: db.prepare<[string, string], ManifestRow>('SELECT * FROM manifests WHERE repository = ? AND digest = ?'),
      manifestsOf: db.prepare<[string], ManifestRow>('SELECT * FROM manifests WHERE repository = ? ORDER BY digest'),
      childrenIn: db.prepare<[string], { parent: string; child: string }>(`SELECT r.manifest AS parent, r.digest AS child FROM manifest_refs r
        JOIN manifests m ON m.repository = r.repository AND m.digest = r.digest WHERE r.repository = ? ORDER BY r.manifest, r.ord`),
      deleteManifest: db.prepare('DELETE FROM manifests WHERE repository = ? AND digest = ?'),
      deleteTagsOf: db.prepare('DELETE FROM tags WHERE repository = ? AND digest = ?'),
      hasTags: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM tags WHERE repository = ? AND digest = ? LIMIT 1'),
      markUntagged: db.prepare(`UPDATE manifests SET untagged_at = @now WHERE repository = @repository AND digest = @digest
        AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository = @repository AND t.digest = @digest)`),
      markTagged: db.prepare('UPDATE manifests SET untagged_at = NULL WHERE repository = ? AND digest = ?'),
      setUntaggedAt: db.prepare('UPDATE manifests SET untagged_at = ? WHERE repository = ? AND digest = ?'),
      reposWithManifest: db.prepare<[string], { repository: string }>('SELECT repository FROM manifests WHERE digest = ? ORDER BY repository'),
      setTag: db.prepare(`INSERT INTO tags (repository, tag, digest, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`),
      resolveTag: db.prepare<[string, string], { digest: string }>('SELECT digest FROM tags WHERE repository = ? AND tag = ?'),
      listTags: db.prepare<[string, string, number], { tag: string }>('SELECT tag FROM tags WHERE repository = ? AND tag > ? ORDER BY tag LIMIT ?'),
      tagsOf: db.prepare<[string], { repository: string; tag: string; digest: string; updated_at: string }>('SELECT * FROM tags WHERE repository = ? ORDER BY tag'),
      deleteTag: db.prepare('DELETE FROM tags WHERE repository = ? AND tag = ?'),
      deleteTagAt: db.prepare('DELETE FROM tags WHERE repository = ? AND tag = ? AND digest = ?'),
      referrers: db.prepare<[string, string], ManifestRow>('SELECT * FROM manifests WHERE repository = ? AND subject = ? ORDER BY pushed_at, digest'),
      referrersOfType: db.prepare<[string, string, string], ManifestRow>(
        'SELECT * FROM manifests WHERE repository = ? AND subject = ? AND artifact_type = ? ORDER BY pushed_at, digest',
      ),
      accessories: db.prepare<{ repository: string; subject: string; tag: string; low: string; high: string }, { digest: string }>(`
        SELECT digest FROM manifests WHERE repository = @repository AND subject = @subject
        UNION SELECT t.digest FROM tags t JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest
          WHERE t.repository = @repository AND (t.tag = @tag OR (t.tag >= @low AND t.tag < @high))
        ORDER BY digest`),
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

  async reserveBlob(digest: Digest, now: string): Promise<BlobReservation> {
    return this.db.transaction((): BlobReservation => {
      const row = this.#s.blob.get(digest);
      if (row === undefined) {
        const epoch = this.nextEpoch();
        this.#s.insertBlob.run({ digest, state: 'live', epoch, size: null, touched_at: now, claimed_at: null });
        return { state: 'live', epoch };
      }
      if (row.state === 'deleting') return { state: 'deleting', epoch: row.epoch, claimedAt: row.claimed_at ?? '' };
      this.#s.touchBlob.run({ digest, now, size: null });
      return { state: 'live', epoch: row.epoch };
    }).immediate();
  }

  async linkBlob(repository: string, digest: Digest, options: LinkOptions = {}): Promise<void> {
    const now = options.now ?? new Date().toISOString();
    this.db.transaction(() => {
      if (options.reservation !== undefined) this.requireReservation(digest, options.reservation);
      this.#s.addRepository.run(repository, now);
      this.touchForLink(digest, now, options.size);
      this.#s.link.run(repository, digest, now);
    }).immediate();
  }

  async mountBlob(from: string, to: string, digest: Digest, now = new Date().toISOString()): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.#s.isLinked.get(from, digest) === undefined) return false;
      this.#s.addRepository.run(to, now);
      this.touchForLink(digest, now, undefined);
      this.#s.link.run(to, digest, now);
      return true;
    }).immediate();
  }

  async isBlobLinked(repository: string, digest: Digest): Promise<boolean> {
    return this.#s.isLinked.get(repository, digest) !== undefined;
  }

  async refreshLink(repository: string, digest: Digest, now: string, staleBefore: string): Promise<boolean> {
    // The common case, a fresh link, is a read: no write lock for a pull.
    const link = this.#s.linkTime.get(repository, digest);
    if (link === undefined) return false;
    if ((link.linked_at ?? '') >= staleBefore) return true;
    return this.db.transaction(() => {
      this.#s.refreshLink.run(now, repository, digest, staleBefore);
      return this.#s.isLinked.get(repository, digest) !== undefined;
    }).immediate();
  }

  async looseLinks(repository: string, linkedBefore: string, page: { readonly after?: string; readonly limit?: number } = {}): Promise<Digest[]> {
    const limit = page.limit === undefined ? -1 : Math.max(0, Math.floor(page.limit));
    return this.#s.looseLinks.all({ repository, before: linkedBefore, after: page.after ?? '', limit }).map((r) => r.digest as Digest);
  }

  async unlinkIfLoose(repository: string, digest: Digest, linkedBefore: string): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.#s.unlinkIfLoose.run({ repository, digest, before: linkedBefore }).changes > 0;
      if (changed) this.#s.dropEmptyRepository.run({ name: repository });
      return changed;
    }).immediate();
  }

  async unlinkBlob(repository: string, digest: Digest): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.#s.unlink.run(repository, digest).changes > 0;
      this.#s.dropEmptyRepository.run({ name: repository });
      return changed;
    })();
  }

  async unreferencedBlobs(query: UnreferencedQuery = {}): Promise<Digest[]> {
    const limit = query.limit === undefined ? -1 : Math.max(0, Math.floor(query.limit));
    return this.#s.unreferenced.all({ after: query.after ?? '', before: query.touchedBefore ?? END_OF_TIME, limit }).map((r) => r.digest as Digest);
  }

  async blobRow(digest: Digest): Promise<BlobRow | undefined> {
    const row = this.#s.blob.get(digest);
    return row ? toBlobRow(row) : undefined;
  }

  async blobHolders(digest: Digest, limit: number): Promise<BlobHolders> {
    const n = Math.max(0, Math.floor(limit));
    const links = this.#s.linksOf.all(digest, n + 1).map((r) => ({ repository: r.repository, ...(r.linked_at !== null ? { linkedAt: r.linked_at } : {}) }));
    const manifests = this.#s.holdersOf.all({ digest, limit: n + 1 }).map((r) => ({ repository: r.repository, digest: r.manifest as Digest }));
    return { links: links.slice(0, n), manifests: manifests.slice(0, n), truncated: links.length > n || manifests.length > n };
  }

  async claimBlob(digest: Digest, options: { readonly touchedBefore: string; readonly now: string }): Promise<BlobClaim | undefined> {
    return this.db.transaction((): BlobClaim | undefined => {
      const row = this.#s.blob.get(digest);
      if (row === undefined || row.state !== 'live' || (row.touched_at ?? '') >= options.touchedBefore) return undefined;
      if (this.#s.blobHeld.get({ digest }) !== undefined) return undefined;
      const epoch = this.nextEpoch();
      this.#s.claim.run({ digest, epoch, now: options.now });
      return { digest, epoch, claimedAt: options.now, ...(row.size !== null ? { size: row.size } : {}) };
    }).immediate();
  }

  async claimOrphans(digests: readonly Digest[], now: string): Promise<BlobClaim[]> {
    return this.db.transaction(() => {
      const claims: BlobClaim[] = [];
      for (const digest of digests) {
        if (this.#s.blob.get(digest) !== undefined) continue;
        const epoch = this.nextEpoch();
        this.#s.insertBlob.run({ digest, state: 'deleting', epoch, size: null, touched_at: null, claimed_at: now });
        claims.push({ digest, epoch, claimedAt: now });
      }
      return claims;
    }).immediate();
  }

  async claimedBlobs(options: { readonly claimedBefore?: string; readonly limit: number }): Promise<BlobClaim[]> {
    return this.#s.claimed.all(options.claimedBefore ?? END_OF_TIME, Math.max(0, Math.floor(options.limit))).map((row) => ({
      digest: row.digest as Digest,
      epoch: row.epoch,
      claimedAt: row.claimed_at ?? '',
      ...(row.size !== null ? { size: row.size } : {}),
    }));
  }

  async finishClaim(claim: Pick<BlobClaim, 'digest' | 'epoch'>): Promise<boolean> {
    return this.#s.finishClaim.run(claim.digest, claim.epoch).changes > 0;
  }

  async acquireLease(name: string, holder: string, now: string, ttlMs: number): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.#s.lease.get(name);
      if (row !== undefined && row.holder !== holder && row.expires_at > now) return false;
      this.#s.setLease.run(name, holder, new Date(Date.parse(now) + ttlMs).toISOString());
      return true;
    }).immediate();
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.#s.releaseLease.run(name, holder);
  }

  async blobsWithoutSize(page: { readonly after?: string; readonly limit: number }): Promise<Digest[]> {
    return this.#s.withoutSize.all(page.after ?? '', Math.max(0, Math.floor(page.limit))).map((r) => r.digest as Digest);
  }

  async setBlobSize(digest: Digest, size: number): Promise<void> {
    this.#s.setSize.run(size, digest);
  }

  async projectUsage(project: string): Promise<number> {
    return this.#s.projectUsage.get(projectRange(project))?.bytes ?? 0;
  }

  async countsInProject(project: string, digest: Digest): Promise<boolean> {
    return this.#s.countsInProject.get({ ...projectRange(project), digest }) !== undefined;
  }

  async putManifest(record: ManifestRecord, tag?: string, options: PutManifestOptions = {}): Promise<void> {
    const repository = record.repository;
    this.db.transaction(() => {
      if (options.reservation !== undefined) this.requireReservation(record.digest, options.reservation);
      for (const digest of options.linked ?? []) {
        if (this.#s.isLinked.get(repository, digest) === undefined) throw missingBlob('blob', digest, repository);
      }
      for (const digest of options.children ?? []) {
        if (this.#s.getManifest.get(repository, digest) === undefined) throw missingBlob('manifest', digest, repository);
      }
      this.#s.addRepository.run(repository, record.pushedAt);
      this.touchForLink(record.digest, record.pushedAt, record.size);
      for (const ref of new Set(record.references)) this.touchForLink(ref, record.pushedAt, undefined);
      this.#s.putManifest.run({
        repository,
        digest: record.digest,
        media_type: record.mediaType,
        size: record.size,
        artifact_type: record.artifactType ?? null,
        subject: record.subject ?? null,
        annotations: record.annotations ? JSON.stringify(record.annotations) : null,
        pushed_at: record.pushedAt,
      });
      this.#s.deleteRefs.run(repository, record.digest);
      record.references.forEach((ref, ord) => this.#s.addRef.run(repository, record.digest, ord, ref));
      if (tag !== undefined) {
        const previous = this.#s.resolveTag.get(repository, tag)?.digest;
        this.#s.setTag.run(repository, tag, record.digest, record.pushedAt);
        if (previous !== undefined && previous !== record.digest) this.#s.markUntagged.run({ repository, digest: previous, now: record.pushedAt });
      }
      // A push (with or without a tag) restarts the untagged clock; a manifest with tags has none.
      if (this.#s.hasTags.get(repository, record.digest) !== undefined) this.#s.markTagged.run(repository, record.digest);
      else this.#s.setUntaggedAt.run(record.pushedAt, repository, record.digest);
      this.#s.bumpVersion.run(repository);
    }).immediate();
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
    return this.#s.tagsOf.all(repository).map(toTag);
  }

  async deleteManifest(repository: string, digest: Digest): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.#s.deleteManifest.run(repository, digest).changes > 0;
      if (changed) {
        this.#s.deleteRefs.run(repository, digest);
        this.#s.deleteTagsOf.run(repository, digest);
        this.#s.bumpVersion.run(repository);
        this.#s.dropEmptyRepository.run({ name: repository });
      }
      return changed;
    })();
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.db.transaction(() => {
      const digest = this.#s.resolveTag.get(repository, tag)?.digest;
      if (digest === undefined) return false;
      this.#s.deleteTag.run(repository, tag);
      this.#s.markUntagged.run({ repository, digest, now: new Date().toISOString() });
      this.#s.bumpVersion.run(repository);
      return true;
    })();
  }

  async repositorySnapshot(repository: string): Promise<RepositorySnapshot | undefined> {
    return this.db.transaction((): RepositorySnapshot | undefined => {
      const version = this.#s.repositoryVersion.get(repository)?.version;
      if (version === undefined) return undefined;
      const children = new Map<string, Digest[]>();
      for (const { parent, child } of this.#s.childrenIn.iterate(repository)) {
        const list = children.get(parent);
        if (list) list.push(child as Digest);
        else children.set(parent, [child as Digest]);
      }
      const manifests = this.#s.manifestsOf.all(repository).map((row): ManifestNode => nodeOf(row, children.get(row.digest) ?? []));
      return { repository, version, manifests, tags: this.#s.tagsOf.all(repository).map(toTag) };
    })();
  }

  async applyDeletions(repository: string, plan: DeletionPlan, now: string): Promise<boolean> {
    return this.db.transaction(() => {
      const version = this.#s.repositoryVersion.get(repository)?.version;
      if (plan.version !== undefined && version !== plan.version) return false;
      if (version === undefined) return plan.tags.length === 0 && plan.manifests.length === 0;
      const untagged = new Set<string>();
      for (const { tag, digest } of plan.tags) {
        if (this.#s.deleteTagAt.run(repository, tag, digest).changes > 0) untagged.add(digest);
      }
      for (const digest of plan.manifests) {
        if (this.#s.deleteManifest.run(repository, digest).changes === 0) continue;
        this.#s.deleteRefs.run(repository, digest);
        this.#s.deleteTagsOf.run(repository, digest);
        untagged.delete(digest);
      }
      for (const digest of untagged) this.#s.markUntagged.run({ repository, digest, now });
      this.#s.bumpVersion.run(repository);
      this.#s.dropEmptyRepository.run({ name: repository });
      return true;
    }).immediate();
  }

  async accessoriesOf(repository: string, digest: Digest): Promise<Digest[]> {
    return this.#s.accessories.all({ repository, subject: digest, ...accessoryTagRange(digest) }).map((r) => r.digest as Digest);
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

  private nextEpoch(): number {
    const row = this.#s.nextEpoch.get();
    if (row === undefined) throw new ServeError('INTERNAL', 'registry metadata has no blob epoch counter');
    return row.value;
  }

  /** Inside a transaction: the blob's row is live (created when missing) and touched now; UNAVAILABLE when it is claimed. */
  private touchForLink(digest: string, now: string, size: number | undefined): void {
    const row = this.#s.blob.get(digest);
    if (row === undefined) {
      this.#s.insertBlob.run({ digest, state: 'live', epoch: this.nextEpoch(), size: size ?? null, touched_at: now, claimed_at: null });
      return;
    }
    if (row.state === 'deleting') throw beingCollected(digest);
    this.#s.touchBlob.run({ digest, now, size: size ?? null });
  }

  /** Inside a transaction: the blob is still live at the epoch the push reserved. */
  private requireReservation(digest: string, epoch: number): void {
    const row = this.#s.blob.get(digest);
    if (row === undefined || row.state !== 'live' || row.epoch !== epoch) throw beingCollected(digest);
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

function toTag(r: { repository: string; tag: string; digest: string; updated_at: string }): TagRecord {
  return { repository: r.repository, tag: r.tag, digest: r.digest as Digest, updatedAt: r.updated_at };
}

function toBlobRow(row: BlobTableRow): BlobRow {
  return {
    digest: row.digest as Digest,
    state: row.state === 'deleting' ? 'deleting' : 'live',
    epoch: row.epoch,
    ...(row.size !== null ? { size: row.size } : {}),
    ...(row.touched_at !== null ? { touchedAt: row.touched_at } : {}),
    ...(row.claimed_at !== null ? { claimedAt: row.claimed_at } : {}),
  };
}

function nodeOf(row: ManifestRow, children: readonly Digest[]): ManifestNode {
  return {
    digest: row.digest as Digest,
    mediaType: row.media_type,
    size: row.size,
    pushedAt: row.pushed_at,
    children,
    ...(row.artifact_type !== null ? { artifactType: row.artifact_type } : {}),
    ...(row.subject !== null ? { subject: row.subject as Digest } : {}),
    ...(row.untagged_at !== null ? { untaggedAt: row.untagged_at } : {}),
  };
}

/** SQLite reads LIMIT -1 as "no limit". */
function limitOf(page: Page): number {
  return page.limit === undefined ? -1 : Math.max(0, Math.floor(page.limit));
}
