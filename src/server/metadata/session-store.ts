/**
 * Sign-in sessions of the web UI (ui/session.ts), kept where every registry
 * process reads them: a store of its own beside the content and identity
 * stores, in the same database, with its own tables and schema version
 * (`session-sqlite.ts`, `session-postgres.ts`), so a restart does not sign
 * everyone out and several processes behind one load balancer share them.
 *
 * A row holds only what a session needs to be checked: the SHA-256 of its
 * id (the id itself, the cookie, is never stored: a copy of the database
 * hands out no usable session), the user's name (their administrator flag
 * and roles are read again at every request), when it began and was last
 * used, when it ends whatever its use, and how long it may sit idle.
 * Bounded: expired rows are purged, and past a cap the oldest go first.
 *
 * Times are milliseconds since the epoch. `MemorySessionStore` is the same
 * contract in memory, for a UI built without a database (tests, embedding).
 *
 * Contract, tested against all three by `test/server/metadata/session-contract.ts`.
 */

export interface UiSessionRecord {
  /** SHA-256 of the session id, base64url. */
  readonly key: string;
  readonly user: string;
  readonly createdAt: number;
  readonly lastSeen: number;
  /** The absolute end: sign-in time plus the lifetime. */
  readonly expiresAt: number;
  /** It ends this long after `lastSeen`. */
  readonly idleMs: number;
}

export interface UiSessionStore {
  /** Adds a session, then drops the oldest past `max` sessions. */
  create(session: UiSessionRecord, max: number): Promise<void>;
  /** The session under `key` when it is live at `now` (before `expiresAt` and within `idleMs` of `lastSeen`). */
  get(key: string, now: number): Promise<UiSessionRecord | undefined>;
  /** Moves `lastSeen` to `at` (never back). */
  touch(key: string, at: number): Promise<void>;
  /** True when there was one. */
  delete(key: string): Promise<boolean>;
  /** Deletes up to `limit` sessions that ended by `now`; answers how many. */
  purgeExpired(now: number, limit: number): Promise<number>;
  count(): Promise<number>;
  close(): Promise<void>;
}

export function isLive(session: UiSessionRecord, now: number): boolean {
  return now < session.expiresAt && now - session.lastSeen < session.idleMs;
}

export class MemorySessionStore implements UiSessionStore {
  readonly #rows = new Map<string, UiSessionRecord>();

  async create(session: UiSessionRecord, max: number): Promise<void> {
    this.#rows.delete(session.key);
    this.#rows.set(session.key, session);
    // Insertion order is creation order: the first keys are the oldest.
    for (const key of this.#rows.keys()) {
      if (this.#rows.size <= max) break;
      this.#rows.delete(key);
    }
  }

  async get(key: string, now: number): Promise<UiSessionRecord | undefined> {
    const row = this.#rows.get(key);
    return row && isLive(row, now) ? row : undefined;
  }

  async touch(key: string, at: number): Promise<void> {
    const row = this.#rows.get(key);
    if (row && at > row.lastSeen) this.#rows.set(key, { ...row, lastSeen: at });
  }

  async delete(key: string): Promise<boolean> {
    return this.#rows.delete(key);
  }

  async purgeExpired(now: number, limit: number): Promise<number> {
    let removed = 0;
    for (const [key, row] of this.#rows) {
      if (removed >= limit) break;
      if (!isLive(row, now)) removed += this.#rows.delete(key) ? 1 : 0;
    }
    return removed;
  }

  async count(): Promise<number> {
    return this.#rows.size;
  }

  async close(): Promise<void> {}
}
