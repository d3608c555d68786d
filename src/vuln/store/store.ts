/**
 * The advisory store: where normalised advisories live between an import and
 * a scan. Small on purpose; the matcher needs `findAffected` (or, cheaper,
 * `findEntriesBatch` then the advisories of what matched) and `byAlias`,
 * the importers `upsert` inside `transaction`, the CLI `status`.
 *
 * Records are keyed by (id, feed, scope) (see core/advisory.ts). `getById`,
 * `byAlias` and `findAffected` return advisories merged over all records that
 * share an id (for instance an OSV `CVE-…` record and NVD's `CVE-…`
 * enrichment). Withdrawn advisories are kept and never returned by
 * `findAffected` unless asked.
 */
import type { Advisory, AffectedMatch, AffectedPackage } from '../../core/index.js';
import { PortcullisError } from '../../core/errors.js';
import type { ExploitReader, ExploitWriter } from '../exploit/store.js';

/** `unchanged`: same content hash, or older than the stored record by `modified`. */
export type UpsertResult = 'inserted' | 'updated' | 'unchanged';

export interface SourceStatus {
  /** Feed name: `osv`, `alpine-secdb`, `debian-tracker`, `nvd`, `amazon-updateinfo`. */
  readonly feed: string;
  readonly advisories: number;
  readonly affected: number;
  /** When an import of this feed last completed (RFC 3339). */
  readonly lastImport?: string;
  /** When an import last changed something. */
  readonly lastChange?: string;
  /** How recent the data is: the newest record `modified` date, or the date the feed's files carried. */
  readonly dataDate?: string;
}

export interface StoreStatus {
  readonly schemaVersion: number;
  readonly advisories: number;
  readonly affected: number;
  readonly sources: readonly SourceStatus[];
}

export interface FindOptions {
  readonly includeWithdrawn?: boolean;
}

/** One `findAffected` lookup of a batch. */
export interface AffectedQuery {
  readonly ecosystem: string;
  readonly name: string;
}

/**
 * An advisory without its affected entries: everything a finding shows of it
 * (ids, texts, ratings, references, dates). Matching judges entries first and
 * needs only this of the advisories that produced a finding.
 */
export type AdvisoryFacts = Omit<Advisory, 'affected'>;

/** One affected entry and the id of its advisory: what matching judges before it needs the advisory itself. */
export interface AffectedEntry {
  readonly advisoryId: string;
  readonly affected: AffectedPackage;
}

/**
 * What matching, scanning and `db status` read: lookups by package and alias,
 * advisories by id, bookkeeping. SQLite (sqlite.ts) and PostgreSQL
 * (postgres.ts) give the same answers in the same order.
 */
export interface AdvisoryReader {
  getById(id: string): Promise<Advisory | undefined>;
  /** `getById` for many ids at once (optional: a store that can batch offers it); absent ids map to undefined. */
  getByIds?(ids: readonly string[]): Promise<Map<string, Advisory | undefined>>;
  /** Affected entries for exactly this ecosystem (`Debian:12`) and package (normalised as the ecosystem wants). */
  findAffected(ecosystem: string, packageName: string, options?: FindOptions): Promise<AffectedMatch[]>;
  /** `findAffected` for many lookups at once, answers in the order asked (optional: a store that can batch offers it). */
  findAffectedBatch?(queries: readonly AffectedQuery[], options?: FindOptions): Promise<AffectedMatch[][]>;
  /**
   * `findAffectedBatch` without loading the advisories: the same entries in the same order, each
   * naming its advisory by id (for `getById`/`getByIds` when it is needed). Optional.
   */
  findEntriesBatch?(queries: readonly AffectedQuery[], options?: FindOptions): Promise<AffectedEntry[][]>;
  /**
   * `getByIds` without the affected entries (merged alike: the same fields as the full advisory's), for
   * what matching shows of an advisory. Optional: a store that keeps them apart offers it; absent ids map to undefined.
   */
  getFactsByIds?(ids: readonly string[]): Promise<Map<string, AdvisoryFacts | undefined>>;
  /** Advisories whose id, alias or upstream id is `id`. */
  byAlias(id: string): Promise<Advisory[]>;
  /** Which of these ecosystems hold at least one affected entry (match/vendor-feeds.ts: does the database know a distribution at all). */
  ecosystemsWithEntries(ecosystems: readonly string[]): Promise<ReadonlySet<string>>;
  sources(): Promise<SourceStatus[]>;
  status(): Promise<StoreStatus>;
  getMeta(key: string): Promise<string | undefined>;
  /** CISA KEV and EPSS beside the advisories (exploit/store.ts): what the scan annotates and its gates check. */
  exploitation(): ExploitReader;
  /**
   * Runs `fn` with a reader whose every answer comes from one consistent state of the data: an import
   * committing meanwhile (this process or another) is not seen until `fn` ends, so the reads of one
   * match never mix the old state with the new. The reader is valid only inside `fn`; calling
   * `readSnapshot` on it runs inside the same snapshot. Optional: without it (`inSnapshot`) each read
   * sees the data of its own moment.
   */
  readSnapshot?<T>(fn: (reader: AdvisoryReader) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `fn` on one snapshot of `store` when it offers snapshots, else on the store itself. */
export function inSnapshot<S extends Partial<Pick<AdvisoryReader, 'readSnapshot'>>, T>(store: S, fn: (reader: S | AdvisoryReader) => Promise<T>): Promise<T> {
  return store.readSnapshot ? store.readSnapshot(fn) : fn(store);
}

/** A reader that imports can write to: `db import` and `db update` run every write inside one `transaction`. */
export interface AdvisoryStore extends AdvisoryReader {
  upsert(advisory: Advisory): Promise<UpsertResult>;
  /**
   * `upsert` for many records at once, results in the order given, exactly as `upsert` one after the
   * other would give them (a record key given twice: the second sees the first). Optional: a store
   * whose round trips cost (PostgreSQL) offers it; importers batch through `UpsertBuffer` (upsert-buffer.ts).
   */
  upsertMany?(advisories: readonly Advisory[]): Promise<UpsertResult[]>;
  /** Records that an import of `feed` completed; `dataDate` when the input carried one (HTTP Last-Modified). */
  markImported(feed: string, info?: { changed?: boolean; dataDate?: string }): Promise<void>;
  setMeta(key: string, value: string | undefined): Promise<void>;
  /**
   * Runs `fn` as one transaction: all of its writes commit, or none (on a throw, a crash or a kill);
   * readers see the data before or after, never a mix. Not re-entrant.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Called first inside an import's transaction: lets a store build its lookup indexes once at the end when it starts empty. */
  beginBulkLoad?(): boolean;
  /** KEV and EPSS with their imports, which replace a table inside this store's transaction. */
  exploitation(): ExploitWriter;
}

export type StoreErrorCode = 'DB_OPEN_FAILED' | 'DB_TOO_NEW' | 'DB_CORRUPT' | 'TRANSACTION_NESTED';

export class StoreError extends PortcullisError<StoreErrorCode> {}
