/**
 * The scan queue, shared by every `portcullis serve` process of one
 * registry: API processes add jobs (an image to scan, by manifest digest),
 * workers lease them. A store of its own beside the content store, in the
 * same database, with its own tables and schema version:
 * `scan-queue-sqlite.ts` (the single-process default, in `registry.sqlite`)
 * and `scan-queue-postgres.ts` (several processes: `FOR UPDATE SKIP LOCKED`,
 * so two workers never lease one job). `scan-queue-memory.ts` is the same
 * contract in memory, for a scan service given no store (tests, tools).
 *
 * Leases: `claim` marks a job `running` under a random lease until a
 * deadline and counts one attempt; the worker renews the deadline while it
 * scans (`renew`, its heartbeat) and removes the job when the result is
 * saved (`finish`). A worker that dies (`kill -9`, a lost machine) stops
 * renewing; once its deadline passes the job is leased again by another
 * worker, one attempt more. The worker that leases a job past its allowed
 * attempts records the scan as failed instead of running it (scan/queue.ts):
 * failed is refused by the pull policy, fail closed.
 *
 * A digest is in the queue at most once: adding one queued or running
 * changes nothing. Nothing is lost by that: a running scan reads the same
 * bytes a second one would, and one that ran with an advisory database
 * replaced meanwhile is queued again by the next database check (its
 * result names the old database).
 *
 * Times are ISO 8601 strings (`toISOString`), compared as text. Contract,
 * tested against all three by `test/server/metadata/scan-queue-contract.ts`.
 */
import type { Digest } from '../../core/index.js';

/** A leased job, as `claim` returns it. */
export interface ScanJob {
  readonly digest: Digest;
  /** A repository holding the manifest when it was queued. */
  readonly repository: string;
  /** Leases taken so far, this one included. */
  readonly attempts: number;
  readonly lease: string;
  readonly leaseUntil: string;
}

export interface ScanQueueCounts {
  /** Waiting for a worker (a job whose worker's lease ran out counts here again). */
  readonly queued: number;
  /** Leased by a worker whose lease still runs. */
  readonly running: number;
}

export interface ScanQueueStore {
  /** Queues the image unless it is queued or running already; true when this call queued it. */
  enqueue(digest: Digest, repository: string, now: string): Promise<boolean>;
  /** Leases up to `limit` jobs, oldest first: queued ones, and running ones whose lease ran out by `now`; each counts an attempt. */
  claim(lease: string, now: string, leaseUntil: string, limit: number): Promise<ScanJob[]>;
  /** Moves the lease's deadline; false when the lease is lost (another worker took the job over). */
  renew(digest: Digest, lease: string, leaseUntil: string): Promise<boolean>;
  /** The job is done under this lease: removed. False when the lease was lost (another worker took it over). */
  finish(digest: Digest, lease: string): Promise<boolean>;
  counts(now: string): Promise<ScanQueueCounts>;
  close(): Promise<void>;
}

/** The state of one row, as the SQL stores keep it. */
export interface ScanJobRow {
  digest: string;
  repository: string;
  attempts: number;
  lease: string | null;
  lease_until: string | null;
}

export function jobOf(row: ScanJobRow): ScanJob {
  return { digest: row.digest as Digest, repository: row.repository, attempts: Number(row.attempts), lease: row.lease ?? '', leaseUntil: row.lease_until ?? '' };
}
