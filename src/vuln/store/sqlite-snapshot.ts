/**
 * Read snapshots on the SQLite store's one connection (store.ts
 * `readSnapshot`). A read transaction (BEGIN, then a first read) pins the
 * WAL snapshot: a `db import` in another process commits meanwhile, and this
 * connection keeps reading the state from before it until COMMIT.
 *
 * The connection is shared by every caller of one store object (`serve`
 * hands one store to concurrent scans), and better-sqlite3 has one
 * transaction per connection: a second caller's BEGIN would fail, and its
 * reads would silently run inside the first caller's snapshot. So the
 * connection is taken in turns: one snapshot or one import transaction at a
 * time, the others wait (FIFO). That costs no throughput: better-sqlite3
 * is synchronous, so a match on SQLite never waits on I/O inside its
 * snapshot and two of them could not run at once anyway. A snapshot asked
 * for inside a turn already held (matchInventory inside the scan engine's
 * snapshot, or a read inside an import's transaction) runs in that turn
 * (AsyncLocalStorage tells the nested caller from a concurrent one), so
 * nesting never deadlocks.
 *
 * The store keeps memos between calls (sqlite.ts); another process's commit
 * does not clear them. `PRAGMA data_version` changes when another connection
 * committed since it was last read: read at the start of each snapshot, a
 * change clears the memos, so a snapshot never mixes memoised old answers
 * with fresh ones.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';

export class ConnectionTurns {
  readonly #db: Database.Database;
  readonly #onDataChanged: () => void;
  readonly #pin: Database.Statement<[]>;
  readonly #holding = new AsyncLocalStorage<true>();
  #tail: Promise<void> = Promise.resolve();
  #dataVersion: number;

  constructor(db: Database.Database, onDataChanged: () => void) {
    this.#db = db;
    this.#onDataChanged = onDataChanged;
    this.#pin = db.prepare<[]>('SELECT count(*) FROM sqlite_schema').pluck();
    this.#dataVersion = this.#readDataVersion();
  }

  #readDataVersion(): number {
    return this.#db.pragma('data_version', { simple: true }) as number;
  }

  /** Whether the caller runs inside a turn (a snapshot or an import transaction) of this connection. */
  get held(): boolean {
    return this.#holding.getStore() === true;
  }

  /** Runs `fn` when the connection is free, alone on it (or at once, inside the caller's own turn). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.held) return fn();
    const before = this.#tail;
    let release = (): void => undefined;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    try {
      await before;
      return await this.#holding.run(true, fn);
    } finally {
      release();
    }
  }

  /** `fn` inside one read transaction on the connection, in its turn. */
  snapshot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.held) return fn();
    return this.exclusive(async () => {
      this.#db.exec('BEGIN');
      try {
        // The first read of a table starts the read transaction and pins the snapshot; data_version is read in it.
        this.#pin.get();
        const version = this.#readDataVersion();
        if (version !== this.#dataVersion) {
          this.#dataVersion = version;
          this.#onDataChanged();
        }
        return await fn();
      } finally {
        if (this.#db.inTransaction) this.#db.exec('COMMIT');
      }
    });
  }
}
