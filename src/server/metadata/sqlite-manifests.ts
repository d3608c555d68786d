/**
 * The SQLite store's manifests and tags (store-parts.ts `ManifestPart`), as
 * the distribution API writes and reads them: a manifest, its references and
 * its tag go in together (refused when its bytes were claimed since the push
 * reserved them, or what it needs is not in the repository), a tag that
 * moves starts its old manifest's untagged clock, and a delete takes the
 * manifest's tags with it. Mirrors postgres-manifests.ts.
 */
import type Database from 'better-sqlite3';
import type { Digest } from '../../core/index.js';
import { limitOf } from './component-sqlite.js';
import { entryOf, tagOf, type ManifestRow } from './content-rows.js';
import { missingBlob } from './lifecycle-rules.js';
import { SqlitePart, type SqliteConnection } from './sqlite-connection.js';
import type { ManifestPart } from './store-parts.js';
import type { ManifestEntry, ManifestRecord, Page, PutManifestOptions, TagRecord } from './store.js';

export class SqliteManifests extends SqlitePart<ReturnType<typeof prepare>> implements ManifestPart {
  constructor(connection: SqliteConnection) {
    super(connection, prepare);
  }

  async putManifest(record: ManifestRecord, tag?: string, options: PutManifestOptions = {}): Promise<void> {
    const repository = record.repository;
    this.db.transaction(() => {
      if (options.reservation !== undefined) this.c.requireReservation(record.digest, options.reservation);
      for (const digest of options.linked ?? []) {
        if (!this.c.isLinked(repository, digest)) throw missingBlob('blob', digest, repository);
      }
      for (const digest of options.children ?? []) {
        if (this.s.getManifest.get(repository, digest) === undefined) throw missingBlob('manifest', digest, repository);
      }
      this.c.addRepository(repository, record.pushedAt);
      this.c.touchForLink(record.digest, record.pushedAt, record.size);
      for (const ref of new Set(record.references)) this.c.touchForLink(ref, record.pushedAt, undefined);
      this.s.putManifest.run({
        repository,
        digest: record.digest,
        media_type: record.mediaType,
        size: record.size,
        artifact_type: record.artifactType ?? null,
        subject: record.subject ?? null,
        annotations: record.annotations ? JSON.stringify(record.annotations) : null,
        pushed_at: record.pushedAt,
      });
      this.c.deleteRefs(repository, record.digest);
      record.references.forEach((ref, ord) => this.s.addRef.run(repository, record.digest, ord, ref));
      if (tag !== undefined) {
        const previous = this.s.resolveTag.get(repository, tag)?.digest;
        this.s.setTag.run(repository, tag, record.digest, record.pushedAt);
        if (previous !== undefined && previous !== record.digest) this.c.markUntagged(repository, previous, record.pushedAt);
      }
      // A push (with or without a tag) restarts the untagged clock; a manifest with tags has none.
      if (this.s.hasTags.get(repository, record.digest) !== undefined) this.s.markTagged.run(repository, record.digest);
      else this.s.setUntaggedAt.run(record.pushedAt, repository, record.digest);
      this.c.bumpVersion(repository);
    }).immediate();
  }

  async getManifest(repository: string, digest: Digest): Promise<ManifestRecord | undefined> {
    const row = this.s.getManifest.get(repository, digest);
    return row ? this.c.record(row) : undefined;
  }

  async getManifestEntry(repository: string, digest: Digest): Promise<ManifestEntry | undefined> {
    const row = this.s.getManifest.get(repository, digest);
    return row ? entryOf(row) : undefined;
  }

  async repositoriesWithManifest(digest: Digest): Promise<string[]> {
    return this.s.reposWithManifest.all(digest).map((r) => r.repository);
  }

  async resolveTag(repository: string, tag: string): Promise<Digest | undefined> {
    return this.s.resolveTag.get(repository, tag)?.digest as Digest | undefined;
  }

