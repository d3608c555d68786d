/**
 * Records on their way from an importer to the store, gathered into batches
 * when the store writes many at once (store.ts `upsertMany`: PostgreSQL,
 * where each round trip costs) and passed one by one otherwise (SQLite, whose
 * writes are in-process calls). Each record's result reaches its own
 * callback, in the order given, once its batch is written; `flush` writes
 * the rest (an import calls it before it records what it imported).
 *
 * Memory is bounded: a batch is written when it holds `records` records or
 * `entries` affected entries, and `add` waits for that write (the importer
 * reads no further meanwhile).
 */
import type { Advisory } from '../../core/index.js';
import type { AdvisoryStore, UpsertResult } from './store.js';

export interface UpsertBufferLimits {
  readonly records: number;
  readonly entries: number;
}

const DEFAULT_LIMITS: UpsertBufferLimits = { records: 1_000, entries: 20_000 };

export class UpsertBuffer {
  readonly #store: Pick<AdvisoryStore, 'upsert' | 'upsertMany'>;
  readonly #limits: UpsertBufferLimits;
  #pending: { advisory: Advisory; done: (result: UpsertResult) => void }[] = [];
  #entries = 0;

  constructor(store: Pick<AdvisoryStore, 'upsert' | 'upsertMany'>, limits: UpsertBufferLimits = DEFAULT_LIMITS) {
    this.#store = store;
    this.#limits = limits;
  }

  /** Writes `advisory` now or with its batch; `done` gets its result. */
  async add(advisory: Advisory, done: (result: UpsertResult) => void): Promise<void> {
    if (!this.#store.upsertMany) return done(await this.#store.upsert(advisory));
    this.#pending.push({ advisory, done });
    this.#entries += advisory.affected.length;
    if (this.#pending.length >= this.#limits.records || this.#entries >= this.#limits.entries) await this.flush();
  }

  /** Writes what is pending. */
  async flush(): Promise<void> {
    const batch = this.#pending;
    if (batch.length === 0 || !this.#store.upsertMany) return;
    this.#pending = [];
    this.#entries = 0;
    const results = await this.#store.upsertMany(batch.map((p) => p.advisory));
    if (results.length !== batch.length) throw new Error(`the advisory store answered ${results.length} results for ${batch.length} records`);
    batch.forEach((p, i) => p.done(results[i]!));
  }
}
