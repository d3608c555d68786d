/**
 * The SQLite store's side of retention (store-parts.ts `RetentionPart`): a
 * repository's manifests and tags read in one transaction with the version
 * they were read at, a plan applied only while that version holds and no
 * repository holds a manifest the plan took to be nowhere (both checked in the
 * IMMEDIATE transaction that deletes, which no other write of the file can
 * interleave with), and a manifest's accessories. Mirrors postgres-retention.ts.
 */
import type Database from 'better-sqlite3';
import type { Digest } from '../../core/index.js';
import { childrenOf, nodeOf, tagOf, type ManifestRow } from './content-rows.js';
import { accessoryTagRange } from './lifecycle-rules.js';
import { SqlitePart, type SqliteConnection } from './sqlite-connection.js';
import type { RetentionPart } from './store-parts.js';
import type { DeletionPlan, ManifestNode, RepositorySnapshot } from './store.js';

export class SqliteRetention extends SqlitePart<ReturnType<typeof prepare>> implements RetentionPart {
  constructor(connection: SqliteConnection) {
    super(connection, prepare);
  }

  async repositoryVersion(repository: string): Promise<number | undefined> {
    return this.c.repositoryVersion(repository);
  }

  async repositorySnapshot(repository: string): Promise<RepositorySnapshot | undefined> {
    return this.db.transaction((): RepositorySnapshot | undefined => {
      const version = this.c.repositoryVersion(repository);
      if (version === undefined) return undefined;
      const children = childrenOf(this.s.childrenIn.iterate(repository));
      const manifests = this.s.manifestsOf.all(repository).map((row): ManifestNode => nodeOf(row, children.get(row.digest) ?? []));
      return { repository, version, manifests, tags: this.c.tagsOf(repository).map(tagOf) };
    })();
  }

  async applyDeletions(repository: string, plan: DeletionPlan, now: string): Promise<boolean> {
    return this.db.transaction(() => {
      const version = this.c.repositoryVersion(repository);
      if (plan.version !== undefined && version !== plan.version) return false;
      for (const digest of plan.absentEverywhere ?? []) if (this.s.heldAnywhere.get(digest) !== undefined) return false;
      if (version === undefined) return plan.tags.length === 0 && plan.manifests.length === 0;
      const untagged = new Set<string>();
      for (const { tag, digest } of plan.tags) {
        if (this.s.deleteTagAt.run(repository, tag, digest).changes > 0) untagged.add(digest);
      }
      for (const digest of plan.manifests) {
        if (!this.c.removeManifest(repository, digest)) continue;
        untagged.delete(digest);
      }
      for (const digest of untagged) this.c.markUntagged(repository, digest, now);
      this.c.bumpVersion(repository);
      this.c.dropEmptyRepository(repository);
      return true;
    }).immediate();
  }

  async accessoriesOf(repository: string, digest: Digest): Promise<Digest[]> {
    return this.s.accessories.all({ repository, subject: digest, ...accessoryTagRange(digest) }).map((r) => r.digest as Digest);
  }
}

function prepare(db: Database.Database) {
  return {
    manifestsOf: db.prepare<[string], ManifestRow>('SELECT * FROM manifests WHERE repository = ? ORDER BY digest'),
    childrenIn: db.prepare<[string], { parent: string; child: string }>(`SELECT r.manifest AS parent, r.digest AS child FROM manifest_refs r
      JOIN manifests m ON m.repository = r.repository AND m.digest = r.digest WHERE r.repository = ? ORDER BY r.manifest, r.ord`),
    heldAnywhere: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM manifests WHERE digest = ? LIMIT 1'),
    deleteTagAt: db.prepare('DELETE FROM tags WHERE repository = ? AND tag = ? AND digest = ?'),
    accessories: db.prepare<{ repository: string; subject: string; tag: string; low: string; high: string }, { digest: string }>(ACCESSORIES_SQL),
  };
}

/**
 * A manifest's accessories: its referrers (`manifests_subject`, named as in
 * sqlite-manifests.ts), its `sha256-<hex>` tag, and its `sha256-<hex>.*` tags,
 * each its own SELECT so each searches the tags' primary key. Written as one
 * `tag = … OR (range)`, SQLite searches `tags_digest` on the repository alone
 * and reads every tag of it unless ANALYZE has run (plans checked by
 * sqlite-plans.test.ts).
 */
export const ACCESSORIES_SQL = `
  SELECT digest FROM manifests INDEXED BY manifests_subject WHERE repository = @repository AND subject = @subject
  UNION SELECT t.digest FROM tags t JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest
    WHERE t.repository = @repository AND t.tag = @tag
  UNION SELECT t.digest FROM tags t JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest
    WHERE t.repository = @repository AND t.tag >= @low AND t.tag < @high
  ORDER BY digest`;
