/**
 * What one garbage-collection run tells: the counts (always complete) and the
 * lists of what went (at most `maxListed` entries of each kind, then
 * `truncated`). The collector (collector.ts) counts into a `GcTally` as it
 * goes and turns it into the `GcReport` at the end; apart from the collector
 * so that the protocol there reads without the bookkeeping.
 */
import type { Digest } from '../../core/index.js';
import type { ManifestVerdict, RetentionPlan } from './retention.js';

export interface GcReport {
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Repositories looked at. */
  readonly repositories: number;
  /** Repositories that changed under every attempt to apply their plan: left for the next run. */
  readonly skippedRepositories: readonly string[];
  readonly tagsDeleted: number;
  readonly manifestsDeleted: number;
  /** Loose links removed (a repository's links to blobs none of its manifests use). */
  readonly linksRemoved: number;
  /** Blobs whose bytes were deleted (orphans and finished claims included). */
  readonly blobsDeleted: number;
  readonly bytesFreed: number;
  /** Stored bytes the metadata did not know. */
  readonly orphansDeleted: number;
  /** Claims a collector that stopped had left, finished by this run. */
  readonly claimsFinished: number;
  readonly deleted: {
    readonly tags: ReadonlyArray<{ readonly repository: string; readonly tag: string; readonly digest: Digest }>;
    readonly manifests: ReadonlyArray<{ readonly repository: string; readonly digest: Digest; readonly reason: ManifestVerdict }>;
    readonly blobs: ReadonlyArray<{ readonly digest: Digest; readonly size?: number; readonly orphan?: true }>;
  };
  /** Some entries were left out of `deleted` (more than `maxListed` of a kind). */
  readonly truncated: boolean;
}

/** What a run did, as counts only (never the lists, which can be long): the log line's fields and the audit event's detail. */
export function gcCounts(report: GcReport) {
  return {
    dryRun: report.dryRun,
    durationMs: report.durationMs,
    repositories: report.repositories,
    tagsDeleted: report.tagsDeleted,
    manifestsDeleted: report.manifestsDeleted,
    linksRemoved: report.linksRemoved,
    blobsDeleted: report.blobsDeleted,
    bytesFreed: report.bytesFreed,
    orphansDeleted: report.orphansDeleted,
  };
}

/** The counts and lists of a run in progress. */
export class GcTally {
  repositories = 0;
  linksRemoved = 0;
  claimsFinished = 0;
  readonly #maxListed: number;
  #truncated = false;
  #tagsDeleted = 0;
  #manifestsDeleted = 0;
  #blobsDeleted = 0;
  #bytesFreed = 0;
  #orphansDeleted = 0;
  readonly #skipped: string[] = [];
  readonly #tags: Array<{ repository: string; tag: string; digest: Digest }> = [];
  readonly #manifests: Array<{ repository: string; digest: Digest; reason: ManifestVerdict }> = [];
  readonly #blobs: Array<{ digest: Digest; size?: number; orphan?: true }> = [];

  constructor(maxListed: number) {
    this.#maxListed = maxListed;
  }

  /** A repository whose plan could not be applied at any attempt. */
  skipped(repository: string): void {
    this.#skipped.push(repository);
  }

  /** A retention plan applied (or, in a dry run, that would be). */
  retained(repository: string, plan: RetentionPlan): void {
    this.#tagsDeleted += plan.tags.length;
    this.#manifestsDeleted += plan.manifests.length;
    for (const t of plan.tags) this.list(this.#tags, { repository, tag: t.tag, digest: t.digest });
    plan.manifests.forEach((digest, i) => this.list(this.#manifests, { repository, digest, reason: plan.reasons[i] ?? 'untagged' }));
  }

  /** A blob whose bytes went (or would go). */
  blobDeleted(digest: Digest, size: number | undefined, orphan: boolean): void {
    this.#blobsDeleted++;
    this.#bytesFreed += size ?? 0;
    if (orphan) this.#orphansDeleted++;
    this.list(this.#blobs, { digest, ...(size !== undefined ? { size } : {}), ...(orphan ? { orphan: true as const } : {}) });
  }

  report(run: { readonly dryRun: boolean; readonly startedAt: string; readonly durationMs: number }): GcReport {
    return {
      ...run,
      repositories: this.repositories,
      skippedRepositories: this.#skipped,
      tagsDeleted: this.#tagsDeleted,
      manifestsDeleted: this.#manifestsDeleted,
      linksRemoved: this.linksRemoved,
      blobsDeleted: this.#blobsDeleted,
      bytesFreed: this.#bytesFreed,
      orphansDeleted: this.#orphansDeleted,
      claimsFinished: this.claimsFinished,
      deleted: { tags: this.#tags, manifests: this.#manifests, blobs: this.#blobs },
      truncated: this.#truncated,
    };
  }

  private list<T>(into: T[], item: T): void {
    if (into.length < this.#maxListed) into.push(item);
    else this.#truncated = true;
  }
}
