/**
 * Garbage collection as the server runs it: on a schedule (default daily, first an hour after start, so
 * that a crash loop does not turn into a collection loop but a restart after a crash mid-run still
 * finishes that run's claims the same day), and on demand (the admin API, `portcullis registry gc`
 * against a running server). One run at a time in this process: asking while one runs joins it when it
 * is the same kind (dry or not) and waits for it otherwise; across processes a scheduled run takes
 * the `gc` singleton (singletons.ts: one process of the registry runs the schedule), and the lease
 * decides for every run (collector.ts).
 *
 * Every run is logged as one `gc` event — counts, bytes, duration, or the error — and reported to a
 * `GcObserver`, the small interface through which metrics count runs and bytes freed.
 */
import type { RegistryLog } from '../log.js';
import type { Singletons } from '../singletons.js';
import { runGc, type GcOptions, type GcStores } from './collector.js';
import { gcCounts, type GcReport } from './report.js';

export const DEFAULT_GC_INTERVAL_MS = 24 * 3_600_000;

/** How a run started: on the schedule, or asked for (the admin API, which records who asked). */
export interface GcRun {
  readonly scheduled: boolean;
}

/** Told about each run (metrics: runs by outcome, bytes freed, duration; the audit log: scheduled runs). Must not throw. */
export interface GcObserver {
  gcFinished(report: GcReport, run?: GcRun): void;
  gcFailed(durationMs: number, error: unknown, run?: GcRun): void;
}

export interface GcServiceOptions {
  readonly stores: GcStores;
  readonly log: RegistryLog;
  /** Options every run gets (grace, retention, project settings); `dryRun` comes per run. */
  readonly defaults?: Omit<GcOptions, 'dryRun'>;
  /** Between scheduled runs; 0 turns the schedule off (default a day). */
  readonly intervalMs?: number;
  /** Before the first scheduled run (default an hour, or the interval when shorter). */
  readonly firstRunAfterMs?: number;
  readonly observer?: GcObserver;
  /** Scheduled runs take the `gc` singleton first: one process of the registry runs them (asked-for runs meet at the lease). */
  readonly singletons?: Pick<Singletons, 'run'>;
}

export class GcService {
  readonly intervalMs: number;
  readonly #options: GcServiceOptions;
  #running: { readonly dryRun: boolean; readonly done: Promise<GcReport> } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #last: GcReport | undefined;

  constructor(options: GcServiceOptions) {
    this.#options = options;
    this.intervalMs = options.intervalMs ?? DEFAULT_GC_INTERVAL_MS;
  }

  /** A run is going on in this process. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** The last finished run's report. */
  get lastReport(): GcReport | undefined {
    return this.#last;
  }

  /** Runs now, or joins the run going on when it is the same kind; waits for a run of the other kind first. */
  async run(options: { readonly dryRun?: boolean; readonly scheduled?: boolean } = {}): Promise<GcReport> {
    const dryRun = options.dryRun === true;
    for (;;) {
      const current = this.#running;
      if (current === undefined) break;
      if (current.dryRun === dryRun) return current.done;
      await current.done.catch(() => undefined);
    }
    const done = this.#runOnce(dryRun, { scheduled: options.scheduled === true }).finally(() => {
      if (this.#running?.done === done) this.#running = undefined;
    });
    this.#running = { dryRun, done };
    return done;
  }

  /** Runs on the schedule; failures are logged, not thrown. */
  start(): void {
    if (this.intervalMs <= 0) return;
    const tick = (): void => {
      const scheduled = (): Promise<GcReport> => this.run({ scheduled: true });
      const singletons = this.#options.singletons;
      (singletons ? singletons.run('gc', scheduled) : scheduled()).catch(() => undefined);
    };
    this.#timer = setTimeout(() => {
      tick();
      this.#timer = setInterval(tick, this.intervalMs);
      this.#timer.unref();
    }, this.#options.firstRunAfterMs ?? Math.min(3_600_000, this.intervalMs));
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.done.catch(() => undefined);
  }

  async #runOnce(dryRun: boolean, run: GcRun): Promise<GcReport> {
    const { log, observer, stores, defaults } = this.#options;
    const started = Date.now();
    try {
      const report = await runGc(stores, { ...defaults, dryRun });
      this.#last = report;
      log.info(
        {
          event: 'gc',
          ...gcCounts(report),
          claimsFinished: report.claimsFinished,
          ...(report.skippedRepositories.length > 0 ? { skippedRepositories: report.skippedRepositories.slice(0, 100) } : {}),
        },
        `${dryRun ? 'garbage collection (dry run) would delete' : 'garbage collection deleted'} ${report.manifestsDeleted} manifests, ${report.tagsDeleted} tags and ${report.blobsDeleted} blobs (${report.bytesFreed} bytes) in ${report.durationMs} ms`,
      );
      try {
        observer?.gcFinished(report, run);
      } catch (error) {
        log.error({ event: 'error', err: error }, 'gc observer failed');
      }
      return report;
    } catch (error) {
      const durationMs = Date.now() - started;
      log.error({ event: 'gc', dryRun, durationMs, err: error }, `garbage collection failed: ${(error as Error).message}`);
      try {
        observer?.gcFailed(durationMs, error, run);
      } catch (observerError) {
        log.error({ event: 'error', err: observerError }, 'gc observer failed');
      }
      throw error;
    }
  }
}
