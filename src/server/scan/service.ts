/**
 * Scan on push, rescan on new advisories. Pushed image manifests go into
 * the scan queue of the metadata store (deduplicated by digest: the same
 * image pushed to ten repositories is scanned once), shared by every process
 * of the registry and worked, with leases, by the processes that take scans
 * (queue.ts; `serve --role api` only adds to it); results land in the
 * metadata store keyed by manifest digest. A timer compares the
 * advisory database's fingerprint with the one each result was computed with
 * and queues whatever is out of date, so `portcullis db update` (cron, a
 * systemd timer, or another machine writing the shared file) is enough to
 * refresh every result. Queue state is in the metadata store ('queued' in
 * the scan's record, a job in the queue), so a restart picks up where it
 * stopped, and a job whose worker died is taken over, at most `maxAttempts`
 * times, then failed.
 *
 * Index once, match many times (claircore's indexer and matcher): the first
 * scan of an image reads its layers and keeps the inventory (InventoryStore,
 * keyed by manifest digest and the cataloguers' key); later scans match it
 * again without reading a blob. A new image on layers scanned before reads
 * only its own layers (the layer cache replays the others). A rescan after a database
 * change compares its findings with the previous result's and tells the
 * events what is new and what is fixed (changes.ts).
 */
import type { Digest, ScanResult } from '../../core/index.js';
import { inventoryKey } from '../../engine/kept-inventory.js';
import type { LayerCacheStore } from '../../engine/layer-cache.js';
import { scanTarget, type ScanOptions } from '../../engine/scan.js';
import type { WalkLimits } from '../../layers/index.js';
import type { ManifestClassifier } from '../artifact.js';
import { silentLog, type RegistryLog } from '../log.js';
import type { InventoryStore } from '../metadata/inventory-store.js';
import { MemoryScanQueue } from '../metadata/scan-queue-memory.js';
import type { ScanJob, ScanQueueStore } from '../metadata/scan-queue-store.js';
import type { ManifestRecord, MetadataStore, ScanRecord } from '../metadata/store.js';
import type { RegistryEvents } from '../services.js';
import type { BlobStore } from '../storage/blob-store.js';
import { openStoredImage } from '../storage-source.js';
import { diffFindings } from './changes.js';
import { openAdvisoryDatabase, type OpenDatabase } from './database.js';
import { KeptInventories } from './kept.js';
import { ScanDeadline } from './deadline.js';
import { DEFAULT_LEASE_TTL_MS, DEFAULT_MAX_ATTEMPTS, DEFAULT_POLL_INTERVAL_MS, JobQueue } from './queue.js';
import { countBySeverity, keepResult } from './record.js';

export interface ScanServiceOptions {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  /** Decides image or accessory from content (shared with the pull policy). */
  readonly classifier: ManifestClassifier;
  /** The advisory database file (`portcullis db update` writes it). */
  readonly dbPath: string;
  /** Parallel scans (default 1: a scan is CPU-bound and the registry must keep answering). */
  readonly concurrency?: number;
  /** How often to look for a changed advisory database, in ms (default 60 s; 0 = only at start). */
  readonly rescanIntervalMs?: number;
  /** Told about every finished scan (done or failed), with how long it took when this process ran it. */
  readonly onScanned?: (record: ScanRecord, durationMs?: number) => void;
  /** Inventories kept per manifest: rescans match them again instead of reading layers (absent: every scan reads them). */
  readonly inventories?: InventoryStore;
  /** What the layer walk saw of each layer (engine/layer-cache.ts): an image on layers scanned before reads only its new ones. */
  readonly layerCache?: LayerCacheStore;
  /** The cataloguers (default: all of them); their names and versions key the kept inventories. */
  readonly catalogers?: ScanOptions['catalogers'];
  /** Told about finished and failed scans, and what a rescan after a database change found new or fixed. */
  readonly events?: Pick<RegistryEvents, 'scanCompleted' | 'scanFailed' | 'vulnerabilitiesChanged'>;
  readonly log?: RegistryLog;
  readonly now?: () => Date;
  /** The registry's scan queue (default: one in memory, for this process alone). */
  readonly queue?: ScanQueueStore;
  /** Take scans from the queue (default true; false for `serve --role api`, which only adds to it and opens no advisory database). */
  readonly work?: boolean;
  /** How long a worker's lease on a job lasts unrenewed (default 60 s; renewed every third of it). */
  readonly leaseTtlMs?: number;
  /** Leases a job may take before it is failed (default 3). */
  readonly maxAttempts?: number;
  /** A scan running longer is aborted and failed with the reason (default 30 min: deadline.ts). */
  readonly timeoutMs?: number;
  /** Caps on the layers and tar entries a scan's walk reads (serve's scan.maxLayers, scan.maxEntries; default: the engine's, from the environment). */
  readonly limits?: WalkLimits;
  /** How often to look for jobs other processes queued (default 1 s). */
  readonly pollIntervalMs?: number;
  /** Awaited before each scan reads anything (tests: hold a scan until released; never set in production). */
  readonly beforeScan?: (digest: Digest) => Promise<void>;
}

