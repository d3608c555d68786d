/**
 * Removes abandoned uploads: a client that starts uploads and never finishes
 * them (a crash, `kill -9` mid-PATCH, or 2,000 POSTs on purpose) would
 * otherwise leave their sessions and partial bytes in storage for ever. Like
 * distribution's `uploadpurging`: every `intervalMs` (and once at start),
 * uploads untouched for longer than `ageMs` are cancelled through the blob
 * store (`staleUploads`, then `cancelUpload`), which removes their data with
 * them, and each run that removed any logs `upload.purged` with the count.
 *
 * Default age 24 h (distribution's is 168 h): a live upload is touched at
 * least once per request, and no request may run longer than the request
 * timeout (1 h by default), so a day untouched is abandoned with a wide
 * margin, while a disk filled by abandoned sessions is freed the same day.
 * Checked hourly (or every half age, when that is shorter). With several
 * processes, one of them removes the bytes per run (the `upload-purge`
 * singleton); each forgets its own clients' sessions.
 */
import type { RegistryLog } from './log.js';
import type { Singletons } from './singletons.js';
import type { BlobStore } from './storage/blob-store.js';
import type { UploadSessions } from './upload-sessions.js';

export const DEFAULT_UPLOAD_PURGE_AGE_MS = 24 * 3_600_000;

export interface UploadPurgeOptions {
  readonly blobs: Pick<BlobStore, 'staleUploads' | 'cancelUpload'>;
  readonly log: RegistryLog;
  /** Uploads untouched for longer than this are removed (default 24 h). */
  readonly ageMs?: number;
  /** Between runs (default: 1 h, or half the age when shorter). */
  readonly intervalMs?: number;
  /** Told about removed sessions, so their places under the per-client cap are free again. */
  readonly sessions?: UploadSessions;
  readonly now?: () => Date;
  /** Removing from the blob store takes the `upload-purge` singleton: one process of the registry does it per run. */
  readonly singletons?: Pick<Singletons, 'run'>;
}

export class UploadPurger {
  /** May change while it runs (a configuration reload); the interval between runs stays. */
  ageMs: number;
  readonly intervalMs: number;
  readonly #options: UploadPurgeOptions;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(options: UploadPurgeOptions) {
    this.#options = options;
    this.ageMs = options.ageMs ?? DEFAULT_UPLOAD_PURGE_AGE_MS;
    this.intervalMs = options.intervalMs ?? Math.min(3_600_000, Math.max(1_000, Math.floor(this.ageMs / 2)));
    this.#now = options.now ?? (() => new Date());
  }

  /** One purge; returns how many uploads were removed. Never two at once: a second call joins the first. */
  run(): Promise<number> {
    this.#running ??= this.#purge().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Purges now (in the background) and then every `intervalMs`; failures are logged, not thrown. */
  start(): void {
    const tick = (): void => {
      this.run().catch((error: unknown) => this.#options.log.error({ event: 'error', err: error }, 'purging abandoned uploads failed'));
    };
    tick();
    this.#timer = setInterval(tick, this.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  async #purge(): Promise<number> {
    const { blobs, log, sessions, singletons } = this.#options;
    const before = new Date(this.#now().getTime() - this.ageMs);
    let removed = 0;
    const purge = async (): Promise<void> => {
      for (const id of await blobs.staleUploads(before)) {
        await blobs.cancelUpload(id);
        sessions?.closed(id);
        removed++;
      }
    };
    if (singletons) await singletons.run('upload-purge', purge);
    else await purge();
    // Every process forgets its own clients' untouched sessions, whichever process removed their bytes.
    sessions?.forgetUntouchedSince(before.getTime());
    if (removed > 0) {
      log.info({ event: 'upload.purged', count: removed, untouchedSince: before.toISOString() }, `purged ${removed} abandoned upload${removed === 1 ? '' : 's'}`);
    }
    return removed;
  }
}
