/**
 * The state object of one S3 upload (`uploads/<id>/state.json`): everything a
 * request on whichever machine needs to continue or finish the upload, since S3
 * objects cannot be appended to and no process keeps anything between
 * requests. Read back from the bucket, it is checked field by field, never
 * trusted as it stands.
 *
 * - `multipart` + `parts`: the S3 multipart upload at `uploads/<id>/data` and
 *   the parts sent so far (each ≥ 5 MiB), with their ETags;
 * - `hash`: the saved SHA-256 state over exactly the parts' bytes;
 * - `tail`: the bytes after the parts (fewer than S3's smallest part), inline
 *   when small, else in their own uniquely named object; they join the hash
 *   when they become a part or when the upload is finished.
 *
 * States written by the former layout (one object per append, `chunks`) are
 * not read as uploads: those uploads are unknown, so clients start again, and
 * the upload purge removes their objects as stale.
 */
import { parseUploadOwner, type UploadOwner, type UploadState } from './blob-store.js';
import type { UploadedPart } from './s3-multipart.js';

export interface StoredTail {
  readonly size: number;
  /** The bytes, base64, when small. */
  readonly inline?: string;
  /** Name of the object (under the upload's folder) holding them otherwise. */
  readonly object?: string;
}

export interface StoredUpload {
  readonly startedAt: string;
  readonly updatedAt: string;
  /** Bytes received: the parts' and the tail's. */
  readonly size: number;
  readonly owner?: UploadOwner;
  readonly multipart?: string;
  readonly parts: readonly UploadedPart[];
  readonly hash?: string;
  readonly tail?: StoredTail;
}

/** Tails up to this size live inside the state object: two requests fewer for small blobs and small chunks. */
export const INLINE_TAIL_BYTES = 64 * 1024;

export function parseStoredUpload(value: unknown): StoredUpload | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.startedAt !== 'string' || typeof v.updatedAt !== 'string' || !isCount(v.size) || !Array.isArray(v.parts)) return undefined;
  const parts: UploadedPart[] = [];
  for (const p of v.parts as unknown[]) {
    const part = p as Record<string, unknown> | null;
    if (part === null || typeof part !== 'object' || !isCount(part.n) || typeof part.etag !== 'string' || !isCount(part.size)) return undefined;
    parts.push({ n: part.n, etag: part.etag, size: part.size });
  }
  const tail = parseTail(v.tail);
  if (tail === null) return undefined;
  if (v.multipart !== undefined && typeof v.multipart !== 'string') return undefined;
  if (v.hash !== undefined && typeof v.hash !== 'string') return undefined;
  if (parts.length > 0 && v.multipart === undefined) return undefined;
  const total = parts.reduce((n, p) => n + p.size, 0) + (tail?.size ?? 0);
  if (total !== v.size) return undefined;
  const owner = parseUploadOwner(v.owner);
  return {
    startedAt: v.startedAt,
    updatedAt: v.updatedAt,
    size: v.size,
    parts,
    ...(owner ? { owner } : {}),
    ...(typeof v.multipart === 'string' ? { multipart: v.multipart } : {}),
    ...(typeof v.hash === 'string' ? { hash: v.hash } : {}),
    ...(tail ? { tail } : {}),
  };
}

/** undefined: no tail; null: malformed. */
function parseTail(value: unknown): StoredTail | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) return null;
  const t = value as Record<string, unknown>;
  if (!isCount(t.size)) return null;
  if (typeof t.inline === 'string' && t.object === undefined && Buffer.from(t.inline, 'base64').length === t.size) return { size: t.size, inline: t.inline };
  if (typeof t.object === 'string' && /^tail-[0-9a-f]{1,64}$/.test(t.object) && t.inline === undefined) return { size: t.size, object: t.object };
  return null;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function toUploadState(id: string, stored: StoredUpload): UploadState {
  return { id, size: stored.size, startedAt: new Date(stored.startedAt), ...(stored.owner ? { owner: stored.owner } : {}) };
}
