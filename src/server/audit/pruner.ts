/**
 * Keeps the audit log within its retention (`audit.retention`, default 90
 * days; 0 keeps everything): a minute after start, then every hour, events
 * older than the retention are deleted, a few thousand rows per statement
 * (metadata/audit-store.ts, PRUNE_BATCH) so a large first prune never holds
 * a long write lock. Several processes sharing one PostgreSQL database each
 * prune; deleting what another already deleted is a no-op. One `audit.pruned`
 * log line when something went, an error line (and the next hour's try) when
 * the store failed.
 */
import type { RegistryLog } from '../log.js';
import type { AuditStore } from '../metadata/audit-store.js';

export const DEFAULT_AUDIT_RETENTION_MS = 90 * 86_400_000;
export const AUDIT_PRUNE_INTERVAL_MS = 3_600_000;

export interface AuditPrunerOptions {
  readonly store: Pick<AuditStore, 'prune'>;
  /** Events older than this go; must be more than 0 (0 is "keep forever": no pruner). */
  readonly retentionMs: number;
  readonly log: RegistryLog;
  readonly intervalMs?: number;
  readonly firstAfterMs?: number;
  readonly now?: () => number;
}

export class AuditPruner {
  readonly #options: AuditPrunerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(options: AuditPrunerOptions) {
    this.#options = options;
  }

  start(): void {
    const tick = (): void => {
      this.prune().catch(() => undefined);
    };
    this.#timer = setTimeout(() => {
      tick();
      this.#timer = setInterval(tick, this.#options.intervalMs ?? AUDIT_PRUNE_INTERVAL_MS);
      this.#timer.unref();
    }, this.#options.firstAfterMs ?? 60_000);
    this.#timer.unref();
  }

  /** Deletes what is past retention now (joins a prune in progress); returns how many went. */
  prune(): Promise<number> {
    this.#running ??= this.#pruneOnce().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  async #pruneOnce(): Promise<number> {
    const { store, retentionMs, log } = this.#options;
    const before = (this.#options.now ?? Date.now)() - retentionMs;
    try {
      const count = await store.prune(before);
      if (count > 0) log.info({ event: 'audit.pruned', count, before: new Date(before).toISOString() }, `audit log: ${count} events older than the retention removed`);
      return count;
    } catch (error) {
      log.error({ event: 'audit.pruned', err: error }, 'audit log: removing old events failed; the next hour tries again');
      throw error;
    }
  }
}
