/**
 * What the registry knows about its content: repositories, which blobs belong
 * to which repository, manifests with their references (config, layers, index
 * children, subject), tags, and each image's scan results. Implementations:
 * `sqlite.ts` (the default, one file beside the blobs) and `postgres.ts` (for
 * many machines sharing one database). Every method is one transaction.
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

export interface MetadataStore {
  /** Repositories in lexical order (the catalog API). */
  listRepositories(page?: Page): Promise<string[]>;
  repositorySummaries(): Promise<RepositorySummary[]>;
  repositoryExists(repository: string): Promise<boolean>;

  /** Records that `repository` may serve this blob (after an upload or a mount). */
  linkBlob(repository: string, digest: Digest): Promise<void>;
  isBlobLinked(repository: string, digest: Digest): Promise<boolean>;
  unlinkBlob(repository: string, digest: Digest): Promise<boolean>;
  /** Blobs no repository links and no manifest references: safe to delete. */
  unreferencedBlobs(): Promise<Digest[]>;

  /** Stores the manifest and, when given, points `tag` at it, atomically. */
  putManifest(record: ManifestRecord, tag?: string): Promise<void>;
  getManifest(repository: string, digest: Digest): Promise<ManifestRecord | undefined>;
  /** Every repository holding this manifest digest. */
  repositoriesWithManifest(digest: Digest): Promise<string[]>;
  resolveTag(repository: string, tag: string): Promise<Digest | undefined>;
  listTags(repository: string, page?: Page): Promise<string[]>;
  tagsOf(repository: string): Promise<TagRecord[]>;
  /** Deletes the manifest and the tags pointing at it; false when it was not there. */
  deleteManifest(repository: string, digest: Digest): Promise<boolean>;
  deleteTag(repository: string, tag: string): Promise<boolean>;
  /** Manifests whose subject is `subject`, optionally of one artifact type. */
  listReferrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestRecord[]>;

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
