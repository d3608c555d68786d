/**
 * What the registry knows about its content: repositories, which blobs belong
 * to which repository, manifests with their references (config, layers, index
 * children, subject), tags, and each image's scan results. Implementations:
 * `sqlite.ts` (the default, one file beside the blobs) and `postgres.ts` (for
 * many machines sharing one database). Every method is one transaction.
 *
 * Blobs have a lifecycle that garbage collection and pushes share without a
 * lock (docs/serve.md "Garbage collection", src/server/gc/collector.ts): a blob
 * row is `live` or `deleting` (claimed by a collector, its bytes about to go),
 * and carries an `epoch` that changes whenever it is claimed or created, so a
 * push can tell whether its blob was claimed between its reservation and its
 * link. Every method that links or references a blob refuses a claimed one
 * (UNAVAILABLE, retry) and moves its `touchedAt`; a claim succeeds only on a
 * row that nothing links or references and that nobody touched since the
 * grace cutoff, atomically with that check.
 *
 * Contract, tested against every implementation by `test/server/metadata/contract.ts`.
 */
import type { Digest, SeverityLevel, ScanResult } from '../../core/index.js';

export interface ManifestRecord {
  readonly repository: string;
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  /** `artifactType`, or the config media type of an image manifest (referrers API rule). */
  readonly artifactType?: string;
  /** The manifest's `subject` digest, when it has one (referrers). */
  readonly subject?: Digest;
  /** Annotations of the manifest, kept for the referrers response. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Blobs (config, layers) and child manifests this manifest references. */
  readonly references: readonly Digest[];
  readonly pushedAt: string;
}

/**
 * A manifest without its references: what a check of existence, size or type
 * needs (an index's children, a referrer, a page of tags) for the cost of one
 * row, however many layers the manifest lists (a 4 MiB manifest lists ~28,000).
 */
export type ManifestEntry = Omit<ManifestRecord, 'references'>;

export interface Page {
  /** Only entries sorting after this one (the spec's `last`). */
  readonly last?: string;
  /** At most this many (the spec's `n`). */
  readonly limit?: number;
}

/** 'skipped': an artifact (signature, attestation…), not an image: nothing to scan. */
export type ScanState = 'queued' | 'scanning' | 'done' | 'failed' | 'skipped';

export interface ScanRecord {
  readonly manifestDigest: Digest;
  readonly state: ScanState;
  /** Content digest of the advisory database the result was computed with. */
  readonly databaseDigest?: string;
  readonly counts?: Readonly<Partial<Record<SeverityLevel, number>>>;
  readonly result?: ScanResult;
  readonly error?: string;
  readonly updatedAt: string;
}

export interface RepositorySummary {
  readonly name: string;
  readonly tags: number;
  readonly manifests: number;
  readonly lastPush?: string;
}

export interface TagRecord {
  readonly repository: string;
  readonly tag: string;
  readonly digest: Digest;
  readonly updatedAt: string;
}

/** What a push holds between reserving a blob and linking it: the epoch it saw. */
export type BlobReservation =
  | { readonly state: 'live'; readonly epoch: number }
  /** A collector claimed it: wait until the claim is finished (or, when older than the claim timeout, finish it). */
  | { readonly state: 'deleting'; readonly epoch: number; readonly claimedAt: string };

/** A blob a collector owns: its bytes may be deleted, then `finishClaim` drops the row. */
export interface BlobClaim {
  readonly digest: Digest;
  readonly epoch: number;
  readonly claimedAt: string;
  /** Bytes, when the registry knew them (blobs linked before sizes were recorded have none). */
  readonly size?: number;
}

export interface BlobRow {
  readonly digest: Digest;
  readonly state: 'live' | 'deleting';
  readonly epoch: number;
  readonly size?: number;
  readonly touchedAt?: string;
  readonly claimedAt?: string;
}

export interface LinkOptions {
  /** Bytes of the blob (recorded for quotas). */
  readonly size?: number;
  /** The epoch `reserveBlob` returned: the link is refused (UNAVAILABLE) when the blob was claimed since. */
  readonly reservation?: number;
  /** ISO time of the link (default now). */
  readonly now?: string;
}

export interface PutManifestOptions {
  /** The epoch `reserveBlob` returned for the manifest's own bytes: refused (UNAVAILABLE) when claimed since. */
  readonly reservation?: number;
  /** Blobs that must be linked in the repository when the manifest is recorded (MANIFEST_BLOB_UNKNOWN otherwise). */
  readonly linked?: readonly Digest[];
  /** Manifests that must be in the repository when the manifest is recorded (MANIFEST_BLOB_UNKNOWN otherwise). */
  readonly children?: readonly Digest[];
}

