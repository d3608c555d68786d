/**
 * The SQLite store's side of garbage collection (store-parts.ts
 * `CollectionPart`): which blobs nothing holds, who holds one, claims (taken
 * only on an unheld row untouched since the cutoff, in the IMMEDIATE
 * transaction that checks it), claims left behind, the collector's lease,
 * blob sizes, and a project's usage for quotas. Mirrors postgres-collection.ts.
 */
import type Database from 'better-sqlite3';
import type { Digest } from '../../core/index.js';
import { blobRowOf, claimOf, type BlobTableRow } from './content-rows.js';
import { END_OF_TIME, projectRange } from './lifecycle-rules.js';
import { SqlitePart, type SqliteConnection } from './sqlite-connection.js';
import type { CollectionPart } from './store-parts.js';
import type { BlobClaim, BlobHolders, BlobRow, UnreferencedQuery } from './store.js';

export class SqliteCollection extends SqlitePart<ReturnType<typeof prepare>> implements CollectionPart {
  constructor(connection: SqliteConnection) {
    super(connection, prepare);
  }

  async unreferencedBlobs(query: UnreferencedQuery = {}): Promise<Digest[]> {
    const limit = query.limit === undefined ? -1 : Math.max(0, Math.floor(query.limit));
    return this.s.unreferenced.all({ after: query.after ?? '', before: query.touchedBefore ?? END_OF_TIME, limit }).map((r) => r.digest as Digest);
  }

  async blobRow(digest: Digest): Promise<BlobRow | undefined> {
    const row = this.c.blob(digest);
    return row ? blobRowOf(row) : undefined;
  }

  async blobHolders(digest: Digest, limit: number): Promise<BlobHolders> {
    const n = Math.max(0, Math.floor(limit));
    const links = this.s.linksOf.all(digest, n + 1).map((r) => ({ repository: r.repository, ...(r.linked_at !== null ? { linkedAt: r.linked_at } : {}) }));
    const manifests = this.s.holdersOf.all({ digest, limit: n + 1 }).map((r) => ({ repository: r.repository, digest: r.manifest as Digest }));
    return { links: links.slice(0, n), manifests: manifests.slice(0, n), truncated: links.length > n || manifests.length > n };
  }

  async claimBlob(digest: Digest, options: { readonly touchedBefore: string; readonly now: string }): Promise<BlobClaim | undefined> {
    return this.db.transaction((): BlobClaim | undefined => {
      const row = this.c.blob(digest);
      if (row === undefined || row.state !== 'live' || (row.touched_at ?? '') >= options.touchedBefore) return undefined;
      if (this.s.blobHeld.get({ digest }) !== undefined) return undefined;
      const epoch = this.c.nextEpoch();
      this.s.claim.run({ digest, epoch, now: options.now });
      return { digest, epoch, claimedAt: options.now, ...(row.size !== null ? { size: Number(row.size) } : {}) };
    }).immediate();
  }

  async claimOrphans(digests: readonly Digest[], now: string): Promise<BlobClaim[]> {
    return this.db.transaction(() => {
      const claims: BlobClaim[] = [];
      for (const digest of digests) {
        if (this.c.blob(digest) !== undefined) continue;
        const epoch = this.c.nextEpoch();
        this.c.insertBlob({ digest, state: 'deleting', epoch, size: null, touched_at: null, claimed_at: now });
        claims.push({ digest, epoch, claimedAt: now });
      }
      return claims;
    }).immediate();
  }

  async claimedBlobs(options: { readonly claimedBefore?: string; readonly limit: number }): Promise<BlobClaim[]> {
    return this.s.claimed.all(options.claimedBefore ?? END_OF_TIME, Math.max(0, Math.floor(options.limit))).map(claimOf);
  }

  async finishClaim(claim: Pick<BlobClaim, 'digest' | 'epoch'>): Promise<boolean> {
    return this.s.finishClaim.run(claim.digest, claim.epoch).changes > 0;
  }

