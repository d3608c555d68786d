/**
 * The PostgreSQL store's side of garbage collection (store-parts.ts
 * `CollectionPart`): which blobs nothing holds, who holds one, claims, claims
 * left behind, the collector's lease, blob sizes, and a project's usage for
 * quotas. A claim first locks the blob's row `FOR UPDATE` and only then, in a
 * new statement (READ COMMITTED takes a new snapshot per statement), checks
 * that nothing links or references it: whichever of a claim and a link locks
 * the row first wins, and the other sees its committed result. Mirrors
 * sqlite-collection.ts.
 */
import type { Digest } from '../../core/index.js';
import { blobRowOf, claimOf, type BlobTableRow } from './content-rows.js';
import { END_OF_TIME, projectRange } from './lifecycle-rules.js';
import { PostgresPart } from './postgres-connection.js';
import type { CollectionPart } from './store-parts.js';
import type { BlobClaim, BlobHolders, BlobRow, UnreferencedQuery } from './store.js';

/** A repository in the project (`$1`) or under it (`$2` ≤ name < `$3`): lifecycle-rules.ts `projectRange`. */
const IN_PROJECT = `(repository = $1 OR (repository >= $2 AND repository < $3))`;

export class PostgresCollection extends PostgresPart implements CollectionPart {
  async unreferencedBlobs(query: UnreferencedQuery = {}): Promise<Digest[]> {
    const s = this.s;
    const { rows } = await this.c.query(
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
    const { rows } = await this.c.query(`SELECT * FROM ${this.s}.blobs WHERE digest = $1`, [digest]);
    const row = rows[0] as BlobTableRow | undefined;
    return row ? blobRowOf(row) : undefined;
  }

  async blobHolders(digest: Digest, limit: number): Promise<BlobHolders> {
    const s = this.s;
    const n = Math.max(0, Math.floor(limit));
    const { rows: links } = await this.c.query(`SELECT repository, linked_at FROM ${s}.blob_links WHERE digest = $1 ORDER BY repository LIMIT $2`, [digest, n + 1]);
    const { rows: manifests } = await this.c.query(
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
    const s = this.s;
    return this.c.transaction(async (q): Promise<BlobClaim | undefined> => {
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
    const s = this.s;
    const sorted = [...new Set(digests)].sort();
    if (sorted.length === 0) return [];
    const { rows } = await this.c.query(
      `INSERT INTO ${s}.blobs (digest, state, epoch, claimed_at) SELECT d, 'deleting', nextval('${s}.blob_epoch'), $2 FROM unnest($1::text[]) AS d
      ON CONFLICT (digest) DO NOTHING RETURNING digest, epoch`,
      [sorted, now],
    );
    return (rows as Array<{ digest: string; epoch: string }>).map((r) => ({ digest: r.digest as Digest, epoch: Number(r.epoch), claimedAt: now })).sort((a, b) => (a.digest < b.digest ? -1 : 1));
  }

  async claimedBlobs(options: { readonly claimedBefore?: string; readonly limit: number }): Promise<BlobClaim[]> {
    const { rows } = await this.c.query(`SELECT * FROM ${this.s}.blobs WHERE state = 'deleting' AND claimed_at < $1 ORDER BY claimed_at, digest LIMIT $2`, [
      options.claimedBefore ?? END_OF_TIME,
      Math.max(0, Math.floor(options.limit)),
    ]);
    return (rows as BlobTableRow[]).map(claimOf);
  }

  async finishClaim(claim: Pick<BlobClaim, 'digest' | 'epoch'>): Promise<boolean> {
    return ((await this.c.query(`DELETE FROM ${this.s}.blobs WHERE digest = $1 AND state = 'deleting' AND epoch = $2`, [claim.digest, claim.epoch])).rowCount ?? 0) > 0;
  }

  async acquireLease(name: string, holder: string, now: string, ttlMs: number): Promise<boolean> {
    const s = this.s;
    const { rowCount } = await this.c.query(
      `INSERT INTO ${s}.leases (name, holder, expires_at) VALUES ($1, $2, $3)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE ${s}.leases.holder = excluded.holder OR ${s}.leases.expires_at <= $4`,
      [name, holder, new Date(Date.parse(now) + ttlMs).toISOString(), now],
    );
    return rowCount === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.c.query(`DELETE FROM ${this.s}.leases WHERE name = $1 AND holder = $2`, [name, holder]);
  }

  async blobsWithoutSize(page: { readonly after?: string; readonly limit: number }): Promise<Digest[]> {
    const { rows } = await this.c.query(`SELECT digest FROM ${this.s}.blobs WHERE state = 'live' AND size IS NULL AND digest > $1 ORDER BY digest LIMIT $2`, [
      page.after ?? '',
      Math.max(0, Math.floor(page.limit)),
    ]);
    return rows.map((r: { digest: string }) => r.digest as Digest);
  }

  async setBlobSize(digest: Digest, size: number): Promise<void> {
    await this.c.query(`UPDATE ${this.s}.blobs SET size = $1 WHERE digest = $2 AND size IS NULL`, [size, digest]);
  }

  async projectUsage(project: string): Promise<number> {
    const s = this.s;
    const range = projectRange(project);
    const { rows } = await this.c.query(
      `SELECT coalesce(sum(b.size), 0)::bigint AS bytes FROM ${s}.blobs b WHERE b.state = 'live' AND b.digest IN (
        SELECT digest FROM ${s}.blob_links WHERE ${IN_PROJECT}
        UNION SELECT digest FROM ${s}.manifests WHERE ${IN_PROJECT}
        UNION SELECT digest FROM ${s}.manifest_refs WHERE ${IN_PROJECT})`,
      [range.project, range.low, range.high],
    );
    return Number((rows[0] as { bytes: string }).bytes);
  }

  async countsInProject(project: string, digest: Digest): Promise<boolean> {
    const s = this.s;
    const range = projectRange(project);
    const { rowCount } = await this.c.query(
      `SELECT 1 WHERE EXISTS (SELECT 1 FROM ${s}.blob_links WHERE digest = $4 AND ${IN_PROJECT})
        OR EXISTS (SELECT 1 FROM ${s}.manifests WHERE digest = $4 AND ${IN_PROJECT})
        OR EXISTS (SELECT 1 FROM ${s}.manifest_refs WHERE digest = $4 AND ${IN_PROJECT})`,
      [range.project, range.low, range.high, digest],
    );
    return rowCount === 1;
  }
}
