/**
 * The collector's lease: one garbage collection at a time over the stores,
 * by a named lease in the metadata store that the running collector renews
 * while it works (at a third of its time to live). A collector that cannot
 * renew stops before its next deletion, so two collectors never delete at
 * once even when one stalls past its lease. Apart from the collector
 * (collector.ts): the protocol there only asks "may I delete now?".
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ServeError } from '../errors.js';
import type { MetadataStore } from '../metadata/store.js';

export const DEFAULT_LEASE_TTL_MS = 2 * 60_000;
export const GC_LEASE = 'gc';

export class GcLease {
  readonly #metadata: MetadataStore;
  readonly #ttlMs: number;
  readonly #now: () => Date;
  readonly #holder = `${hostname()}:${process.pid}:${randomUUID()}`;
  #renewAt = 0;
  #validUntil = 0;

  constructor(metadata: MetadataStore, ttlMs: number, now: () => Date) {
    this.#metadata = metadata;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** Takes the lease (first) or renews it when a third of it has passed; a collector that lost it stops. */
  async take(first = false): Promise<void> {
    const now = Date.now();
    if (!first && now < this.#renewAt) return;
    const ok = await this.#metadata.acquireLease(GC_LEASE, this.#holder, this.#now().toISOString(), this.#ttlMs);
    if (!ok) {
      throw new ServeError(
        'UNAVAILABLE',
        first ? 'another garbage collection is running (it holds the lease); try again once it is done' : 'garbage collection lost its lease to another collector and stopped',
      );
    }
    this.#renewAt = now + this.#ttlMs / 3;
    this.#validUntil = now + this.#ttlMs;
  }

  /** Before deleting bytes: the lease is ours for a while yet, or the run stops here. */
  async beforeDelete(): Promise<void> {
    await this.take();
    if (Date.now() >= this.#validUntil) throw new ServeError('UNAVAILABLE', 'garbage collection could not renew its lease in time and stopped');
  }

  /** Gives the lease up (a failure to is harmless: it expires). */
  async release(): Promise<void> {
    await this.#metadata.releaseLease(GC_LEASE, this.#holder).catch(() => undefined);
  }
}
