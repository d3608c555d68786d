/**
 * The SQLite store's connection and the row operations its parts share
 * (store-parts.ts): blob rows and their epochs (a link or a reference makes
 * the row live and touched, and refuses a claimed one), repository rows
 * (created by their first link or manifest, dropped with their last, their
 * version bumped by every change to manifests or tags), and the manifest and
 * tag rows both the manifest and the retention parts change. better-sqlite3
 * is synchronous: each part's method is one transaction on `db` that cannot
 * interleave with another in this process. Mirrors postgres-connection.ts.
 */
import type Database from 'better-sqlite3';
import type { Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';
import { recordOf, type BlobTableRow, type ManifestRow, type TagRow } from './content-rows.js';
import { beingCollected } from './lifecycle-rules.js';
import type { ManifestRecord } from './store.js';

export class SqliteConnection {
  readonly db: Database.Database;
  readonly #s: ReturnType<typeof prepare>;

  constructor(db: Database.Database) {
    this.db = db;
    this.#s = prepare(db);
  }

  blob(digest: string): BlobTableRow | undefined {
    return this.#s.blob.get(digest);
  }

  nextEpoch(): number {
    const row = this.#s.nextEpoch.get();
    if (row === undefined) throw new ServeError('INTERNAL', 'registry metadata has no blob epoch counter');
    return row.value;
  }

  insertBlob(row: { digest: string; state: 'live' | 'deleting'; epoch: number; size: number | null; touched_at: string | null; claimed_at: string | null }): void {
    this.#s.insertBlob.run(row);
  }

  touchBlob(digest: string, now: string, size: number | undefined): void {
    this.#s.touchBlob.run({ digest, now, size: size ?? null });
  }

  /** Inside a transaction: the blob's row is live (created when missing) and touched now; UNAVAILABLE when it is claimed. */
  touchForLink(digest: string, now: string, size: number | undefined): void {
    const row = this.blob(digest);
    if (row === undefined) {
      this.insertBlob({ digest, state: 'live', epoch: this.nextEpoch(), size: size ?? null, touched_at: now, claimed_at: null });
      return;
    }
    if (row.state === 'deleting') throw beingCollected(digest);
    this.touchBlob(digest, now, size);
  }

  /** Inside a transaction: the blob is still live at the epoch the push reserved. */
  requireReservation(digest: string, epoch: number): void {
    const row = this.blob(digest);
    if (row === undefined || row.state !== 'live' || row.epoch !== epoch) throw beingCollected(digest);
  }

  isLinked(repository: string, digest: string): boolean {
    return this.#s.isLinked.get(repository, digest) !== undefined;
  }

  addRepository(name: string, createdAt: string): void {
    this.#s.addRepository.run(name, createdAt);
  }

  repositoryVersion(name: string): number | undefined {
    return this.#s.repositoryVersion.get(name)?.version;
  }

  bumpVersion(name: string): void {
    this.#s.bumpVersion.run(name);
  }

  /** Drops the repository's row once nothing links a blob into it and it holds no manifest. */
  dropEmptyRepository(name: string): void {
    this.#s.dropEmptyRepository.run({ name });
  }

  deleteRefs(repository: string, manifest: string): void {
    this.#s.deleteRefs.run(repository, manifest);
  }

  /** Deletes the manifest with its references and the tags pointing at it; false when it was not there. */
  removeManifest(repository: string, digest: string): boolean {
    if (this.#s.deleteManifest.run(repository, digest).changes === 0) return false;
    this.deleteRefs(repository, digest);
    this.#s.deleteTagsOf.run(repository, digest);
    return true;
  }

  /** Starts the manifest's untagged clock at `now` unless a tag still points at it. */
  markUntagged(repository: string, digest: string, now: string): void {
    this.#s.markUntagged.run({ repository, digest, now });
  }

  tagsOf(repository: string): TagRow[] {
    return this.#s.tagsOf.all(repository);
  }

  /** The record of a manifest row, with its references read in order. */
  record(row: ManifestRow): ManifestRecord {
    return recordOf(row, this.#s.refs.all(row.repository, row.digest).map((r) => r.digest as Digest));
  }
}

/**
 * A part of the SQLite store (store-parts.ts): the shared connection `c`, its
 * database `db`, and `s`, the statements only this part runs, prepared once.
 */
export abstract class SqlitePart<Statements> {
  protected readonly c: SqliteConnection;
  protected readonly db: Database.Database;
  protected readonly s: Statements;

  protected constructor(connection: SqliteConnection, prepare: (db: Database.Database) => Statements) {
    this.c = connection;
    this.db = connection.db;
    this.s = prepare(connection.db);
  }
}

function prepare(db: Database.Database) {
  return {
    blob: db.prepare<[string], BlobTableRow>('SELECT * FROM blobs WHERE digest = ?'),
    nextEpoch: db.prepare<[], { value: number }>("UPDATE counters SET value = value + 1 WHERE name = 'blob_epoch' RETURNING value"),
    insertBlob: db.prepare(`INSERT INTO blobs (digest, state, epoch, size, touched_at, claimed_at)
      VALUES (@digest, @state, @epoch, @size, @touched_at, @claimed_at)`),
    touchBlob: db.prepare('UPDATE blobs SET touched_at = @now, size = coalesce(size, @size) WHERE digest = @digest'),
    isLinked: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM blob_links WHERE repository = ? AND digest = ?'),
    addRepository: db.prepare('INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    repositoryVersion: db.prepare<[string], { version: number }>('SELECT version FROM repositories WHERE name = ?'),
    bumpVersion: db.prepare('UPDATE repositories SET version = version + 1 WHERE name = ?'),
    dropEmptyRepository: db.prepare(`DELETE FROM repositories WHERE name = @name
      AND NOT EXISTS (SELECT 1 FROM blob_links WHERE repository = @name) AND NOT EXISTS (SELECT 1 FROM manifests WHERE repository = @name)`),
    deleteManifest: db.prepare('DELETE FROM manifests WHERE repository = ? AND digest = ?'),
    deleteRefs: db.prepare('DELETE FROM manifest_refs WHERE repository = ? AND manifest = ?'),
    deleteTagsOf: db.prepare('DELETE FROM tags WHERE repository = ? AND digest = ?'),
    markUntagged: db.prepare(`UPDATE manifests SET untagged_at = @now WHERE repository = @repository AND digest = @digest
      AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository = @repository AND t.digest = @digest)`),
    tagsOf: db.prepare<[string], TagRow>('SELECT * FROM tags WHERE repository = ? ORDER BY tag'),
    refs: db.prepare<[string, string], { digest: string }>('SELECT digest FROM manifest_refs WHERE repository = ? AND manifest = ? ORDER BY ord'),
  };
}
