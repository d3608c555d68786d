/**
 * Scan on push, rescan on new advisories. Pushed image manifests go into a
 * FIFO (deduplicated by digest: the same image pushed to ten repositories is
 * scanned once) worked by a fixed number of in-process workers; results land
 * in the metadata store keyed by manifest digest. A timer compares the
 * advisory database's fingerprint with the one each result was computed with
 * and queues whatever is out of date, so `portcullis db update` (cron, a
 * systemd timer, or another machine writing the shared file) is enough to
 * refresh every result. Queue state is in the metadata store too ('queued'),
 * so a restart picks up where it stopped.
 */
import { isDigest, type Digest, type Inventory, type ScanResult, type SeverityLevel } from '../../core/index.js';
import { scanTarget } from '../../engine/scan.js';
import type { ManifestClassifier } from '../artifact.js';
import { silentLog, type RegistryLog } from '../log.js';
import { encodeInventory } from '../inventory-document.js';
import type { InventoryStore } from '../metadata/inventory-store.js';
import type { ManifestRecord, MetadataStore, ScanRecord } from '../metadata/store.js';
import type { RegistryEvents } from '../services.js';
import type { BlobStore } from '../storage/blob-store.js';
import { openStoredImage } from '../storage-source.js';
import { openAdvisoryDatabase, type OpenDatabase } from './database.js';

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
  /** Where the inventory of each scanned image is kept (the UI's package list and SBOMs); none when absent. */
  readonly inventories?: InventoryStore;
  /** Told about every finished scan (done or failed), with how long it took when this process ran it. */
  readonly onScanned?: (record: ScanRecord, durationMs?: number) => void;
  readonly log?: RegistryLog;
  readonly now?: () => Date;
}

interface Job {
  readonly repository: string;
  readonly digest: Digest;
}

const SILENT = silentLog();
/** Images remembered as waiting for an advisory database (the metrics gauge); past this the gauge saturates. */
const MAX_WAITING = 100_000;

export interface QueueState {
  /** Queued in this process, not yet started. */
  readonly queued: number;
  readonly scanning: number;
  /** Images this process found no advisory database for: they wait, `queued` in the store, until one appears. */
  readonly waitingForDatabase: number;
}

export class ScanService implements RegistryEvents {
  readonly #options: ScanServiceOptions;
  readonly #queue: Job[] = [];
  readonly #queued = new Set<Digest>();
  #running = 0;
  /** Enqueues between their first await and the push onto the queue. */
  #enqueuing = 0;
  #database: OpenDatabase | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #idleWaiters: Array<() => void> = [];
  #checking: Promise<void> | undefined;
  readonly #waiting = new Set<Digest>();

  constructor(options: ScanServiceOptions) {
    this.#options = options;
  }

  /** Queues what is out of date now and keeps checking every `rescanIntervalMs`. */
  async start(): Promise<void> {
    await this.checkDatabase();
    const interval = this.#options.rescanIntervalMs ?? 60_000;
    if (interval > 0) {
      this.#timer = setInterval(() => void this.checkDatabase().catch((e: unknown) => this.#log.error({ event: 'error', err: e }, 'advisory database check failed')), interval);
      this.#timer.unref();
    }
  }

  get queueLength(): number {
    return this.#queue.length + this.#running + this.#enqueuing;
  }

