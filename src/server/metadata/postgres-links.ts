/**
 * The PostgreSQL store's blob links (store-parts.ts `LinkPart`): reservations,
 * links and mounts, which upsert the blob's row live and touched (a row lock,
 * in digest order) or are refused on a claimed one, and the loose links
 * garbage collection removes. Writes hold the repository's advisory lock, two
 * repositories' in name order, so no manifest of the repository can start
 * referencing a blob while its link is judged loose. Mirrors sqlite-links.ts.
 */
import type { Digest } from '../../core/index.js';
import { beingCollected } from './lifecycle-rules.js';
import { PostgresPart } from './postgres-connection.js';
import type { LinkPart } from './store-parts.js';
import type { BlobReservation, LinkOptions } from './store.js';

export class PostgresLinks extends PostgresPart implements LinkPart {
  async reserveBlob(digest: Digest, now: string): Promise<BlobReservation> {
    const s = this.s;
    const { rows } = await this.c.query(
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
    await this.c.transaction(async (q) => {
      await this.c.lockRepository(q, repository);
      const [row] = await this.c.touchForLink(q, [digest], now, options.size === undefined ? undefined : new Map([[digest, options.size]]));
      if (options.reservation !== undefined && row?.epoch !== options.reservation) throw beingCollected(digest);
      await q(`INSERT INTO ${this.s}.repositories (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [repository, now]);
      await q(`INSERT INTO ${this.s}.blob_links (repository, digest, linked_at) VALUES ($1, $2, $3) ON CONFLICT (repository, digest) DO UPDATE SET linked_at = excluded.linked_at`, [
        repository,
        digest,
        now,
      ]);
    });
  }

  async mountBlob(from: string, to: string, digest: Digest, now = new Date().toISOString()): Promise<boolean> {
    const s = this.s;
    return this.c.transaction(async (q) => {
      // Both repositories' locks, in name order (the lock order every writer of two repositories keeps).
      for (const repository of [...new Set([from, to])].sort()) await this.c.lockRepository(q, repository);
      if ((await q(`SELECT 1 FROM ${s}.blob_links WHERE repository = $1 AND digest = $2`, [from, digest])).rowCount !== 1) return false;
      await this.c.touchForLink(q, [digest], now);
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
    return (await this.c.query(`SELECT 1 FROM ${this.s}.blob_links WHERE repository = $1 AND digest = $2`, [repository, digest])).rowCount === 1;
  }

  async refreshLink(repository: string, digest: Digest, now: string, staleBefore: string): Promise<boolean> {
    const s = this.s;
    // The common case, a fresh link, is one read.
    const { rows } = await this.c.query(`SELECT linked_at FROM ${s}.blob_links WHERE repository = $1 AND digest = $2`, [repository, digest]);
    const link = rows[0] as { linked_at: string | null } | undefined;
    if (link === undefined) return false;
    if ((link.linked_at ?? '') >= staleBefore) return true;
    return this.c.transaction(async (q) => {
      await q(`UPDATE ${s}.blob_links SET linked_at = $3 WHERE repository = $1 AND digest = $2 AND coalesce(linked_at, '') < $4`, [repository, digest, now, staleBefore]);
      // A new statement: a loose-link removal that committed before our update is seen, one after it found our refresh.
      return (await q(`SELECT 1 FROM ${s}.blob_links WHERE repository = $1 AND digest = $2`, [repository, digest])).rowCount === 1;
    });
  }

  async looseLinks(repository: string, linkedBefore: string, page: { readonly after?: string; readonly limit?: number } = {}): Promise<Digest[]> {
    const s = this.s;
    const { rows } = await this.c.query(
      `SELECT l.digest AS digest FROM ${s}.blob_links l WHERE l.repository = $1 AND coalesce(l.linked_at, '') < $2 AND l.digest > $3
        AND NOT EXISTS (SELECT 1 FROM ${s}.manifest_refs r WHERE r.repository = $1 AND r.digest = l.digest)
        AND NOT EXISTS (SELECT 1 FROM ${s}.manifests m WHERE m.repository = $1 AND m.digest = l.digest)
      ORDER BY l.digest LIMIT $4`,
      [repository, linkedBefore, page.after ?? '', page.limit === undefined ? null : Math.max(0, Math.floor(page.limit))],
    );
    return rows.map((r: { digest: string }) => r.digest as Digest);
  }

  async unlinkIfLoose(repository: string, digest: Digest, linkedBefore: string): Promise<boolean> {
    const s = this.s;
    return this.c.transaction(async (q) => {
      // Under the repository's lock no manifest of it can start referencing the blob while we decide.
      await this.c.lockRepository(q, repository);
      const { rowCount } = await q(
        `DELETE FROM ${s}.blob_links WHERE repository = $1 AND digest = $2 AND coalesce(linked_at, '') < $3
          AND NOT EXISTS (SELECT 1 FROM ${s}.manifest_refs r WHERE r.repository = $1 AND r.digest = $2)
          AND NOT EXISTS (SELECT 1 FROM ${s}.manifests m WHERE m.repository = $1 AND m.digest = $2)`,
        [repository, digest, linkedBefore],
      );
      if ((rowCount ?? 0) > 0) await this.c.dropEmptyRepository(q, repository);
      return (rowCount ?? 0) > 0;
    });
  }

  async unlinkBlob(repository: string, digest: Digest): Promise<boolean> {
    return this.c.transaction(async (q) => {
      await this.c.lockRepository(q, repository);
      const changed = ((await q(`DELETE FROM ${this.s}.blob_links WHERE repository = $1 AND digest = $2`, [repository, digest])).rowCount ?? 0) > 0;
      await this.c.dropEmptyRepository(q, repository);
      return changed;
    });
  }
}