/** What the incomplete reason of a scan over a cap tells the operator to raise. */
const SETTING_NAMES = { maxLayers: 'scan.maxLayers', maxEntries: 'scan.maxEntries' } as const;

type Job = Pick<ScanJob, 'repository' | 'digest'> & { readonly attempts?: number };

const SILENT = silentLog();
const NO_DATABASE = 'no advisory database yet: run "portcullis db update"';

export interface QueueState {
  /** Queued in this process, not yet started. */
  readonly queued: number;
  readonly scanning: number;
  /** A worker without an advisory database takes no job: the queued ones wait for one (to appear here, or another worker). */
  readonly waitingForDatabase: number;
}

export class ScanService implements RegistryEvents {
  readonly #options: ScanServiceOptions;
  readonly #jobs: JobQueue;
  /** Enqueues before their job is in the queue. */
  #enqueuing = 0;
  #database: OpenDatabase | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #checking: Promise<void> | undefined;
  readonly #kept: KeptInventories;

  constructor(options: ScanServiceOptions) {
    this.#options = options;
    this.#kept = new KeptInventories(options.inventories, inventoryKey(options.catalogers), () => this.#log);
    this.#jobs = new JobQueue({
      store: options.queue ?? new MemoryScanQueue(),
      work: this.#works,
      concurrency: Math.max(1, options.concurrency ?? 1),
      leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      run: (job) => this.#run(job),
      ready: () => this.#database !== undefined,
      log: () => this.#log,
      // Leases run on the wall clock, whatever clock stamps the results.
      now: () => new Date(),
    });
  }

  get #works(): boolean {
    return this.#options.work !== false;
  }

  /** Queues what is out of date now and keeps checking every `rescanIntervalMs`; takes jobs from the queue (a worker). */
  async start(): Promise<void> {
    // Only a process that scans opens the advisory database and looks for results it made out of date.
    if (!this.#works) return this.#jobs.start();
    await this.checkDatabase();
    this.#jobs.start();
    const interval = this.#options.rescanIntervalMs ?? 60_000;
    if (interval > 0) {
      this.#timer = setInterval(() => void this.checkDatabase().catch((e: unknown) => this.#log.error({ event: 'error', err: e }, 'advisory database check failed')), interval);
      this.#timer.unref();
    }
  }

  /** The registry's scan queue (every process's jobs), as last read, plus enqueues in flight here. */
  get queueLength(): number {
    const counts = this.#jobs.counts;
    return counts.queued + counts.running + this.#enqueuing;
  }

  get queueState(): QueueState {
    const counts = this.#jobs.counts;
    const queued = counts.queued + this.#enqueuing;
    return { queued, scanning: counts.running, waitingForDatabase: this.#works && !this.#database ? queued : 0 };
  }

  /** When the advisory database in use was last imported (ISO 8601), when it says. */
  get databaseUpdatedAt(): string | undefined {
    return this.#database?.updatedAt;
  }

  get databaseFingerprint(): string | undefined {
    return this.#database?.fingerprint;
  }

  manifestPushed(record: ManifestRecord): void {
    if (this.#closed) return;
    void this.#enqueue({ repository: record.repository, digest: record.digest }).catch((e: unknown) =>
      this.#log.error({ event: 'error', err: e, repository: record.repository, digest: record.digest }, 'cannot queue a scan'),
    );
  }

  /** Drops the kept inventory once no repository holds the manifest. */
  manifestDeleted(_repository: string, digest: Digest): void {
    if (this.#closed) return;
    void this.#kept.forget(digest, this.#options.metadata).catch((e: unknown) => this.#log.error({ event: 'error', err: e, digest }, 'cannot drop a kept inventory'));
  }

  /** Queues one image now (the API's "scan again"). */
  async rescan(repository: string, digest: Digest): Promise<void> {
    await this.#enqueue({ repository, digest });
  }

  /** Reopens the database when its fingerprint changed and queues every result computed with another one. */
  checkDatabase(): Promise<void> {
    this.#checking ??= this.#checkDatabase().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #checkDatabase(): Promise<void> {
    await this.#kept.sweep(this.#options.metadata, this.#jobs.running).catch((e: unknown) => this.#log.error({ event: 'error', err: e }, 'cannot sweep kept inventories'));
    const fresh = await openAdvisoryDatabase(this.#options.dbPath);
    if (!fresh) return;
    if (this.#database && fresh.fingerprint === this.#database.fingerprint) {
      await fresh.store.close();
    } else {
      const old = this.#database;
      this.#database = fresh;
      if (old) {
        this.#log.info({ event: 'database.changed', fingerprint: fresh.fingerprint }, 'advisory database changed: rescanning out-of-date images');
        // Scans in flight hold the old store; close it once they are done.
        void this.idle().then(() => old.store.close());
      }
    }
    const pending = await this.#options.metadata.manifestsNeedingScan(this.#database.fingerprint, 10_000);
    for (const digest of pending) {
      if (this.#jobs.running.has(digest)) continue;
      const repository = (await this.#options.metadata.repositoriesWithManifest(digest))[0];
      if (repository) await this.#enqueue({ repository, digest }, 'check');
    }
    // A worker that had no database takes the jobs waiting for one now.
    this.#jobs.pump();
  }

  /** Resolves when nothing is being queued or scanned here and no job this process could take waits (tests). */
  async idle(): Promise<void> {
    while (this.#enqueuing > 0) await this.#jobs.idle();
    await this.#jobs.idle();
  }

  /** Takes no more jobs and waits for the scans running here; queued jobs stay in the queue. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#checking;
    await this.#jobs.close();
    await this.#database?.store.close();
    this.#database = undefined;
  }

  /**
   * A push or "scan again" saves the 'queued' record before the job exists, so no worker's result can land
   * before it; a database check adds the job first and touches the record only when it added one, so it never
   * turns another worker's 'scanning' into 'queued'.
   */
  async #enqueue(job: Job, from: 'push' | 'check' = 'push'): Promise<void> {
    if (this.#closed) return;
    this.#enqueuing++;
    try {
      const markQueued = async (): Promise<void> => {
        const previous = await this.#options.metadata.getScan(job.digest);
        // A worker without a database says why the image waits (an api process cannot know).
        const waiting = this.#works && !this.#database ? { error: NO_DATABASE } : {};
        await this.#save({ manifestDigest: job.digest, state: 'queued', ...keepResult(previous), ...waiting, updatedAt: this.#now() });
      };
      if (from === 'push') await markQueued();
      const added = await this.#jobs.add(job.digest, job.repository);
      if (from === 'check' && added) await markQueued();
    } finally {
      this.#enqueuing--;
      // Only now may this process take the job: its record says 'queued' first.
      this.#jobs.pump();
    }
  }

  async #run(job: Job): Promise<void> {
    const { metadata, blobs } = this.#options;
    const started = Date.now();
    const deadline = new ScanDeadline(this.#options.timeoutMs);
    try {
      const attempts = job.attempts ?? 1;
      const allowed = this.#options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
      if (attempts > allowed) throw new Error(`scan abandoned: ${allowed} attempt${allowed === 1 ? '' : 's'} ended without a result (the worker scanning it stopped: killed, crashed or out of memory)`);
      await this.#options.beforeScan?.(job.digest);
      const record = await metadata.getManifest(job.repository, job.digest);
      if (!record) return void (await this.#save({ manifestDigest: job.digest, state: 'failed', error: 'manifest was deleted before it was scanned', updatedAt: this.#now() }, job, started));
      // Kept means it was an image when its layers were read, and a digest's content never changes: no blob is read.
      const kept = await this.#kept.usable(job.digest);
      if (!kept) {
        const classification = await this.#options.classifier.classify(record);
        if (classification.kind !== 'image') {
          return void (await this.#save(
            { manifestDigest: job.digest, state: 'skipped', error: `not an image: ${classification.evidence}`, ...(this.#database ? { databaseDigest: this.#database.fingerprint } : {}), updatedAt: this.#now() },
            job,
            started,
          ));
        }
      }
      const database = this.#database;
      // Jobs are taken only with a database (queue.ts `ready`); one gone meanwhile leaves the image queued for the next check.
      if (!database) return void (await this.#save({ manifestDigest: job.digest, state: 'queued', error: NO_DATABASE, updatedAt: this.#now() }));
      const previous = await metadata.getScan(job.digest);
      await this.#save({ manifestDigest: job.digest, state: 'scanning', ...keepResult(previous), updatedAt: this.#now() });
      const name = `${job.repository}@${job.digest}`;
      const options = {
        store: database.store,
        signal: deadline.signal,
        now: this.#options.now?.() ?? new Date(),
        ...(this.#options.catalogers ? { catalogers: this.#options.catalogers } : {}),
        ...(this.#options.layerCache ? { layerCache: this.#options.layerCache } : {}),
        ...(this.#options.limits ? { limits: this.#options.limits, limitNames: SETTING_NAMES } : {}),
      };
      const { result, inventory } = kept
        ? await scanTarget({ kind: 'inventory', name, inventory: kept.inventory, ...(kept.image ? { image: kept.image } : {}) }, options)
        : await scanTarget({ kind: 'source', name, source: openStoredImage(job, { blobs, metadata }) }, options);
      if (!kept) await this.#kept.keep(job.digest, inventory, result.image, this.#now());
      const stamped = { ...result, database: { path: 'registry', ...(database.updatedAt ? { updatedAt: database.updatedAt } : {}), sources: [] } };
      await this.#save(
        {
          manifestDigest: job.digest,
          state: 'done',
          databaseDigest: database.fingerprint,
          counts: countBySeverity(result.findings),
          result: stamped,
          updatedAt: this.#now(),
        },
        job,
        started,
      );
      // The result is saved: nothing the listeners or an old result's shape do can turn it into a failure.
      await this.#tellDone(job, previous, stamped, database, kept ? 'kept' : 'layers').catch((e: unknown) => this.#log.error({ event: 'error', err: e, digest: job.digest }, 'cannot tell what the scan found'));
    } catch (error) {
      const message = deadline.expired ? deadline.reason : error instanceof Error ? error.message : String(error);
      await this.#save(
        { manifestDigest: job.digest, state: 'failed', error: message, ...(this.#database ? { databaseDigest: this.#database.fingerprint } : {}), updatedAt: this.#now() },
        job,
        started,
        error,
      ).catch((e: unknown) => this.#log.error({ event: 'error', err: e, digest: job.digest }, 'cannot record a failed scan'));
      const scanFailed = this.#options.events?.scanFailed;
      if (scanFailed) {
        const repositories = await this.#repositories(job).catch(() => [job.repository]);
        this.#notify('scanFailed', () => scanFailed({ manifestDigest: job.digest, repositories, error: message }));
      }
    } finally {
      deadline.clear();
    }
  }

  /** Tells the events about a finished scan and, after a database change, what it found new or fixed (logged as `scan.changes`). */
  async #tellDone(job: Job, previous: ScanRecord | undefined, result: ScanResult, database: OpenDatabase, inventory: 'kept' | 'layers'): Promise<void> {
    const events = this.#options.events;
    const previousDatabase = previous?.databaseDigest;
    const changes = previous?.result && previousDatabase && previousDatabase !== database.fingerprint ? diffFindings(previous.result.findings, result.findings) : undefined;
    const changed = changes !== undefined && (changes.new.length > 0 || changes.fixed.length > 0);
    if (!changed && !events?.scanCompleted) return;
    const repositories = await this.#repositories(job).catch(() => [job.repository]);
    const stamp = { fingerprint: database.fingerprint, ...(database.updatedAt ? { importedAt: database.updatedAt } : {}) };
    if (changed && previousDatabase) {
      this.#log.info(
        { event: 'scan.changes', repository: job.repository, digest: job.digest, repositories: repositories.length, new: changes.new.length, fixed: changes.fixed.length, inventory, database: database.fingerprint, previousDatabase },
        `rescan of ${job.repository}@${job.digest} after a database change: ${changes.new.length} new, ${changes.fixed.length} fixed`,
      );
      const notify = events?.vulnerabilitiesChanged;
      if (notify) this.#notify('vulnerabilitiesChanged', () => notify({ manifestDigest: job.digest, repositories, database: stamp, previousDatabase, new: changes.new, fixed: changes.fixed, inventory }));
    }
    const completed = events?.scanCompleted;
    if (completed) {
      this.#notify('scanCompleted', () => completed({ manifestDigest: job.digest, repositories, database: stamp, counts: countBySeverity(result.findings), incomplete: result.incomplete ?? [], inventory }));
    }
  }

  async #repositories(job: Job): Promise<string[]> {
    const all = await this.#options.metadata.repositoriesWithManifest(job.digest);
    return all.length > 0 ? all : [job.repository];
  }

  /** Listeners must not throw; one that does is logged and the scan goes on. */
  #notify(name: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#log.error({ event: 'error', err: error }, `${name} listener failed`);
    }
  }

  /** Saves the record; a finished one (done, failed, skipped) is counted and logged with what an operator needs. */
  async #save(record: ScanRecord, job?: Job, started?: number, cause?: unknown): Promise<void> {
    await this.#options.metadata.saveScan(record);
    if (record.state === 'done' || record.state === 'failed') this.#options.onScanned?.(record, started !== undefined ? Date.now() - started : undefined);
    if (!job || record.state === 'queued' || record.state === 'scanning') return;
    const incomplete = record.result?.incomplete ?? [];
    const fields = {
      event: 'scan',
      repository: job.repository,
      digest: job.digest,
      state: record.state,
      ...(started !== undefined ? { durationMs: Date.now() - started } : {}),
      ...(record.counts ? { counts: record.counts } : {}),
      ...(record.result ? { packages: Object.values(record.result.packageCounts).reduce((a, b) => a + b, 0) } : {}),
      ...(incomplete.length > 0 ? { incomplete } : {}),
      ...(record.error ? { error: record.error } : {}),
      ...(cause !== undefined ? { err: cause } : {}),
    };
    if (record.state === 'failed' || incomplete.length > 0) this.#log.warn(fields, `scan of ${job.repository}@${job.digest} ${record.state === 'failed' ? 'failed' : 'is incomplete'}`);
    else this.#log.info(fields, `scan of ${job.repository}@${job.digest}: ${record.state}`);
  }

  #now(): string {
    return (this.#options.now?.() ?? new Date()).toISOString();
  }

  get #log(): RegistryLog {
    return this.#options.log ?? SILENT;
  }
}
