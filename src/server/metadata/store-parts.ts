/**
 * A metadata store in parts, one area of the MetadataStore contract each, and
 * the class that puts them together. Both stores (sqlite.ts, postgres.ts) are
 * built the same way: the class keeps the connection, the schema and the
 * repository catalog, and hands every other method to a part of its own
 * backend — blob links (`*-links.ts`), garbage collection's claims, leases,
 * sizes and quotas (`*-collection.ts`), manifests and tags (`*-manifests.ts`),
 * retention's snapshots and plans (`*-retention.ts`), and scan records
 * (`*-scans.ts`) — so each file has one job and the two backends mirror each
 * other file for file. Why a shared class rather than the delegation written
 * out in each store: it is the same forty lines twice otherwise.
 */
import type { Digest, SeverityLevel } from '../../core/index.js';
import type {
  BlobClaim,
  BlobHolders,
  BlobReservation,
  BlobRow,
  DeletionPlan,
  LinkOptions,
  ManifestEntry,
  ManifestRecord,
  MetadataStore,
  Page,
  PutManifestOptions,
  RepositorySnapshot,
  RepositorySummary,
  ScanRecord,
  TagRecord,
  UnreferencedQuery,
} from './store.js';

/** Reservations and a repository's links to blobs. */
export type LinkPart = Pick<MetadataStore, 'reserveBlob' | 'linkBlob' | 'mountBlob' | 'isBlobLinked' | 'refreshLink' | 'unlinkBlob' | 'looseLinks' | 'unlinkIfLoose'>;
/** What a collector asks and claims: unreferenced blobs, holders, claims, its lease; sizes and project usage. */
export type CollectionPart = Pick<
  MetadataStore,
  | 'unreferencedBlobs'
  | 'blobRow'
  | 'blobHolders'
  | 'claimBlob'
  | 'claimOrphans'
  | 'claimedBlobs'
  | 'finishClaim'
  | 'acquireLease'
  | 'releaseLease'
  | 'blobsWithoutSize'
  | 'setBlobSize'
  | 'projectUsage'
  | 'countsInProject'
>;
/** Manifests, tags and referrers, as the distribution API reads and writes them. */
export type ManifestPart = Pick<
  MetadataStore,
  'putManifest' | 'getManifest' | 'getManifestEntry' | 'repositoriesWithManifest' | 'resolveTag' | 'listTags' | 'tagsOf' | 'deleteManifest' | 'deleteTag' | 'listReferrers'
>;
/** A repository as retention sees it, and its plans applied. */
export type RetentionPart = Pick<MetadataStore, 'repositoryVersion' | 'repositorySnapshot' | 'applyDeletions' | 'accessoriesOf'>;
/** Scan records, and the totals the metrics read. */
export type ScanPart = Pick<MetadataStore, 'saveScan' | 'getScan' | 'manifestsNeedingScan'> & Required<Pick<MetadataStore, 'severityTotals'>>;

export interface MetadataStoreParts {
  readonly links: LinkPart;
  readonly collection: CollectionPart;
  readonly manifests: ManifestPart;
  readonly retention: RetentionPart;
  readonly scans: ScanPart;
}

export abstract class ComposedMetadataStore implements MetadataStore {
  readonly #links: LinkPart;
  readonly #collection: CollectionPart;
  readonly #manifests: ManifestPart;
  readonly #retention: RetentionPart;
  readonly #scans: ScanPart;

  protected constructor(parts: MetadataStoreParts) {
    this.#links = parts.links;
    this.#collection = parts.collection;
    this.#manifests = parts.manifests;
    this.#retention = parts.retention;
    this.#scans = parts.scans;
  }

  abstract listRepositories(page?: Page): Promise<string[]>;
  abstract repositorySummaries(): Promise<RepositorySummary[]>;
  abstract repositoryExists(repository: string): Promise<boolean>;
  abstract close(): Promise<void>;

  reserveBlob(digest: Digest, now: string): Promise<BlobReservation> {
    return this.#links.reserveBlob(digest, now);
  }
  linkBlob(repository: string, digest: Digest, options?: LinkOptions): Promise<void> {
    return this.#links.linkBlob(repository, digest, options);
  }
  mountBlob(from: string, to: string, digest: Digest, now?: string): Promise<boolean> {
    return this.#links.mountBlob(from, to, digest, now);
  }
  isBlobLinked(repository: string, digest: Digest): Promise<boolean> {
    return this.#links.isBlobLinked(repository, digest);
  }
  refreshLink(repository: string, digest: Digest, now: string, staleBefore: string): Promise<boolean> {
    return this.#links.refreshLink(repository, digest, now, staleBefore);
  }
  unlinkBlob(repository: string, digest: Digest): Promise<boolean> {
    return this.#links.unlinkBlob(repository, digest);
  }
  looseLinks(repository: string, linkedBefore: string, page?: { readonly after?: string; readonly limit?: number }): Promise<Digest[]> {
    return this.#links.looseLinks(repository, linkedBefore, page);
  }
  unlinkIfLoose(repository: string, digest: Digest, linkedBefore: string): Promise<boolean> {
    return this.#links.unlinkIfLoose(repository, digest, linkedBefore);
  }

