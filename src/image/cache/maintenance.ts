/**
 * Keeping the blob cache (blob-cache.ts) in bounds: what is in it, removing
 * entries by age or all of them, and trimming it to a size by evicting the
 * least recently used blobs first (LRU by the time a blob was last read or
 * written: BlobCache marks each hit by setting the file's access time, so
 * `noatime`/`relatime` mounts do not blind the order).
 *
 * Only `<root>/blobs/` is touched: the advisory database and the EOL data
 * that live under the same root are not cache entries. A blob removed while
 * another process reads it stays readable to that reader (unlink semantics);
 * one removed before another process looks it up is a miss, fetched again.
 * Memory stays bounded: directories are streamed (opendir), and a trim
 * examines at most MAX_TRACKED entries per pass.
 */
import { promises as fs, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { isDigest } from '../../core/index.js';
import { errnoCode, fsError, removeQuietly } from '../transports/local/files.js';

/** The default size bound: a few base images and their layers, not a mirror. */
export const DEFAULT_CACHE_MAX_BYTES = 2 * 1024 ** 3;
/** Entries a trim sorts at once (about 100 bytes each). */
export const MAX_TRACKED = 100_000;
/** A temp file older than this is left over by a crashed process. */
const STALE_TEMP_MS = 60 * 60 * 1000;

export interface CacheEntry {
  readonly path: string;
  readonly digest: string;
  readonly size: number;
  /** When the blob was last read or written (ms since the epoch). */
  readonly lastUsedMs: number;
}

export interface CacheInfo {
  /** `<root>/blobs`. */
  readonly location: string;
  readonly entries: number;
  readonly bytes: number;
  readonly oldestUseMs?: number;
  readonly newestUseMs?: number;
  /** Temp files of writes in progress or interrupted, and their bytes. */
  readonly partial: { readonly files: number; readonly bytes: number };
}

export interface RemovalResult {
  readonly removed: number;
  readonly bytes: number;
  /** Entries and bytes left. */
  readonly left: { readonly entries: number; readonly bytes: number };
}

type Visit = { readonly kind: 'blob'; readonly entry: CacheEntry } | { readonly kind: 'temp'; readonly path: string; readonly size: number; readonly mtimeMs: number };

export function blobsDirectory(root: string): string {
  return join(root, 'blobs');
}

/** Every regular file under `<root>/blobs/<alg>/`, streamed. */
async function* walk(root: string): AsyncGenerator<Visit> {
  const top = blobsDirectory(root);
  for await (const alg of entriesOf(top)) {
    if (!alg.isDirectory()) continue;
    const dir = join(top, alg.name);
    for await (const file of entriesOf(dir)) {
      if (!file.isFile()) continue;
      const path = join(dir, file.name);
      const stat = await fs.lstat(path).catch(() => undefined);
      if (!stat?.isFile()) continue;
      if (file.name.startsWith('.tmp-')) {
        yield { kind: 'temp', path, size: stat.size, mtimeMs: stat.mtimeMs };
        continue;
      }
      const digest = `${alg.name}:${file.name}`;
      if (!isDigest(digest)) continue;
      yield { kind: 'blob', entry: { path, digest, size: stat.size, lastUsedMs: Math.max(stat.atimeMs, stat.mtimeMs) } };
    }
  }
}

async function* entriesOf(dir: string): AsyncGenerator<Dirent> {
  let handle;
  try {
    handle = await fs.opendir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return;
    throw fsError(error, `blob cache ${dir}`);
  }
  yield* handle;
}

/** Size, entry count and age range of the cache. */
export async function cacheInfo(root: string): Promise<CacheInfo> {
  let entries = 0;
  let bytes = 0;
  let oldest: number | undefined;
  let newest: number | undefined;
  const partial = { files: 0, bytes: 0 };
  for await (const visit of walk(root)) {
    if (visit.kind === 'temp') {
      partial.files++;
      partial.bytes += visit.size;
      continue;
    }
    entries++;
    bytes += visit.entry.size;
    oldest = oldest === undefined ? visit.entry.lastUsedMs : Math.min(oldest, visit.entry.lastUsedMs);
    newest = newest === undefined ? visit.entry.lastUsedMs : Math.max(newest, visit.entry.lastUsedMs);
  }
  return {
    location: blobsDirectory(root),
    entries,
    bytes,
    ...(oldest !== undefined ? { oldestUseMs: oldest } : {}),
    ...(newest !== undefined ? { newestUseMs: newest } : {}),
    partial,
  };
}

export interface CleanOptions {
  /** Remove only blobs not used for this long; without it, every blob. */
  readonly olderThanMs?: number;
  readonly now?: Date;
}

/** Removes blobs (all, or those unused for `olderThanMs`), and temp files left by crashed writes. */
export async function cleanCache(root: string, options: CleanOptions = {}): Promise<RemovalResult> {
  const now = (options.now ?? new Date()).getTime();
  let removed = 0;
  let freed = 0;
  let leftEntries = 0;
  let leftBytes = 0;
  for await (const visit of walk(root)) {
    if (visit.kind === 'temp') {
      if (now - visit.mtimeMs > STALE_TEMP_MS) {
        await removeQuietly(visit.path);
        freed += visit.size;
      }
      continue;
    }
    const { entry } = visit;
    if (options.olderThanMs === undefined || now - entry.lastUsedMs > options.olderThanMs) {
      await removeQuietly(entry.path);
      removed++;
      freed += entry.size;
    } else {
      leftEntries++;
      leftBytes += entry.size;
    }
  }
  return { removed, bytes: freed, left: { entries: leftEntries, bytes: leftBytes } };
}

/**
 * Evicts the least recently used blobs until the cache holds at most
 * `maxBytes`. Nothing happens when it already does.
 */
export async function trimCache(root: string, maxBytes: number): Promise<RemovalResult> {
  const tracked: CacheEntry[] = [];
  let total = 0;
  let entries = 0;
  for await (const visit of walk(root)) {
    if (visit.kind !== 'blob') continue;
    entries++;
    total += visit.entry.size;
    if (tracked.length < MAX_TRACKED) tracked.push(visit.entry);
  }
  if (total <= maxBytes) return { removed: 0, bytes: 0, left: { entries, bytes: total } };
  tracked.sort((a, b) => a.lastUsedMs - b.lastUsedMs);
  let removed = 0;
  let freed = 0;
  for (const entry of tracked) {
    if (total - freed <= maxBytes) break;
    await removeQuietly(entry.path);
    removed++;
    freed += entry.size;
  }
  return { removed, bytes: freed, left: { entries: entries - removed, bytes: total - freed } };
}
