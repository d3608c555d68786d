/**
 * Where the scan of one manifest stands, as the pages show it. The store keeps
 * one scan record per image manifest; a tag often points at an index
 * (`docker buildx` pushes one per multi-platform image), which is never
 * scanned itself, so an index shows the worst of its platform images and the
 * least advanced of their states. Manifests that are not images (signatures,
 * SBOMs, attestations: a config type other than an image config) are labelled
 * as such instead of sitting forever at "not scanned".
 */
import { type Digest, isIndexMediaType, MediaType } from '../../core/index.js';
import type { ManifestEntry, ManifestRecord, MetadataStore, ScanRecord } from '../metadata/store.js';
import type { DisplayState } from './html.js';
import { countFindings, worstCounts, type SeverityCounts } from './severity.js';

export interface ImageStatus {
  readonly state: DisplayState;
  readonly counts?: SeverityCounts;
  /** The scanner's error for a failed scan. */
  readonly error?: string;
  /** For an index: how many platform images it holds. */
  readonly images?: number;
}

const IMAGE_CONFIGS: readonly string[] = [MediaType.OciConfig, MediaType.DockerConfig];
/** Indexes of indexes are allowed by the spec but rare; deeper ones are not followed. */
const MAX_DEPTH = 2;
/**
 * Distinct platform images of one index looked at, at most: a real index lists a few dozen; a hostile one lists
 * the same child 28,000 times (4 MiB), and an index of such indexes made every page that showed it walk
 * 28,000 × 28,000 children.
 */
export const MAX_INDEX_CHILDREN = 64;

/** Counts as stored, else computed from the stored result. */
export function countsOf(scan: ScanRecord): SeverityCounts | undefined {
  return scan.counts ?? (scan.result ? countFindings(scan.result.findings) : undefined);
}

export function statusOfScan(scan: ScanRecord): ImageStatus {
  const counts = countsOf(scan);
  return { state: scan.state, ...(counts ? { counts } : {}), ...(scan.error ? { error: scan.error } : {}) };
}

export function isIndex(manifest: ManifestEntry): boolean {
  return isIndexMediaType(manifest.mediaType);
}

/**
 * The manifests an index references that this repository holds (its platform images): each digest once, the first
 * MAX_INDEX_CHILDREN of them, read without their references (one row each, however many layers they list).
 */
export async function indexChildren(metadata: MetadataStore, manifest: ManifestRecord): Promise<ManifestEntry[]> {
  const digests = [...new Set(manifest.references)].slice(0, MAX_INDEX_CHILDREN);
  const children: ManifestEntry[] = [];
  for (const digest of digests) {
    const child = await metadata.getManifestEntry(manifest.repository, digest);
    if (child) children.push(child);
  }
  return children;
}

export async function imageStatus(metadata: MetadataStore, repository: string, digest: Digest, depth = 0): Promise<ImageStatus> {
  const scan = await metadata.getScan(digest);
  if (scan) return statusOfScan(scan);
  const entry = await metadata.getManifestEntry(repository, digest);
  if (!entry) return { state: 'none' };
  if (isIndex(entry)) {
    if (depth >= MAX_DEPTH) return { state: 'none' };
    // Only an index is read with its references (the children it lists).
    const manifest = await metadata.getManifest(repository, digest);
    if (!manifest) return { state: 'none' };
    const children = await indexChildren(metadata, manifest);
    const statuses = await Promise.all(children.map((c) => imageStatus(metadata, repository, c.digest, depth + 1)));
    return combine(statuses.filter((s) => s.state !== 'skipped'));
  }
  // The scan service records 'skipped' for these; until it has, the config type tells (as in `artifact.ts`).
  if (!entry.artifactType || !IMAGE_CONFIGS.includes(entry.artifactType)) return { state: 'skipped' };
  return { state: 'none' };
}

/** Most urgent first: an index is as far along as its least advanced image. */
const STATE_RANK: readonly DisplayState[] = ['failed', 'scanning', 'queued', 'none', 'done', 'skipped'];
const SORT_RANK: readonly DisplayState[] = ['done', 'failed', 'scanning', 'queued', 'none', 'skipped'];

function combine(statuses: readonly ImageStatus[]): ImageStatus {
  if (!statuses.length) return { state: 'none', images: 0 };
  const state = STATE_RANK.find((s) => statuses.some((x) => x.state === s)) ?? 'none';
  const counts = worstCounts(statuses.map((s) => s.counts));
  return { state, images: statuses.length, ...(counts ? { counts } : {}) };
}

/** Sort rank of a state among images with equal counts: finished results before pending ones. */
export function stateRank(state: DisplayState): number {
  return SORT_RANK.indexOf(state);
}
