/**
 * The PostgreSQL store's manifests and tags (store-parts.ts `ManifestPart`),
 * as the distribution API writes and reads them: a manifest, its references
 * and its tag go in together under the repository's advisory lock (refused
 * when its bytes were claimed since the push reserved them, or what it needs
 * is not in the repository), a tag that moves starts its old manifest's
 * untagged clock, and a delete takes the manifest's tags with it. A manifest
 * is read with its references in one statement (one snapshot). Mirrors
 * sqlite-manifests.ts.
 */
import type { Digest } from '../../core/index.js';
import { limitOf, type Query } from './component-postgres.js';
import { entryOf, recordOf, tagOf, type ManifestRow, type TagRow } from './content-rows.js';
import { beingCollected, missingBlob } from './lifecycle-rules.js';
import { PostgresPart } from './postgres-connection.js';
import type { ManifestPart } from './store-parts.js';
import type { ManifestEntry, ManifestRecord, Page, PutManifestOptions, TagRecord } from './store.js';

/** A manifest row with its references in order (`manifestSelect`). */
interface RowWithRefs extends ManifestRow {
  refs: string[];
}

export class PostgresManifests extends PostgresPart implements ManifestPart {
  async putManifest(record: ManifestRecord, tag?: string, options: PutManifestOptions = {}): Promise<void> {
    const s = this.s;
    const repository = record.repository;
    await this.c.transaction(async (q) => {
      await this.c.lockRepository(q, repository);
      // Under the repository's lock its links and manifests cannot change: these checks hold until COMMIT.
      const blob = await this.firstMissing(q, 'blob_links', repository, options.linked);
      if (blob !== undefined) throw missingBlob('blob', blob, repository);
      const child = await this.firstMissing(q, 'manifests', repository, options.children);
      if (child !== undefined) throw missingBlob('manifest', child, repository);
      const rows = await this.c.touchForLink(q, [record.digest, ...record.references], record.pushedAt, new Map([[record.digest, record.size]]));
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
        if (before && before !== record.digest) await this.c.markUntagged(q, repository, before, record.pushedAt);
      }
      // A push (with or without a tag) restarts the untagged clock; a manifest with tags has none.
      await q(
        `UPDATE ${s}.manifests m SET untagged_at = CASE WHEN EXISTS (SELECT 1 FROM ${s}.tags t WHERE t.repository = m.repository AND t.digest = m.digest)
          THEN NULL ELSE $3 END WHERE m.repository = $1 AND m.digest = $2`,
        [repository, record.digest, record.pushedAt],
      );
      await this.c.bumpVersion(q, repository);
    });
  }

  async getManifest(repository: string, digest: Digest): Promise<ManifestRecord | undefined> {
    const { rows } = await this.c.query(`${manifestSelect(this.s)} WHERE m.repository = $1 AND m.digest = $2`, [repository, digest]);
    const row = rows[0] as RowWithRefs | undefined;
    return row ? recordOf(row, row.refs) : undefined;
  }

  async getManifestEntry(repository: string, digest: Digest): Promise<ManifestEntry | undefined> {
    const { rows } = await this.c.query(`SELECT m.* FROM ${this.s}.manifests m WHERE m.repository = $1 AND m.digest = $2`, [repository, digest]);
    const row = rows[0] as ManifestRow | undefined;
    return row ? entryOf(row) : undefined;
  }

  async repositoriesWithManifest(digest: Digest): Promise<string[]> {
    const { rows } = await this.c.query(`SELECT repository FROM ${this.s}.manifests WHERE digest = $1 ORDER BY repository`, [digest]);
    return rows.map((r: { repository: string }) => r.repository);
  }

  async resolveTag(repository: string, tag: string): Promise<Digest | undefined> {
    const { rows } = await this.c.query(`SELECT digest FROM ${this.s}.tags WHERE repository = $1 AND tag = $2`, [repository, tag]);
    return (rows[0] as { digest: string } | undefined)?.digest as Digest | undefined;
  }

  async listTags(repository: string, page: Page = {}): Promise<string[]> {
    const { rows } = await this.c.query(`SELECT tag FROM ${this.s}.tags WHERE repository = $1 AND tag > $2 ORDER BY tag LIMIT $3`, [
      repository,
      page.last ?? '',
      limitOf(page),
    ]);
    return rows.map((r: { tag: string }) => r.tag);
  }

  async tagsOf(repository: string): Promise<TagRecord[]> {
    const { rows } = await this.c.query(`SELECT repository, tag, digest, updated_at FROM ${this.s}.tags WHERE repository = $1 ORDER BY tag`, [repository]);
    return (rows as TagRow[]).map(tagOf);
  }

  async deleteManifest(repository: string, digest: Digest): Promise<boolean> {
    const s = this.s;
    return this.c.transaction(async (q) => {
      await this.c.lockRepository(q, repository);
      const changed = ((await q(`DELETE FROM ${s}.manifests WHERE repository = $1 AND digest = $2`, [repository, digest])).rowCount ?? 0) > 0;
      if (changed) {
        await q(`DELETE FROM ${s}.manifest_refs WHERE repository = $1 AND manifest = $2`, [repository, digest]);
        await q(`DELETE FROM ${s}.tags WHERE repository = $1 AND digest = $2`, [repository, digest]);
        await this.c.bumpVersion(q, repository);
        await this.c.dropEmptyRepository(q, repository);
      }
      return changed;
    });
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.c.transaction(async (q) => {
      await this.c.lockRepository(q, repository);
      const { rows } = await q(`DELETE FROM ${this.s}.tags WHERE repository = $1 AND tag = $2 RETURNING digest`, [repository, tag]);
      const digest = (rows[0] as { digest: string } | undefined)?.digest;
      if (digest === undefined) return false;
      await this.c.markUntagged(q, repository, digest, new Date().toISOString());
      await this.c.bumpVersion(q, repository);
      return true;
    });
  }

  async listReferrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestEntry[]> {
    const values = artifactType === undefined ? [repository, subject] : [repository, subject, artifactType];
    const { rows } = await this.c.query(referrersSql(this.s, artifactType !== undefined), values);
    return (rows as ManifestRow[]).map(entryOf);
  }

  /** Inside a transaction: the first of `digests` the repository has no row of in `table` (its links, or its manifests). */
  private async firstMissing(q: Query, table: 'blob_links' | 'manifests', repository: string, digests: readonly string[] = []): Promise<string | undefined> {
    const wanted = [...new Set(digests)];
    if (wanted.length === 0) return undefined;
    const { rows } = await q(`SELECT digest FROM ${this.s}.${table} WHERE repository = $1 AND digest = ANY($2::text[])`, [repository, wanted]);
    const found = new Set((rows as Array<{ digest: string }>).map((r) => r.digest));
    return wanted.find((d) => !found.has(d));
  }
}

/** A manifest row with its references in order, read in one statement (one snapshot); `s` is the quoted schema. */
function manifestSelect(s: string): string {
  return `SELECT m.*, ARRAY(SELECT r.digest FROM ${s}.manifest_refs r WHERE r.repository = m.repository AND r.manifest = m.digest ORDER BY r.ord) AS refs
      FROM ${s}.manifests m`;
}

/** A subject's referrers ($1 repository, $2 subject, $3 artifact type when `byType`), without their references: an index scan of `manifests_subject` (postgres-plans.peer.test.ts). */
export function referrersSql(s: string, byType: boolean): string {
  return `SELECT m.* FROM ${s}.manifests m WHERE m.repository = $1 AND m.subject = $2${byType ? ' AND m.artifact_type = $3' : ''} ORDER BY m.pushed_at, m.digest`;
}