/** A manifest as retention sees it: what keeps it, and what it keeps. */
export interface ManifestNode {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly subject?: Digest;
  readonly pushedAt: string;
  /** Since when no tag points at it (its push, or the removal of its last tag); absent while tagged. */
  readonly untaggedAt?: string;
  /** Manifests of the same repository it references (an index's children). */
  readonly children: readonly Digest[];
}

/** One repository's manifests and tags, read in one transaction, with the version they were read at. */
export interface RepositorySnapshot {
  readonly repository: string;
  readonly version: number;
  readonly manifests: readonly ManifestNode[];
  readonly tags: readonly TagRecord[];
}

/** Deletions applied together; with `version`, only if the repository did not change since that snapshot. */
export interface DeletionPlan {
  readonly version?: number;
  /**
   * Manifest digests the plan took to be in no repository (the subjects of the accessories it deletes that
   * this repository does not hold): applied only if, at that moment, no repository holds one of them. A push
   * of one into another repository changes only that repository's version, so `version` cannot tell.
   */
  readonly absentEverywhere?: readonly Digest[];
  /** Tags to remove, each only while it still points at `digest`. */
  readonly tags: ReadonlyArray<{ readonly tag: string; readonly digest: Digest }>;
  /** Manifests to remove, with their references and the tags pointing at them. */
  readonly manifests: readonly Digest[];
}

/** Who holds a blob: repositories linking it, manifests referencing it (or being it). */
export interface BlobHolders {
  readonly links: ReadonlyArray<{ readonly repository: string; readonly linkedAt?: string }>;
  readonly manifests: ReadonlyArray<{ readonly repository: string; readonly digest: Digest }>;
  /** More holders than the limit asked for: the lists are not complete. */
  readonly truncated: boolean;
}

export interface UnreferencedQuery {
  /** Only blobs not touched (linked, referenced, reserved) since this ISO time. */
  readonly touchedBefore?: string;
  /** Only digests after this one (paging). */
  readonly after?: string;
  readonly limit?: number;
}

export interface MetadataStore {
  /** Repositories in lexical order (the catalog API). */
  listRepositories(page?: Page): Promise<string[]>;
  repositorySummaries(): Promise<RepositorySummary[]>;
  repositoryExists(repository: string): Promise<boolean>;

  /**
   * Before a push relies on a blob's bytes (finishing an upload that may find them already stored, writing a
   * manifest's bytes): marks the blob live and touched now (creating its row), or reports that a collector
   * claimed it. The epoch goes to `linkBlob`/`putManifest` as `reservation`.
   */
  reserveBlob(digest: Digest, now: string): Promise<BlobReservation>;
  /** Records that `repository` may serve this blob (after an upload or a mount), linked now; UNAVAILABLE when it is claimed. */
  linkBlob(repository: string, digest: Digest, options?: LinkOptions): Promise<void>;
  /** Links a blob `from` links into `to`, atomically with that check; false when `from` does not link it. */
  mountBlob(from: string, to: string, digest: Digest, now?: string): Promise<boolean>;
  isBlobLinked(repository: string, digest: Digest): Promise<boolean>;
  /**
   * Whether `repository` links the blob, moving the link's time to `now` when it is older than
   * `staleBefore`: a client that checks a blob before pushing a manifest that uses it (HEAD) keeps the
   * link from being collected as loose meanwhile; a write only once per half grace period per link.
   */
  refreshLink(repository: string, digest: Digest, now: string, staleBefore: string): Promise<boolean>;
  unlinkBlob(repository: string, digest: Digest): Promise<boolean>;
  /**
   * Loose links: blobs `repository` linked before `linkedBefore` that no manifest of the repository
   * references (nor is one) — an upload never used, or layers of deleted manifests. In digest order.
   */
  looseLinks(repository: string, linkedBefore: string, page?: { readonly after?: string; readonly limit?: number }): Promise<Digest[]>;
  /** Removes a link if it is (still) loose, atomically with that check. */
  unlinkIfLoose(repository: string, digest: Digest, linkedBefore: string): Promise<boolean>;
  /** Live blobs no repository links and no manifest references (nor is one), in digest order. */
  unreferencedBlobs(query?: UnreferencedQuery): Promise<Digest[]>;
  blobRow(digest: Digest): Promise<BlobRow | undefined>;
  /** Up to `limit` holders of each kind (what a dry run needs to tell which blobs a deletion would free). */
  blobHolders(digest: Digest, limit: number): Promise<BlobHolders>;

