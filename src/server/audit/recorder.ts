/**
 * Records audit events without making requests wait for a database: `record`
 * is synchronous and never throws. It writes the event to the operator log at
 * once (one `event: "audit"` line: the log export, complete whatever happens
 * to the store), then queues it; the queue is written to the AuditStore in
 * batches, one transaction each, by a single writer: a batch is written
 * when `batchSize` events wait or `flushDelayMs` after the first of them, so
 * that a busy registry writes many events per transaction instead of one
 * (bench/audit.ts has the cost per request).
 *
 * Bounded: the queue holds at most `queueSize` events. When it is full, or
 * when the store fails a batch, those events are not stored — they are still
 * in the log — and they are counted (`onDropped`, the
 * `portcullis_audit_dropped_total` metric) and logged as one
 * `audit.dropped` error per burst (the first drop of a burst; a warning with
 * the count when storing works again), never once per event.
 *
 * `close` stores what is queued and stops; events recorded after it go to the
 * log only, counted as dropped.
 */
import type { RegistryLog } from '../log.js';
import type { AuditStore } from '../metadata/audit-store.js';
import { completeEvent, type AuditEvent, type AuditInput } from './event.js';

export const DEFAULT_AUDIT_QUEUE = 10_000;
export const DEFAULT_AUDIT_BATCH = 500;
export const DEFAULT_AUDIT_FLUSH_DELAY_MS = 200;

export interface AuditRecorderOptions {
  /** Where events are kept; none: the log export is the whole audit trail (a registry without accounts). */
  readonly store?: Pick<AuditStore, 'append'>;
  readonly log: RegistryLog;
  /** Events waiting to be stored, at most (default 10,000). */
  readonly queueSize?: number;
  /** Events per transaction, at most (default 500). */
  readonly batchSize?: number;
  /** How long the first waiting event waits for others to join its batch (default 200 ms). */
  readonly flushDelayMs?: number;
  /** Told how many events were not stored (the metric). Must not throw. */
  readonly onDropped?: (count: number) => void;
  readonly now?: () => Date;
}

export type DropReason = 'queue-full' | 'store-failed' | 'closed';

export class AuditRecorder {
  readonly #store: Pick<AuditStore, 'append'> | undefined;
  readonly #log: RegistryLog;
  /** The export: at level info even when the operator's level is higher (only `silent` turns it off). */
  readonly #export: RegistryLog;
  readonly #queueSize: number;
  readonly #batchSize: number;
  readonly #flushDelayMs: number;
  readonly #onDropped: ((count: number) => void) | undefined;
  readonly #now: () => Date;
  #queue: AuditEvent[] = [];
  #draining: Promise<void> | undefined;
  /** Set while the first waiting event waits for its batch to fill. */
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #dropped = 0;
  /** Events dropped since the burst began; undefined when not in a burst. */
  #burst: number | undefined;

  constructor(options: AuditRecorderOptions) {
    this.#store = options.store;
    this.#log = options.log;
    this.#export = options.log.child({}, { level: 'info' });
    this.#queueSize = Math.max(1, options.queueSize ?? DEFAULT_AUDIT_QUEUE);
    this.#batchSize = Math.max(1, options.batchSize ?? DEFAULT_AUDIT_BATCH);
    this.#flushDelayMs = Math.max(0, options.flushDelayMs ?? DEFAULT_AUDIT_FLUSH_DELAY_MS);
    this.#onDropped = options.onDropped;
    this.#now = options.now ?? (() => new Date());
  }

  /** Events not stored since start. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events waiting to be stored. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Logs the event, and queues it for the store. Never throws, never waits. */
  record(input: AuditInput): void {
    let event: AuditEvent;
    try {
      event = completeEvent(input, this.#now());
      this.#write(event);
    } catch (error) {
      this.#log.error({ event: 'error', err: error }, 'an audit event could not be recorded');
      return;
    }
    if (!this.#store) return;
    if (this.#closed) return this.#drop(1, 'closed');
    if (this.#queue.length >= this.#queueSize) return this.#drop(1, 'queue-full');
    this.#queue.push(event);
    if (this.#draining) return;
    if (this.#queue.length >= this.#batchSize || this.#flushDelayMs === 0) this.#startDrain();
    else this.#timer ??= setTimeout(() => this.#startDrain(), this.#flushDelayMs).unref();
  }

  /** Resolves once everything queued so far is stored (or dropped). */
  async flush(): Promise<void> {
    if (this.#queue.length > 0 && !this.#draining) this.#startDrain();
    while (this.#draining) await this.#draining;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #write(event: AuditEvent): void {
    if (this.#log.level === 'silent') return;
    const { time: _time, requestId, ...fields } = event;
    const where = event.repository !== undefined ? ` ${event.repository}${event.tag !== undefined ? `:${event.tag}` : event.digest !== undefined ? `@${event.digest}` : ''}` : event.project !== undefined ? ` ${event.project}` : '';
    this.#export.info({ event: 'audit', ...fields, ...(requestId !== undefined ? { reqId: requestId } : {}) }, `audit: ${event.action}${where} by ${event.principal} (${event.outcome})`);
  }

  #startDrain(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#draining ??= this.#drain();
  }

  async #drain(): Promise<void> {
    // Let the request that recorded the event finish first.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.slice(0, this.#batchSize);
        this.#queue = this.#queue.slice(batch.length);
        try {
          await this.#store!.append(batch);
          this.#stored();
        } catch (error) {
          this.#drop(batch.length, 'store-failed', error);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  #drop(count: number, reason: DropReason, error?: unknown): void {
    this.#dropped += count;
    try {
      this.#onDropped?.(count);
    } catch {
      // A metric must not stop the recorder.
    }
    if (this.#burst !== undefined) {
      this.#burst += count;
      return;
    }
    this.#burst = count;
    const why = reason === 'queue-full' ? `the queue is full (${this.#queueSize} events)` : reason === 'closed' ? 'the recorder is closed' : 'the store failed';
    this.#log.error(
      { event: 'audit.dropped', reason, ...(error !== undefined ? { err: error } : {}) },
      `audit events are not being stored: ${why}; every one is still in this log (event "audit") and counted in portcullis_audit_dropped_total`,
    );
  }

  /** A batch was stored: a burst of drops ends once the queue has room again. */
  #stored(): void {
    if (this.#burst === undefined || this.#queue.length >= this.#queueSize / 2) return;
    const count = this.#burst;
    this.#burst = undefined;
    this.#log.warn({ event: 'audit.dropped', count }, `audit events are stored again; ${count} were not (they are in this log)`);
  }
}