  async listTags(repository: string, page: Page = {}): Promise<string[]> {
    return this.s.listTags.all(repository, page.last ?? '', limitOf(page)).map((r) => r.tag);
  }

  async tagsOf(repository: string): Promise<TagRecord[]> {
    return this.c.tagsOf(repository).map(tagOf);
  }

  async deleteManifest(repository: string, digest: Digest): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.c.removeManifest(repository, digest);
      if (changed) {
        this.c.bumpVersion(repository);
        this.c.dropEmptyRepository(repository);
      }
      return changed;
    })();
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.db.transaction(() => {
      const digest = this.s.resolveTag.get(repository, tag)?.digest;
      if (digest === undefined) return false;
      this.s.deleteTag.run(repository, tag);
      this.c.markUntagged(repository, digest, new Date().toISOString());
      this.c.bumpVersion(repository);
      return true;
    })();
  }

  async listReferrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestEntry[]> {
    const rows = artifactType === undefined ? this.s.referrers.all(repository, subject) : this.s.referrersOfType.all(repository, subject, artifactType);
    return rows.map(entryOf);
  }
}

function prepare(db: Database.Database) {
  return {
    putManifest: db.prepare(`INSERT INTO manifests (repository, digest, media_type, size, artifact_type, subject, annotations, pushed_at, untagged_at)
      VALUES (@repository, @digest, @media_type, @size, @artifact_type, @subject, @annotations, @pushed_at, @pushed_at)
      ON CONFLICT (repository, digest) DO UPDATE SET media_type = excluded.media_type, size = excluded.size,
        artifact_type = excluded.artifact_type, subject = excluded.subject, annotations = excluded.annotations, pushed_at = excluded.pushed_at`),
    addRef: db.prepare('INSERT INTO manifest_refs (repository, manifest, ord, digest) VALUES (?, ?, ?, ?)'),
    getManifest: db.prepare<[string, string], ManifestRow>('SELECT * FROM manifests WHERE repository = ? AND digest = ?'),
    reposWithManifest: db.prepare<[string], { repository: string }>('SELECT repository FROM manifests WHERE digest = ? ORDER BY repository'),
    hasTags: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM tags WHERE repository = ? AND digest = ? LIMIT 1'),
    markTagged: db.prepare('UPDATE manifests SET untagged_at = NULL WHERE repository = ? AND digest = ?'),
    setUntaggedAt: db.prepare('UPDATE manifests SET untagged_at = ? WHERE repository = ? AND digest = ?'),
    setTag: db.prepare(`INSERT INTO tags (repository, tag, digest, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`),
    resolveTag: db.prepare<[string, string], { digest: string }>('SELECT digest FROM tags WHERE repository = ? AND tag = ?'),
    listTags: db.prepare<[string, string, number], { tag: string }>('SELECT tag FROM tags WHERE repository = ? AND tag > ? ORDER BY tag LIMIT ?'),
    deleteTag: db.prepare('DELETE FROM tags WHERE repository = ? AND tag = ?'),
    referrers: db.prepare<[string, string], ManifestRow>(REFERRERS_SQL),
    referrersOfType: db.prepare<[string, string, string], ManifestRow>(REFERRERS_OF_TYPE_SQL),
  };
}

/**
 * A subject's referrers, through `manifests_subject` by name: left to itself,
 * SQLite takes the primary key's `repository` prefix for `SELECT *` and reads
 * every manifest of the repository (plans checked by sqlite-plans.test.ts).
 */
export const REFERRERS_SQL = 'SELECT * FROM manifests INDEXED BY manifests_subject WHERE repository = ? AND subject = ? ORDER BY pushed_at, digest';
export const REFERRERS_OF_TYPE_SQL = 'SELECT * FROM manifests INDEXED BY manifests_subject WHERE repository = ? AND subject = ? AND artifact_type = ? ORDER BY pushed_at, digest';