  unreferencedBlobs(query?: UnreferencedQuery): Promise<Digest[]> {
    return this.#collection.unreferencedBlobs(query);
  }
  blobRow(digest: Digest): Promise<BlobRow | undefined> {
    return this.#collection.blobRow(digest);
  }
  blobHolders(digest: Digest, limit: number): Promise<BlobHolders> {
    return this.#collection.blobHolders(digest, limit);
  }
  claimBlob(digest: Digest, options: { readonly touchedBefore: string; readonly now: string }): Promise<BlobClaim | undefined> {
    return this.#collection.claimBlob(digest, options);
  }
  claimOrphans(digests: readonly Digest[], now: string): Promise<BlobClaim[]> {
    return this.#collection.claimOrphans(digests, now);
  }
  claimedBlobs(options: { readonly claimedBefore?: string; readonly limit: number }): Promise<BlobClaim[]> {
    return this.#collection.claimedBlobs(options);
  }
  finishClaim(claim: Pick<BlobClaim, 'digest' | 'epoch'>): Promise<boolean> {
    return this.#collection.finishClaim(claim);
  }
  acquireLease(name: string, holder: string, now: string, ttlMs: number): Promise<boolean> {
    return this.#collection.acquireLease(name, holder, now, ttlMs);
  }
  releaseLease(name: string, holder: string): Promise<void> {
    return this.#collection.releaseLease(name, holder);
  }
  blobsWithoutSize(page: { readonly after?: string; readonly limit: number }): Promise<Digest[]> {
    return this.#collection.blobsWithoutSize(page);
  }
  setBlobSize(digest: Digest, size: number): Promise<void> {
    return this.#collection.setBlobSize(digest, size);
  }
  projectUsage(project: string): Promise<number> {
    return this.#collection.projectUsage(project);
  }
  countsInProject(project: string, digest: Digest): Promise<boolean> {
    return this.#collection.countsInProject(project, digest);
  }

  putManifest(record: ManifestRecord, tag?: string, options?: PutManifestOptions): Promise<void> {
    return this.#manifests.putManifest(record, tag, options);
  }
  getManifest(repository: string, digest: Digest): Promise<ManifestRecord | undefined> {
    return this.#manifests.getManifest(repository, digest);
  }
  getManifestEntry(repository: string, digest: Digest): Promise<ManifestEntry | undefined> {
    return this.#manifests.getManifestEntry(repository, digest);
  }
  repositoriesWithManifest(digest: Digest): Promise<string[]> {
    return this.#manifests.repositoriesWithManifest(digest);
  }
  resolveTag(repository: string, tag: string): Promise<Digest | undefined> {
    return this.#manifests.resolveTag(repository, tag);
  }
  listTags(repository: string, page?: Page): Promise<string[]> {
    return this.#manifests.listTags(repository, page);
  }
  tagsOf(repository: string): Promise<TagRecord[]> {
    return this.#manifests.tagsOf(repository);
  }
  deleteManifest(repository: string, digest: Digest): Promise<boolean> {
    return this.#manifests.deleteManifest(repository, digest);
  }
  deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.#manifests.deleteTag(repository, tag);
  }
  listReferrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestEntry[]> {
    return this.#manifests.listReferrers(repository, subject, artifactType);
  }

  repositoryVersion(repository: string): Promise<number | undefined> {
    return this.#retention.repositoryVersion(repository);
  }
  repositorySnapshot(repository: string): Promise<RepositorySnapshot | undefined> {
    return this.#retention.repositorySnapshot(repository);
  }
  applyDeletions(repository: string, plan: DeletionPlan, now: string): Promise<boolean> {
    return this.#retention.applyDeletions(repository, plan, now);
  }
  accessoriesOf(repository: string, digest: Digest): Promise<Digest[]> {
    return this.#retention.accessoriesOf(repository, digest);
  }

  saveScan(record: ScanRecord): Promise<void> {
    return this.#scans.saveScan(record);
  }
  getScan(manifestDigest: Digest): Promise<ScanRecord | undefined> {
    return this.#scans.getScan(manifestDigest);
  }
  manifestsNeedingScan(databaseDigest: string, limit: number): Promise<Digest[]> {
    return this.#scans.manifestsNeedingScan(databaseDigest, limit);
  }
  severityTotals(): Promise<Partial<Record<SeverityLevel, number>>> {
    return this.#scans.severityTotals();
  }
}