  async acquireLease(name: string, holder: string, now: string, ttlMs: number): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.s.lease.get(name);
      if (row !== undefined && row.holder !== holder && row.expires_at > now) return false;
      this.s.setLease.run(name, holder, new Date(Date.parse(now) + ttlMs).toISOString());
      return true;
    }).immediate();
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.s.releaseLease.run(name, holder);
  }

  async blobsWithoutSize(page: { readonly after?: string; readonly limit: number }): Promise<Digest[]> {
    return this.s.withoutSize.all(page.after ?? '', Math.max(0, Math.floor(page.limit))).map((r) => r.digest as Digest);
  }

  async setBlobSize(digest: Digest, size: number): Promise<void> {
    this.s.setSize.run(size, digest);
  }

  async projectUsage(project: string): Promise<number> {
    return this.s.projectUsage.get(projectRange(project))?.bytes ?? 0;
  }

  async countsInProject(project: string, digest: Digest): Promise<boolean> {
    return this.s.countsInProject.get({ ...projectRange(project), digest }) !== undefined;
  }
}

function prepare(db: Database.Database) {
  const inProject = (column: string): string => `(${column} = @project OR (${column} >= @low AND ${column} < @high))`;
  return {
    unreferenced: db.prepare<{ after: string; before: string; limit: number }, { digest: string }>(`SELECT b.digest AS digest FROM blobs b
      WHERE b.state = 'live' AND b.digest > @after AND coalesce(b.touched_at, '') < @before
        AND NOT EXISTS (SELECT 1 FROM blob_links l WHERE l.digest = b.digest)
        AND NOT EXISTS (SELECT 1 FROM manifest_refs r WHERE r.digest = b.digest)
        AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = b.digest)
      ORDER BY b.digest LIMIT @limit`),
    linksOf: db.prepare<[string, number], { repository: string; linked_at: string | null }>('SELECT repository, linked_at FROM blob_links WHERE digest = ? ORDER BY repository LIMIT ?'),
    holdersOf: db.prepare<{ digest: string; limit: number }, { repository: string; manifest: string }>(`
      SELECT repository, manifest FROM manifest_refs WHERE digest = @digest
      UNION SELECT repository, digest AS manifest FROM manifests WHERE digest = @digest
      ORDER BY repository, manifest LIMIT @limit`),
    blobHeld: db.prepare<{ digest: string }, { one: number }>(`SELECT 1 AS one WHERE
      EXISTS (SELECT 1 FROM blob_links WHERE digest = @digest) OR EXISTS (SELECT 1 FROM manifest_refs WHERE digest = @digest)
      OR EXISTS (SELECT 1 FROM manifests WHERE digest = @digest)`),
    claim: db.prepare("UPDATE blobs SET state = 'deleting', epoch = @epoch, claimed_at = @now WHERE digest = @digest"),
    claimed: db.prepare<[string, number], BlobTableRow>("SELECT * FROM blobs WHERE state = 'deleting' AND claimed_at < ? ORDER BY claimed_at, digest LIMIT ?"),
    finishClaim: db.prepare("DELETE FROM blobs WHERE digest = ? AND state = 'deleting' AND epoch = ?"),
    lease: db.prepare<[string], { holder: string; expires_at: string }>('SELECT holder, expires_at FROM leases WHERE name = ?'),
    setLease: db.prepare(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`),
    releaseLease: db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?'),
    withoutSize: db.prepare<[string, number], { digest: string }>("SELECT digest FROM blobs WHERE state = 'live' AND size IS NULL AND digest > ? ORDER BY digest LIMIT ?"),
    setSize: db.prepare('UPDATE blobs SET size = ? WHERE digest = ? AND size IS NULL'),
    projectUsage: db.prepare<{ project: string; low: string; high: string }, { bytes: number }>(`
      SELECT coalesce(sum(b.size), 0) AS bytes FROM blobs b WHERE b.state = 'live' AND b.digest IN (
        SELECT digest FROM blob_links WHERE ${inProject('repository')}
        UNION SELECT digest FROM manifests WHERE ${inProject('repository')}
        UNION SELECT digest FROM manifest_refs WHERE ${inProject('repository')})`),
    countsInProject: db.prepare<{ project: string; low: string; high: string; digest: string }, { one: number }>(`SELECT 1 AS one WHERE
      EXISTS (SELECT 1 FROM blob_links WHERE digest = @digest AND ${inProject('repository')})
      OR EXISTS (SELECT 1 FROM manifests WHERE digest = @digest AND ${inProject('repository')})
      OR EXISTS (SELECT 1 FROM manifest_refs WHERE digest = @digest AND ${inProject('repository')})`),
  };
}
