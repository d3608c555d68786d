/**
 * Read snapshots on the SQLite store's one connection (store.ts
 * `readSnapshot`). A read transaction (BEGIN, then a first read) pins the
 * WAL snapshot: a `db import` in another process commits meanwhile, and this
 * connection keeps reading the state from before it until COMMIT.
 *
 * The connection is shared by every caller of one store object (`serve`
 * hands one store to concurrent scans), and it has one transaction at a
 * time. So snapshots asked for while one is open join it (counted; the last
 * to end commits): each of them still reads one state throughout, and a
 * snapshot asked for inside another (matchInventory inside the scan engine's)
 * is simply one more. Why not one at a time: telling a nested caller from a
 * concurrent one needs AsyncLocalStorage, whose promise hooks slow every
 * promise of the process on Node 20; and SQLite's snapshots are short (the
 * reads are synchronous: a match never waits on I/O inside one).
 *
 * Writes on the same store object do not mix with a snapshot: an import
 * transaction begun while one is open is refused (TRANSACTION_NESTED, as two
 * transactions are), and a snapshot asked for inside an import transaction
 * reads that transaction's own state (no second BEGIN on the connection).
 *
 * The store keeps memos between calls (sqlite.ts); another process's commit
 * does not clear them. `PRAGMA data_version` changes when another connection
 * committed since it was last read: read at the start of each read
 * transaction, a change clears the memos, so a snapshot never mixes
 * memoised old answers with fresh ones.
 */
import type Database from 'better-sqlite3';

export class ReadSnapshots {
  readonly #db: Database.Database;
  readonly #onDataChanged: () => void;
  readonly #pin: Database.Statement<[]>;
  #dataVersion: number;
  /** Snapshots running on the open read transaction. */
  #open = 0;

  constructor(db: Database.Database, onDataChanged: () => void) {
    this.#db = db;
    this.#onDataChanged = onDataChanged;
    this.#pin = db.prepare<[]>('SELECT count(*) FROM sqlite_schema').pluck();
    this.#dataVersion = this.#readDataVersion();
  }

  #readDataVersion(): number {
    return this.#db.pragma('data_version', { simple: true }) as number;
  }

  /** Whether a read snapshot is open on the connection. */
  get open(): boolean {
    return this.#open > 0;
  }

  /** `fn` inside one read transaction: the open one, or one begun now (`inTransaction`: the import's, as it is). */
  async run<T>(fn: () => Promise<T>, inTransaction: boolean): Promise<T> {
    if (inTransaction) return fn();
    if (this.#open === 0) {
      this.#db.exec('BEGIN');
      try {
        // The first read of a table starts the read transaction and pins the snapshot; data_version is read in it.
        this.#pin.get();
        const version = this.#readDataVersion();
        if (version !== this.#dataVersion) {
          this.#dataVersion = version;
          this.#onDataChanged();
        }
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    }
    this.#open++;
    try {
      return await fn();
    } finally {
      this.#open--;
      if (this.#open === 0 && this.#db.open && this.#db.inTransaction) this.#db.exec('COMMIT');
    }
  }
}
