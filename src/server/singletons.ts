/**
 * Jobs that must run on one process at a time however many `portcullis
 * serve` processes share the registry: scheduled garbage collection and
 * retention, the purge of abandoned uploads, the scheduled pull of the
 * advisory database. Each scheduled tick asks `run(job, work)`: the work
 * runs when this process takes the job's lock, and is skipped (logged at
 * debug as `singleton` `busy`) when another process holds it; that process
 * does the work, and the next tick asks again.
 *
 * The lock comes from the metadata store's database: on PostgreSQL a
 * session-level advisory lock on a connection of its own
 * (metadata/singleton-postgres.ts), released by the server the moment that
 * connection ends, so a holder killed with `kill -9` frees its jobs for the
 * next tick of another process; with SQLite (one process) a lock in this
 * process. Within a process a job never runs twice at once either (a
 * PostgreSQL session may take its own lock again, so that is checked here).
 */
import type { RegistryLog } from './log.js';

/** Where the locks are: try to take one (false when another process holds it), give it back. */
export interface ExclusiveLocks {
  tryLock(name: string): Promise<boolean>;
  unlock(name: string): Promise<void>;
  close(): Promise<void>;
}

/** One process alone: every lock is free unless this process holds it (the in-process check does that). */
export const localLocks: ExclusiveLocks = {
  tryLock: async () => true,
  unlock: async () => undefined,
  close: async () => undefined,
};

export type SingletonJob = 'gc' | 'upload-purge' | 'db-pull';

export class Singletons {
  readonly #locks: ExclusiveLocks;
  readonly #log: RegistryLog;
  readonly #held = new Set<string>();
  /** Awaited once the lock is taken, before the work (tests: hold the job until released). */
  readonly #gate: ((job: SingletonJob) => Promise<void>) | undefined;

  constructor(locks: ExclusiveLocks, log: RegistryLog, gate?: (job: SingletonJob) => Promise<void>) {
    this.#locks = locks;
    this.#log = log;
    this.#gate = gate;
  }

  /**
   * Runs `work` under the job's lock and returns true; false, without running it, when another process or run
   * holds it. `scope` narrows the lock (the database pull's is per host and file).
   */
  async run(job: SingletonJob, work: () => Promise<unknown>, scope?: string): Promise<boolean> {
    const name = scope === undefined ? job : `${job}:${scope}`;
    if (this.#held.has(name)) return false;
    this.#held.add(name);
    try {
      if (!(await this.#locks.tryLock(name))) {
        this.#log.debug({ event: 'singleton', job, state: 'busy' }, `${job}: another process runs it now`);
        return false;
      }
      try {
        this.#log.debug({ event: 'singleton', job, state: 'running' }, `${job}: this process runs it`);
        await this.#gate?.(job);
        await work();
        return true;
      } finally {
        await this.#locks.unlock(name).catch((e: unknown) => this.#log.warn({ event: 'singleton', job, state: 'unlock-failed', err: e }, `${job}: cannot give its lock back (it goes with the connection)`));
      }
    } finally {
      this.#held.delete(name);
    }
  }

  close(): Promise<void> {
    return this.#locks.close();
  }
}