  /** Claims an unreferenced live blob untouched since `touchedBefore`, atomically with that check; undefined when it is not one. */
  claimBlob(digest: Digest, options: { readonly touchedBefore: string; readonly now: string }): Promise<BlobClaim | undefined>;
  /** Claims stored blobs the store has no row for (bytes without metadata); returns the ones claimed. */
  claimOrphans(digests: readonly Digest[], now: string): Promise<BlobClaim[]>;
  /** Claims not finished (a collector that stopped mid-sweep), oldest first. */
  claimedBlobs(options: { readonly claimedBefore?: string; readonly limit: number }): Promise<BlobClaim[]>;
  /** Drops a claimed row once its bytes are gone; false when the claim is not (any more) that one. */
  finishClaim(claim: Pick<BlobClaim, 'digest' | 'epoch'>): Promise<boolean>;

  /** Takes or renews a named lease (one collector at a time); false while another holder's lease runs. */
  acquireLease(name: string, holder: string, now: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;

  /** Live blobs whose size is not recorded (linked before sizes were), in digest order: the collector fills them in. */
  blobsWithoutSize(page: { readonly after?: string; readonly limit: number }): Promise<Digest[]>;
  /** Records a blob's size when none is recorded yet. */
  setBlobSize(digest: Digest, size: number): Promise<void>;
  /** Bytes of the distinct live blobs (manifests included) a project's repositories link or reference. */
  projectUsage(project: string): Promise<number>;
  /** Whether a blob already counts in a project's usage. */
  countsInProject(project: string, digest: Digest): Promise<boolean>;

  /**
   * Stores the manifest and, when given, points `tag` at it, atomically; with `options`, only if its own bytes
   * were not claimed since the reservation and everything it needs is in the repository at that moment.
   */
  putManifest(record: ManifestRecord, tag?: string, options?: PutManifestOptions): Promise<void>;
  getManifest(repository: string, digest: Digest): Promise<ManifestRecord | undefined>;
  /** The manifest without its references (one row): for lookups that need no references, so their cost never grows with the manifest's. */
  getManifestEntry(repository: string, digest: Digest): Promise<ManifestEntry | undefined>;
  /** Every repository holding this manifest digest. */
  repositoriesWithManifest(digest: Digest): Promise<string[]>;
  resolveTag(repository: string, tag: string): Promise<Digest | undefined>;
  listTags(repository: string, page?: Page): Promise<string[]>;
  tagsOf(repository: string): Promise<TagRecord[]>;
  /** Deletes the manifest and the tags pointing at it; false when it was not there. */
  deleteManifest(repository: string, digest: Digest): Promise<boolean>;
  deleteTag(repository: string, tag: string): Promise<boolean>;
  /** The repository's version, which every change to its manifests or tags moves; undefined when the repository is unknown. */
  repositoryVersion(repository: string): Promise<number | undefined>;
  /** Manifests and tags of a repository at one version (retention works from it); undefined when the repository is unknown. */
  repositorySnapshot(repository: string): Promise<RepositorySnapshot | undefined>;
  /**
   * Applies a deletion plan atomically; false (nothing changed) when `plan.version` is no longer the repository's version,
   * or a repository holds one of `plan.absentEverywhere`.
   */
  applyDeletions(repository: string, plan: DeletionPlan, now: string): Promise<boolean>;
  /**
   * Manifests that follow `digest` in `repository`: those whose subject it is, and those tagged with its
   * accessory tags (`sha256-<hex>` — the referrers fallback index — and `sha256-<hex>.<suffix>`: cosign's
   * `.sig`, `.att`, `.sbom`).
   */
  accessoriesOf(repository: string, digest: Digest): Promise<Digest[]>;
  /** Manifests whose subject is `subject`, optionally of one artifact type. */
  listReferrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestEntry[]>;

  saveScan(record: ScanRecord): Promise<void>;
  getScan(manifestDigest: Digest): Promise<ScanRecord | undefined>;
  /**
   * Image manifests (artifactType is an image config type) that need a scan:
   * never scanned, left queued or scanning (a restart picks them up), or
   * scanned (done, failed, skipped) with another database digest.
   */
  manifestsNeedingScan(databaseDigest: string, limit: number): Promise<Digest[]>;
  /**
   * Findings by severity over the latest result of every stored manifest
   * (once per digest, whatever the number of repositories holding it): the
   * `portcullis_findings` gauge. Optional so that test doubles need not have it.
   */
  severityTotals?(): Promise<Partial<Record<SeverityLevel, number>>>;
  close(): Promise<void>;
}
