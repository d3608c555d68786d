/**
 * How manifests, tags, blob rows and a snapshot's parent-child lists come back
 * out of table rows, shared by the SQLite and PostgreSQL stores (as
 * scan-rows.ts is for scans) so that both return the same records: an
 * optional field is absent, never null, and numbers are numbers
 * (node-postgres reads `bigint` columns as strings).
 */
import type { Digest } from '../../core/index.js';
import type { BlobClaim, BlobRow, ManifestEntry, ManifestNode, ManifestRecord, TagRecord } from './store.js';

export interface ManifestRow {
  repository: string;
  digest: string;
  media_type: string;
  size: number | string;
  artifact_type: string | null;
  subject: string | null;
  annotations: string | null;
  pushed_at: string;
  untagged_at: string | null;
}

export interface TagRow {
  repository: string;
  tag: string;
  digest: string;
  updated_at: string;
}

export interface BlobTableRow {
  digest: string;
  state: string;
  epoch: number | string;
  size: number | string | null;
  touched_at: string | null;
  claimed_at: string | null;
}

/** A manifest row with its references (in order). */
export function recordOf(row: ManifestRow, references: readonly string[]): ManifestRecord {
  return { ...entryOf(row), references: references as Digest[] };
}

/** A manifest row without its references. */
export function entryOf(row: ManifestRow): ManifestEntry {
  return {
    repository: row.repository,
    digest: row.digest as Digest,
    mediaType: row.media_type,
    size: Number(row.size),
    pushedAt: row.pushed_at,
    ...(row.artifact_type !== null ? { artifactType: row.artifact_type } : {}),
    ...(row.subject !== null ? { subject: row.subject as Digest } : {}),
    ...(row.annotations !== null ? { annotations: JSON.parse(row.annotations) as Record<string, string> } : {}),
  };
}

/** The columns of a manifest row retention reads. */
export type NodeRow = Omit<ManifestRow, 'repository' | 'annotations'>;

/** A manifest row as retention sees it, with the manifests of its repository it references. */
export function nodeOf(row: NodeRow, children: readonly Digest[]): ManifestNode {
  return {
    digest: row.digest as Digest,
    mediaType: row.media_type,
    size: Number(row.size),
    pushedAt: row.pushed_at,
    children,
    ...(row.artifact_type !== null ? { artifactType: row.artifact_type } : {}),
    ...(row.subject !== null ? { subject: row.subject as Digest } : {}),
    ...(row.untagged_at !== null ? { untaggedAt: row.untagged_at } : {}),
  };
}

export function tagOf(row: TagRow): TagRecord {
  return { repository: row.repository, tag: row.tag, digest: row.digest as Digest, updatedAt: row.updated_at };
}

export function blobRowOf(row: BlobTableRow): BlobRow {
  return {
    digest: row.digest as Digest,
    state: row.state === 'deleting' ? 'deleting' : 'live',
    epoch: Number(row.epoch),
    ...(row.size !== null ? { size: Number(row.size) } : {}),
    ...(row.touched_at !== null ? { touchedAt: row.touched_at } : {}),
    ...(row.claimed_at !== null ? { claimedAt: row.claimed_at } : {}),
  };
}

/** A `deleting` row as the claim a collector left on it. */
export function claimOf(row: BlobTableRow): BlobClaim {
  return {
    digest: row.digest as Digest,
    epoch: Number(row.epoch),
    claimedAt: row.claimed_at ?? '',
    ...(row.size !== null ? { size: Number(row.size) } : {}),
  };
}

/** Keeps parents' children lists in the order the rows came (each parent's references in order). */
export function childrenOf(rows: Iterable<{ parent: string; child: string }>): Map<string, Digest[]> {
  const children = new Map<string, Digest[]>();
  for (const { parent, child } of rows) {
    const list = children.get(parent);
    if (list) list.push(child as Digest);
    else children.set(parent, [child as Digest]);
  }
  return children;
}
