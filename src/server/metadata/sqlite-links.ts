/**
 * The SQLite store's blob links (store-parts.ts `LinkPart`): reservations,
 * links and mounts, which make a blob's row live and touched or are refused
 * on a claimed one, and the loose links garbage collection removes. A write
 * that checks and then changes runs as an IMMEDIATE transaction, so against
 * another process on the same file the write lock is taken before the check
 * is read. Mirrors postgres-links.ts.
 */
import type Database from 'better-sqlite3';
import type { Digest } from '../../core/index.js';
import { SqlitePart, type SqliteConnection } from './sqlite-connection.js';
import type { LinkPart } from './store-parts.js';
import type { BlobReservation, LinkOptions } from './store.js';

export class SqliteLinks extends SqlitePart<ReturnType<typeof prepare>> implements LinkPart {
  constructor(connection: SqliteConnection) {
    super(connection, prepare);
  }

  async reserveBlob(digest: Digest, now: string): Promise<BlobReservation> {
    return this.db.transaction((): BlobReservation => {
      const row = this.c.blob(digest);
      if (row === undefined) {
        const epoch = this.c.nextEpoch();
        this.c.insertBlob({ digest, state: 'live', epoch, size: null, touched_at: now, claimed_at: null });
        return { state: 'live', epoch };
      }
      if (row.state === 'deleting') return { state: 'deleting', epoch: Number(row.epoch), claimedAt: row.claimed_at ?? '' };
      this.c.touchBlob(digest, now, undefined);
      return { state: 'live', epoch: Number(row.epoch) };
    }).immediate();
  }

  async linkBlob(repository: string, digest: Digest, options: LinkOptions = {}): Promise<void> {
    const now = options.now ?? new Date().toISOString();
    this.db.transaction(() => {
      if (options.reservation !== undefined) this.c.requireReservation(digest, options.reservation);
      this.c.addRepository(repository, now);
      this.c.touchForLink(digest, now, options.size);
      this.s.link.run(repository, digest, now);
    }).immediate();
  }

  async mountBlob(from: string, to: string, digest: Digest, now = new Date().toISOString()): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.c.isLinked(from, digest)) return false;
      this.c.addRepository(to, now);
      this.c.touchForLink(digest, now, undefined);
      this.s.link.run(to, digest, now);
      return true;
    }).immediate();
  }

  async isBlobLinked(repository: string, digest: Digest): Promise<boolean> {
    return this.c.isLinked(repository, digest);
  }

  async refreshLink(repository: string, digest: Digest, now: string, staleBefore: string): Promise<boolean> {
    // The common case, a fresh link, is a read: no write lock for a pull.
    const link = this.s.linkTime.get(repository, digest);
    if (link === undefined) return false;
    if ((link.linked_at ?? '') >= staleBefore) return true;
    return this.db.transaction(() => {
      this.s.refreshLink.run(now, repository, digest, staleBefore);
      return this.c.isLinked(repository, digest);
    }).immediate();
  }

  async looseLinks(repository: string, linkedBefore: string, page: { readonly after?: string; readonly limit?: number } = {}): Promise<Digest[]> {
    const limit = page.limit === undefined ? -1 : Math.max(0, Math.floor(page.limit));
    return this.s.looseLinks.all({ repository, before: linkedBefore, after: page.after ?? '', limit }).map((r) => r.digest as Digest);
  }

  async unlinkIfLoose(repository: string, digest: Digest, linkedBefore: string): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.s.unlinkIfLoose.run({ repository, digest, before: linkedBefore }).changes > 0;
      if (changed) this.c.dropEmptyRepository(repository);
      return changed;
    }).immediate();
  }

  async unlinkBlob(repository: string, digest: Digest): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.s.unlink.run(repository, digest).changes > 0;
      this.c.dropEmptyRepository(repository);
      return changed;
    })();
  }
}

function prepare(db: Database.Database) {
  return {
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
    unlink: db.prepare('DELETE FROM blob_links WHERE repository = ? AND digest = ?'),
  };
}
