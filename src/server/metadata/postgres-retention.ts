/**
 * The PostgreSQL store's side of retention (store-parts.ts `RetentionPart`): a
 * repository's manifests and tags read in one REPEATABLE READ transaction
 * with the version they were read at, a plan applied only while that version
 * holds (under the repository's advisory lock, which every push of manifests,
 * tags or links takes too, so the check cannot interleave with one) and no
 * repository holds a manifest the plan took to be nowhere (read in the
 * deleting transaction: a push elsewhere that commits before it is seen, one
 * that commits after it comes after the deletion, which that push does not
 * read), and a manifest's accessories. Mirrors sqlite-retention.ts.
 */
import type { Digest } from '../../core/index.js';
import { childrenOf, nodeOf, tagOf, type NodeRow, type TagRow } from './content-rows.js';
import { accessoryTagRange } from './lifecycle-rules.js';
import { PostgresPart } from './postgres-connection.js';
import type { RetentionPart } from './store-parts.js';
import type { DeletionPlan, ManifestNode, RepositorySnapshot } from './store.js';

export class PostgresRetention extends PostgresPart implements RetentionPart {
  async repositoryVersion(repository: string): Promise<number | undefined> {
    const { rows } = await this.c.query(`SELECT version FROM ${this.s}.repositories WHERE name = $1`, [repository]);
    const version = (rows[0] as { version: string } | undefined)?.version;
    return version === undefined ? undefined : Number(version);
  }

  async repositorySnapshot(repository: string): Promise<RepositorySnapshot | undefined> {
    const s = this.s;
    return this.c.transaction(
      async (q): Promise<RepositorySnapshot | undefined> => {
        const { rows: repo } = await q(`SELECT version FROM ${s}.repositories WHERE name = $1`, [repository]);
        const version = (repo[0] as { version: string } | undefined)?.version;
        if (version === undefined) return undefined;
        const { rows: childRows } = await q(
          `SELECT r.manifest AS parent, r.digest AS child FROM ${s}.manifest_refs r
          JOIN ${s}.manifests m ON m.repository = r.repository AND m.digest = r.digest WHERE r.repository = $1 ORDER BY r.manifest, r.ord`,
          [repository],
        );
        const children = childrenOf(childRows as Array<{ parent: string; child: string }>);
        const { rows: manifestRows } = await q(
          `SELECT digest, media_type, size, artifact_type, subject, pushed_at, untagged_at FROM ${s}.manifests WHERE repository = $1 ORDER BY digest`,
          [repository],
        );
        const manifests = (manifestRows as NodeRow[]).map((row): ManifestNode => nodeOf(row, children.get(row.digest) ?? []));
        const { rows: tagRows } = await q(`SELECT repository, tag, digest, updated_at FROM ${s}.tags WHERE repository = $1 ORDER BY tag`, [repository]);
        return { repository, version: Number(version), manifests, tags: (tagRows as TagRow[]).map(tagOf) };
      },
      'REPEATABLE READ READ ONLY',
    );
  }

  async applyDeletions(repository: string, plan: DeletionPlan, now: string): Promise<boolean> {
    const s = this.s;
    return this.c.transaction(async (q) => {
      await this.c.lockRepository(q, repository);
      const { rows } = await q(`SELECT version FROM ${s}.repositories WHERE name = $1`, [repository]);
      const version = (rows[0] as { version: string } | undefined)?.version;
      if (plan.version !== undefined && (version === undefined || Number(version) !== plan.version)) return false;
      if (version === undefined) return plan.tags.length === 0 && plan.manifests.length === 0;
      const absent = [...new Set(plan.absentEverywhere ?? [])];
      if (absent.length > 0 && (await q(`SELECT 1 FROM ${s}.manifests WHERE digest = ANY($1::text[]) LIMIT 1`, [absent])).rows.length > 0) return false;
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
      for (const digest of untagged) await this.c.markUntagged(q, repository, digest, now);
      await this.c.bumpVersion(q, repository);
      await this.c.dropEmptyRepository(q, repository);
      return true;
    });
  }

  async accessoriesOf(repository: string, digest: Digest): Promise<Digest[]> {
    const range = accessoryTagRange(digest);
    const { rows } = await this.c.query(accessoriesSql(this.s), [repository, digest, range.tag, range.low, range.high]);
    return rows.map((r: { digest: string }) => r.digest as Digest);
  }
}

/**
 * A manifest's accessories ($1 repository, $2 its digest, $3..$5 its tag and
 * tag range, lifecycle-rules.ts `accessoryTagRange`). Unlike SQLite
 * (sqlite-retention.ts), PostgreSQL answers the OR with a BitmapOr of two
 * searches of the tags' primary key, and `manifests_subject` for the
 * referrers (postgres-plans.peer.test.ts).
 */
export function accessoriesSql(s: string): string {
  return `SELECT digest FROM ${s}.manifests WHERE repository = $1 AND subject = $2
      UNION SELECT t.digest FROM ${s}.tags t JOIN ${s}.manifests m ON m.repository = t.repository AND m.digest = t.digest
        WHERE t.repository = $1 AND (t.tag = $3 OR (t.tag >= $4 AND t.tag < $5))
      ORDER BY digest`;
}
