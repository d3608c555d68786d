/**
 * `serve --db-from docker://…`: the registry keeps its advisory database
 * current by pulling a signed database artifact (what `db push --sign`
 * publishes) on a schedule, instead of a cron job running `db update` beside
 * it. Each pull verifies the signature under the trust policy first and only
 * then reads the artifact, pinned to the verified digest
 * (engine/db-artifact.ts pullVerifiedDb); the file is swapped in with one
 * rename, and the scan service is told at once, so its rescan-on-change runs
 * without waiting for its own timer.
 *
 * Failing closed: an unsigned, untrusted or tampered artifact, or an
 * unreachable registry, is logged (event `db.pull`, outcome `failed`) and the
 * database in place stays exactly as it was; nothing is matched against an
 * artifact that did not verify. A digest already pulled is not downloaded
 * again (the verification still runs: a signature revoked since is noticed).
 * With several processes on one host and file, one of them pulls on each
 * tick (the `db-pull` singleton, scoped to the host and the file: processes
 * on other machines keep their own files current).
 */
import { hostname } from 'node:os';
import type { Digest } from '../../core/index.js';
import { pullVerifiedDb, type DbVerifyOptions } from '../../engine/db-artifact.js';
import type { SystemContext } from '../../image/index.js';
import { silentLog, type RegistryLog } from '../log.js';
import type { Singletons } from '../singletons.js';

export interface DbPullSettings {
  /** `docker://host/repo:tag` of the signed database artifact. */
  readonly reference: string;
  /** Time between pulls, in ms (the first pull runs at start). */
  readonly intervalMs: number;
  /** The trust store, policy and its keys the signature is verified with. */
  readonly trust: DbVerifyOptions['trust'];
  /** Registry access (credentials from the auth files, TLS). */
  readonly context?: SystemContext;
}

export interface DbPullerOptions extends DbPullSettings {
  readonly dbPath: string;
  /** Told after a new database was swapped in (the scan service's checkDatabase). */
  readonly onChanged?: () => Promise<void>;
  readonly log?: RegistryLog;
  /** Scheduled pulls take the `db-pull` singleton for this host and file: one process pulls into a file the others read. */
  readonly singletons?: Pick<Singletons, 'run'>;
}

export type DbPullOutcome = { readonly outcome: 'pulled' | 'unchanged'; readonly digest: Digest } | { readonly outcome: 'failed'; readonly error: Error };

export class DbPuller {
  readonly #options: DbPullerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<DbPullOutcome> | undefined;
  #current: Digest | undefined;
  #closed = false;

  constructor(options: DbPullerOptions) {
    this.#options = options;
  }

  /** Pulls now (not awaited: the registry serves meanwhile) and then every `intervalMs`. */
  start(): void {
    const singletons = this.#options.singletons;
    const tick = (): void => void (singletons ? singletons.run('db-pull', () => this.pullNow(), `${hostname()}:${this.#options.dbPath}`) : this.pullNow()).catch(() => undefined);
    tick();
    this.#timer = setInterval(tick, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** The digest of the artifact in use, once one was pulled by this process. */
  get currentDigest(): Digest | undefined {
    return this.#current;
  }

  /** One pull (joined when one is running); never throws: failures are logged and returned. */
  pullNow(): Promise<DbPullOutcome> {
    this.#running ??= this.#pull().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  async #pull(): Promise<DbPullOutcome> {
    const log = this.#options.log ?? silentLog();
    const { reference, dbPath } = this.#options;
    if (this.#closed) return { outcome: 'failed', error: new Error('closed') };
    try {
      const result = await pullVerifiedDb(reference, dbPath, this.#options.context ?? {}, {
        trust: this.#options.trust,
        ...(this.#current ? { current: this.#current } : {}),
      });
      for (const w of result.warnings) log.warn({ event: 'db.pull', reference }, w);
      if (result.unchanged) {
        log.debug({ event: 'db.pull', outcome: 'unchanged', reference, digest: result.manifestDigest }, 'advisory database artifact unchanged');
        return { outcome: 'unchanged', digest: result.manifestDigest };
      }
      this.#current = result.manifestDigest;
      log.info({ event: 'db.pull', outcome: 'pulled', reference, digest: result.manifestDigest, bytes: result.bytes }, `advisory database pulled from ${reference} (signature verified)`);
      await this.#options.onChanged?.();
      return { outcome: 'pulled', digest: result.manifestDigest };
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      log.error({ event: 'db.pull', outcome: 'failed', reference, err }, `advisory database not pulled from ${reference}, the one in place stays: ${err.message}`);
      return { outcome: 'failed', error: err };
    }
  }
}