  get queueState(): QueueState {
    return { queued: this.#queue.length + this.#enqueuing, scanning: this.#running, waitingForDatabase: this.#waiting.size };
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
      if (this.#queued.has(digest)) continue;
      const repository = (await this.#options.metadata.repositoriesWithManifest(digest))[0];
      if (repository) await this.#enqueue({ repository, digest });
    }
  }

  /** Resolves when nothing is queued or running (tests, graceful shutdown). */
  idle(): Promise<void> {
    if (this.queueLength === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#queue.length = 0;
    await this.#checking;
    await this.idle();
    await this.#database?.store.close();
    this.#database = undefined;
  }

  async #enqueue(job: Job): Promise<void> {
    if (this.#queued.has(job.digest) || this.#closed) return;
    this.#queued.add(job.digest);
    this.#waiting.delete(job.digest);
    this.#enqueuing++;
    try {
      const previous = await this.#options.metadata.getScan(job.digest);
      await this.#save({ manifestDigest: job.digest, state: 'queued', ...keepResult(previous), updatedAt: this.#now() });
      this.#queue.push(job);
    } catch (error) {
      this.#queued.delete(job.digest);
      throw error;
    } finally {
      this.#enqueuing--;
    }
    this.#pump();
    this.#wakeIfIdle();
  }

  #wakeIfIdle(): void {
    if (this.queueLength === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  #pump(): void {
    const limit = Math.max(1, this.#options.concurrency ?? 1);
    while (this.#running < limit && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#running++;
      void this.#run(job).finally(() => {
        this.#running--;
        this.#queued.delete(job.digest);
        this.#pump();
        this.#wakeIfIdle();
      });
    }
  }

  async #run(job: Job): Promise<void> {
    const { metadata, blobs } = this.#options;
    const started = Date.now();
    try {
      const record = await metadata.getManifest(job.repository, job.digest);
      if (!record) return void (await this.#save({ manifestDigest: job.digest, state: 'failed', error: 'manifest was deleted before it was scanned', updatedAt: this.#now() }, job, started));
      const classification = await this.#options.classifier.classify(record);
      if (classification.kind !== 'image') {
        return void (await this.#save(
          { manifestDigest: job.digest, state: 'skipped', error: `not an image: ${classification.evidence}`, ...(this.#database ? { databaseDigest: this.#database.fingerprint } : {}), updatedAt: this.#now() },
          job,
          started,
        ));
      }
      const database = this.#database;
      if (!database) {
        if (this.#waiting.size < MAX_WAITING) this.#waiting.add(job.digest);
        return void (await this.#save({ manifestDigest: job.digest, state: 'queued', error: 'no advisory database yet: run "portcullis db update"', updatedAt: this.#now() }));
      }
      await this.#save({ manifestDigest: job.digest, state: 'scanning', ...keepResult(await metadata.getScan(job.digest)), updatedAt: this.#now() });
      const source = openStoredImage(job, { blobs, metadata });
      const { result, inventory } = await scanTarget(
        { kind: 'source', name: `${job.repository}@${job.digest}`, source },
        { store: database.store, now: this.#options.now?.() ?? new Date() },
      );
      // Before the result: once the UI sees "done", the package list is there too. Not keeping it costs the UI, not the scan.
      await this.#keepInventory(job, inventory, result).catch((e: unknown) => this.#log.warn({ event: 'error', err: e, digest: job.digest }, 'cannot keep the package inventory'));
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
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.#save(
        { manifestDigest: job.digest, state: 'failed', error: message, ...(this.#database ? { databaseDigest: this.#database.fingerprint } : {}), updatedAt: this.#now() },
        job,
        started,
        error,
      ).catch((e: unknown) => this.#log.error({ event: 'error', err: e, digest: job.digest }, 'cannot record a failed scan'));
    }
  }

  async #keepInventory(job: Job, inventory: Inventory, result: ScanResult): Promise<void> {
    const store = this.#options.inventories;
    if (!store) return;
    const configDigest = result.image?.configDigest;
    const document = await encodeInventory(inventory, {
      name: job.repository,
      digest: job.digest,
      ...(configDigest && isDigest(configDigest) ? { configDigest } : {}),
      ...(result.image?.platform ? { platform: result.image.platform } : {}),
    });
    if (!document) {
      this.#log.warn({ event: 'scan.inventory', digest: job.digest, packages: inventory.packages.length }, 'the package inventory is too large to keep: the UI will not list it');
      return;
    }
    await store.put(job.digest, document, this.#now());
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

/** While a rescan is queued or running, the previous result stays visible (marked with the new state). */
function keepResult(previous: ScanRecord | undefined): Partial<ScanRecord> {
  if (!previous?.result) return {};
  return {
    result: previous.result,
    ...(previous.counts ? { counts: previous.counts } : {}),
    ...(previous.databaseDigest ? { databaseDigest: previous.databaseDigest } : {}),
  };
}

export function countBySeverity(findings: readonly { readonly severity: SeverityLevel }[]): Partial<Record<SeverityLevel, number>> {
  const counts: Partial<Record<SeverityLevel, number>> = {};
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  return counts;
}
