/**
 * The scan service's side of the shared scan queue (metadata/scan-queue-store.ts):
 * adds jobs, and, in a process that takes scans (role `all` or `worker`),
 * leases them up to the service's concurrency and keeps each lease alive
 * while its scan runs. Apart from service.ts because the lease protocol —
 * claim, heartbeat at a third of the lease's time to live, finish under the
 * lease — is its own job, while service.ts decides what a scan is.
 *
 * Jobs arrive from this process (`add` claims at once) and from others (a
 * poll every `pollIntervalMs`). A worker killed mid-scan stops renewing;
 * once its lease runs out another worker's claim takes the job over with one
 * attempt more, and the service fails a job leased past its allowed attempts
 * (fail closed). The queue's counts, read from the store at every poll, are
 * what the metrics show: the whole registry's queue, not this process's.
 */
import { randomUUID } from 'node:crypto';
import type { Digest } from '../../core/index.js';
import type { RegistryLog } from '../log.js';
import type { ScanJob, ScanQueueCounts, ScanQueueStore } from '../metadata/scan-queue-store.js';

export const DEFAULT_LEASE_TTL_MS = 60_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_POLL_INTERVAL_MS = 1_000;

export interface JobQueueOptions {
  readonly store: ScanQueueStore;
  /** Take jobs (false: only add them, the `api` role). */
  readonly work: boolean;
  readonly concurrency: number;
  readonly leaseTtlMs: number;
  readonly pollIntervalMs: number;
  /** Whether jobs may be taken now (the service has an advisory database); polled again at every look. */
  readonly ready: () => boolean;
  /** Runs one leased job; must not throw (the service records failures itself). */
  readonly run: (job: ScanJob) => Promise<void>;
  readonly log: () => RegistryLog;
  readonly now: () => Date;
}

export class JobQueue {
  readonly #o: JobQueueOptions;
  readonly #running = new Set<Digest>();
  #adding = 0;
  /** The look in flight (a claim may be on its way back): close waits for it, then for what it started. */
  #pumping: Promise<void> | undefined;
  #pumpAgain = false;
  #closed = false;
  /** Claims only once started: the service opens its advisory database first. */
  #started = false;
  #timer: NodeJS.Timeout | undefined;
  #counts: ScanQueueCounts = { queued: 0, running: 0 };
  #idleWaiters: Array<() => void> = [];
  readonly #finished = new Set<Promise<void>>();

  constructor(options: JobQueueOptions) {
    this.#o = options;
  }

  /** Digests this process is scanning now. */
  get running(): ReadonlySet<Digest> {
    return this.#running;
  }

  /** The registry's queue at the last look (waiting, and leased by a live worker), plus adds in flight here. */
  get counts(): ScanQueueCounts {
    return { queued: this.#counts.queued + this.#adding, running: Math.max(this.#counts.running, this.#running.size) };
  }

  /** Polls for work (and the counts) every `pollIntervalMs`, and claims now. */
  start(): void {
    this.#started = true;
    this.#timer = setInterval(() => this.pump(), this.#o.pollIntervalMs);
    this.#timer.unref();
    this.pump();
  }

  /** Queues the job in the store (nothing when it is queued or running); true when this call queued it. The caller pumps. */
  async add(digest: Digest, repository: string): Promise<boolean> {
    this.#adding++;
    try {
      return await this.#o.store.enqueue(digest, repository, this.#o.now().toISOString());
    } finally {
      this.#adding--;
    }
  }

  /** Claims what it can now (in the background); refreshes the counts. */
  pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = this.#claim()
      .catch((e: unknown) => this.#o.log().error({ event: 'error', err: e }, 'cannot take scan jobs'))
      .finally(() => {
        this.#pumping = undefined;
        if (this.#pumpAgain && !this.#closed) {
          this.#pumpAgain = false;
          this.pump();
        } else this.#wakeIfIdle();
      });
  }

  /** Resolves once nothing is being added or scanned here and no job this process could take is waiting. */
  idle(): Promise<void> {
    const done = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    this.pump();
    return done;
  }

  /** Takes no more jobs; waits for the scans running here. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#pumping;
    while (this.#finished.size > 0) await Promise.all([...this.#finished]);
  }

  async #claim(): Promise<void> {
    do {
      this.#pumpAgain = false;
      const now = this.#o.now();
      const free = this.#o.concurrency - this.#running.size;
      if (this.#o.work && this.#started && !this.#closed && free > 0 && this.#o.ready()) {
        const until = new Date(now.getTime() + this.#o.leaseTtlMs).toISOString();
        for (const job of await this.#o.store.claim(randomUUID(), now.toISOString(), until, free)) this.#start(job);
      }
      this.#counts = await this.#o.store.counts(this.#o.now().toISOString());
    } while (this.#pumpAgain && !this.#closed);
  }

  #start(job: ScanJob): void {
    this.#running.add(job.digest);
    const { store, log } = this.#o;
    // The heartbeat: a lease renewed at a third of its time to live outlives a missed renewal or two.
    const heartbeat = setInterval(() => {
      const until = new Date(this.#o.now().getTime() + this.#o.leaseTtlMs).toISOString();
      void store.renew(job.digest, job.lease, until).then(
        (held) => {
          if (!held) log().warn({ event: 'scan.lease', digest: job.digest, state: 'lost' }, `lost the lease on the scan of ${job.digest}: another worker took it over`);
        },
        (e: unknown) => log().warn({ event: 'scan.lease', digest: job.digest, state: 'renew-failed', err: e }, `cannot renew the lease on the scan of ${job.digest}`),
      );
    }, Math.max(100, Math.floor(this.#o.leaseTtlMs / 3)));
    heartbeat.unref();
    const finished = this.#o
      .run(job)
      .then(() => store.finish(job.digest, job.lease))
      .then((held) => {
        if (!held) log().warn({ event: 'scan.lease', digest: job.digest, state: 'lost' }, `finished the scan of ${job.digest} after losing its lease`);
      })
      .catch((e: unknown) => log().error({ event: 'error', err: e, digest: job.digest }, 'cannot finish a scan job'))
      .finally(() => {
        clearInterval(heartbeat);
        this.#running.delete(job.digest);
        this.#finished.delete(finished);
        if (!this.#closed) this.pump();
        else this.#wakeIfIdle();
      });
    this.#finished.add(finished);
  }

  #wakeIfIdle(): void {
    if (this.#adding === 0 && this.#running.size === 0 && this.#pumping === undefined) for (const wake of this.#idleWaiters.splice(0)) wake();
  }
}
