/**
 * The scan queue contract (scan-queue-store.ts) in memory: for a scan
 * service given no store, which then queues for this process alone (unit
 * tests, tools); `portcullis serve` always opens the SQLite or PostgreSQL
 * one (open-stores.ts). Insertion order is queue order, as the stores' sequence numbers are.
 */
import type { Digest } from '../../core/index.js';
import type { ScanJob, ScanQueueCounts, ScanQueueStore } from './scan-queue-store.js';

interface Entry {
  repository: string;
  attempts: number;
  lease?: string;
  leaseUntil?: string;
}

export class MemoryScanQueue implements ScanQueueStore {
  readonly #jobs = new Map<Digest, Entry>();

  async enqueue(digest: Digest, repository: string): Promise<boolean> {
    if (this.#jobs.has(digest)) return false;
    this.#jobs.set(digest, { repository, attempts: 0 });
    return true;
  }

  async claim(lease: string, now: string, leaseUntil: string, limit: number): Promise<ScanJob[]> {
    const claimed: ScanJob[] = [];
    for (const [digest, entry] of this.#jobs) {
      if (claimed.length >= limit) break;
      if (entry.leaseUntil !== undefined && entry.leaseUntil > now) continue;
      entry.lease = lease;
      entry.leaseUntil = leaseUntil;
      entry.attempts++;
      claimed.push({ digest, repository: entry.repository, attempts: entry.attempts, lease, leaseUntil });
    }
    return claimed;
  }

  async renew(digest: Digest, lease: string, leaseUntil: string): Promise<boolean> {
    const entry = this.#jobs.get(digest);
    if (entry?.lease !== lease) return false;
    entry.leaseUntil = leaseUntil;
    return true;
  }

  async finish(digest: Digest, lease: string): Promise<boolean> {
    const entry = this.#jobs.get(digest);
    if (entry?.lease !== lease) return false;
    this.#jobs.delete(digest);
    return true;
  }

  async counts(now: string): Promise<ScanQueueCounts> {
    let running = 0;
    for (const entry of this.#jobs.values()) if (entry.leaseUntil !== undefined && entry.leaseUntil > now) running++;
    return { queued: this.#jobs.size - running, running };
  }

  async close(): Promise<void> {}
}
