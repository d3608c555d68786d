/**
 * Where the registry keeps bytes: a content-addressed blob store (layers,
 * configs and manifests alike, as distribution does) plus resumable uploads.
 * Implementations: `filesystem.ts` (the default, a local folder) and `s3.ts`
 * (S3-compatible object storage, for many machines). Repository membership,
 * tags and manifests' meaning live in the metadata store, not here.
 *
 * Contract, tested against every driver by `test/server/storage/contract.ts`:
 * - a blob is visible only after `finishUpload` verified its digest; a failed or
 *   cancelled upload leaves nothing behind;
 * - `read` of a missing blob throws ServeError BLOB_UNKNOWN;
 * - appending at the wrong offset throws RANGE_INVALID and changes nothing;
 * - the owner given to `startUpload` (repository and user) is kept with the
 *   upload and comes back with every state, so the API can refuse an upload
 *   to anyone but the client that started it, through any other repository;
 * - `list` names every stored blob with its size and last write time, and
 *   `delete` of a missing blob is false, not an error (two collectors, or a
 *   collector finishing a claim another one started, delete the same blob).
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../core/index.js';

export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
}

/** A stored blob as a listing sees it: garbage collection spares bytes younger than its grace period. */
export interface StoredBlob extends BlobInfo {
  /** When the bytes were last written. */
  readonly modifiedAt: Date;
}

/** Inclusive byte range, as HTTP's `Range: bytes=start-end`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Who started an upload, and where: only the same principal, through the same repository, may use it. */
export interface UploadOwner {
  readonly repository: string;
  /** The signed-in user; absent for anonymous uploads (no authentication configured). */
  readonly principal?: string;
}

export interface UploadState {
  readonly id: string;
  /** Bytes received so far. */
  readonly size: number;
  readonly startedAt: Date;
  /** As given to `startUpload`; absent when none was (or for uploads stored before owners were recorded). */
  readonly owner?: UploadOwner;
}

export interface BlobStore {
  /** Driver name for logs and metrics: `filesystem`, `s3`. */
  readonly driver: string;
  /** True when every `stat` is a network request (S3): the API then answers HEAD from the metadata's recorded size. */
  readonly remote?: boolean;
  /** Where a client may fetch the blob itself (a presigned URL), when the store is set to redirect; else undefined. */
  redirectUrl?(digest: Digest): Promise<string | undefined>;
  stat(digest: Digest): Promise<BlobInfo | undefined>;
  /** The blob's bytes (or a range of them); throws BLOB_UNKNOWN when absent, RANGE_INVALID when the range is outside it. */
  read(digest: Digest, range?: ByteRange): Promise<Readable>;
  /** Stores bytes whose digest the caller already knows, verifying it (manifests). */
  putBytes(digest: Digest, bytes: Buffer): Promise<BlobInfo>;
  /** True when the blob existed. */
  delete(digest: Digest): Promise<boolean>;
  /** Every stored blob with its size and write time, for garbage collection (in no particular order). */
  list(): AsyncIterable<StoredBlob>;

  startUpload(owner?: UploadOwner): Promise<UploadState>;
  uploadState(id: string): Promise<UploadState | undefined>;
  /**
   * Appends `content` at `offset` (which must equal the current size). Stops
   * with SIZE_INVALID past `maxBytes` in total. Returns the new state.
   */
  appendUpload(id: string, offset: number, content: Readable, options?: { maxBytes?: number }): Promise<UploadState>;
  /** Verifies the whole upload against `digest` and makes it a blob; on mismatch throws DIGEST_INVALID and removes the upload. */
  finishUpload(id: string, digest: Digest): Promise<BlobInfo>;
  cancelUpload(id: string): Promise<void>;
  /** Uploads untouched since `before`, for purging abandoned ones. */
  staleUploads(before: Date): Promise<string[]>;
  close(): Promise<void>;
}

/** An owner read back from storage: well-formed or absent (never trusted as it stands). */
export function parseUploadOwner(value: unknown): UploadOwner | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { repository, principal } = value as { repository?: unknown; principal?: unknown };
  if (typeof repository !== 'string') return undefined;
  if (principal !== undefined && typeof principal !== 'string') return undefined;
  return principal === undefined ? { repository } : { repository, principal };
}
