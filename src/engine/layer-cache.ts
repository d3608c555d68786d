/**
 * The layer analysis cache: what the layer walk saw of each layer
 * (layers/recording.ts), kept so that the next scan of the image, or of
 * another image on the same base layers, replays it instead of reading the
 * blob. `portcullis scan` keeps it under `<cache root>/layers/`
 * ($PORTCULLIS_CACHE_DIR, else $XDG_CACHE_HOME/portcullis, else
 * ~/.cache/portcullis), `portcullis serve` under `<root>/layer-cache/`;
 * `portcullis cache info|clean` shows and empties it.
 *
 * Keyed by the blob's digest and its diffID (what was read, so an image
 * config cannot borrow another layer's analysis by naming its diffID) and by
 * `inventoryKey` (every cataloguer's name and version, and the walk's
 * version: what the walk selects depends on them). A hit is replayed only
 * after the recording proved whole and valid (layers/recording-codec.ts); a
 * corrupt file is deleted and counts as a miss. The cache never fails a
 * scan: an unreadable or unwritable folder is a miss and a skipped write.
 *
 * On disk: one file per key, `layers/<sha256 hex>`, mode 0600 in folders of
 * mode 0700, written to a temp file beside it and renamed into place, and
 * bounded: after a write the least recently used files (by the time of the
 * last hit, set on each hit) go until the folder is within its size.
 *
 * The key and the recording's bytes are `inventory.ts`'s (`layerRecordingCache`);
 * this file is the bounded folder alone, so `cache info|clean` load nothing
 * else. An entry of `engine` of its own (docs/architecture.md): the scan
 * command, the cache command and the server.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheRoot } from '../image/cache/index.js';
import type { SystemContext } from '../image/index.js';

/** The default bound of the folder: hundreds of layers (a Debian base layer's recording is ~1 MB). */
export const DEFAULT_LAYER_CACHE_MAX_BYTES = 512 * 1024 * 1024;
/** Files a trim sorts at once. */
const MAX_TRACKED = 100_000;
/** A temp file older than this was left by a crashed process. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** A bounded store of byte strings by key: the folder here; anything else with the same contract. */
export interface LayerCacheStore {
  /** The bytes under `key`, or undefined. Never throws. */
  read(key: string): Promise<Buffer | undefined>;
  /** Stores `bytes` under `key`, replacing what was there. Never throws. */
  write(key: string, bytes: Buffer): Promise<void>;
  /** Drops `key` (a corrupt entry). Never throws. */
  remove(key: string): Promise<void>;
}

export interface LayerCacheOptions {
  /** The folder of the entries (created 0700 on the first write). */
  readonly dir: string;
  readonly maxBytes?: number;
}

export interface LayerCacheInfo {
  readonly location: string;
  readonly entries: number;
  readonly bytes: number;
  readonly oldestUseMs?: number;
  readonly newestUseMs?: number;
}

export interface LayerCacheRemoval {
  readonly removed: number;
  readonly bytes: number;
  readonly left: { readonly entries: number; readonly bytes: number };
}

interface Entry {
  readonly path: string;
  readonly size: number;
  readonly usedMs: number;
}

const KEY = /^[0-9a-f]{64}$/;

/** The folder of the CLI's layer cache under a cache root. */
export function layerCacheDir(cacheRoot: string): string {
  return join(cacheRoot, 'layers');
}

/** The CLI's layer cache for a context (its cache root); undefined when `PORTCULLIS_LAYER_CACHE=off`. */
export function cliLayerCache(context: Pick<SystemContext, 'cacheDir' | 'env'>): DirectoryLayerCache | undefined {
  const env = context.env ?? process.env;
  if (env.PORTCULLIS_LAYER_CACHE === 'off') return undefined;
  return new DirectoryLayerCache({ dir: layerCacheDir(defaultCacheRoot(context)) });
}

export class DirectoryLayerCache implements LayerCacheStore {
  readonly dir: string;
  readonly maxBytes: number;

  constructor(options: LayerCacheOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? DEFAULT_LAYER_CACHE_MAX_BYTES;
  }

  async read(key: string): Promise<Buffer | undefined> {
    if (!KEY.test(key)) return undefined;
    const path = join(this.dir, key);
    try {
      // Never more than the folder may hold: a file grown past it (by hand, by another tool) is not read into memory.
      const stat = await fs.stat(path);
      if (!stat.isFile() || stat.size > this.maxBytes) return undefined;
      const bytes = await fs.readFile(path);
      // Marks the use for LRU eviction.
      const now = new Date();
      await fs.utimes(path, now, now).catch(() => undefined);
      return bytes;
    } catch {
      return undefined;
    }
  }

  async write(key: string, bytes: Buffer): Promise<void> {
    if (!KEY.test(key) || bytes.length > this.maxBytes) return;
    const path = join(this.dir, key);
    const temp = join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      await fs.writeFile(temp, bytes, { mode: 0o600, flag: 'wx' });
      await fs.rename(temp, path);
    } catch {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      return;
    }
    await this.trim(this.maxBytes).catch(() => undefined);
  }

  async remove(key: string): Promise<void> {
    if (KEY.test(key)) await fs.rm(join(this.dir, key), { force: true }).catch(() => undefined);
  }

  /** Size, entry count and age range. */
  async info(): Promise<LayerCacheInfo> {
    let entries = 0;
    let bytes = 0;
    let oldest: number | undefined;
    let newest: number | undefined;
    for await (const entry of this.entries()) {
      entries++;
      bytes += entry.size;
      oldest = Math.min(oldest ?? entry.usedMs, entry.usedMs);
      newest = Math.max(newest ?? entry.usedMs, entry.usedMs);
    }
    return { location: this.dir, entries, bytes, ...(oldest !== undefined ? { oldestUseMs: oldest, newestUseMs: newest } : {}) };
  }

  /** Removes every entry, or those unused for `olderThanMs`; temp files of crashed writes too. */
  async clean(options: { olderThanMs?: number; now?: Date } = {}): Promise<LayerCacheRemoval> {
    const now = (options.now ?? new Date()).getTime();
    let removed = 0;
    let freed = 0;
    let left = 0;
    let leftBytes = 0;
    for await (const entry of this.entries(true)) {
      if (options.olderThanMs === undefined || now - entry.usedMs > options.olderThanMs) {
        await fs.rm(entry.path, { force: true });
        removed++;
        freed += entry.size;
      } else {
        left++;
        leftBytes += entry.size;
      }
    }
    return { removed, bytes: freed, left: { entries: left, bytes: leftBytes } };
  }

  /** Evicts the least recently used entries until the folder holds at most `maxBytes`. */
  async trim(maxBytes: number): Promise<LayerCacheRemoval> {
    const tracked: Entry[] = [];
    let total = 0;
    let count = 0;
    for await (const entry of this.entries()) {
      count++;
      total += entry.size;
      if (tracked.length < MAX_TRACKED) tracked.push(entry);
    }
    if (total <= maxBytes) return { removed: 0, bytes: 0, left: { entries: count, bytes: total } };
    tracked.sort((a, b) => a.usedMs - b.usedMs);
    let removed = 0;
    let freed = 0;
    for (const entry of tracked) {
      if (total - freed <= maxBytes) break;
      await fs.rm(entry.path, { force: true });
      removed++;
      freed += entry.size;
    }
    return { removed, bytes: freed, left: { entries: count - removed, bytes: total - freed } };
  }

  /** The entries (regular files named by a key), streamed; with `stale`, temp files over an hour old too. */
  private async *entries(stale = false): AsyncGenerator<Entry> {
    let handle;
    try {
      handle = await fs.opendir(this.dir);
    } catch {
      return;
    }
    const now = Date.now();
    for await (const dirent of handle) {
      const isKey = KEY.test(dirent.name);
      if (!dirent.isFile() || (!isKey && !(stale && dirent.name.startsWith('.tmp-')))) continue;
      const path = join(this.dir, dirent.name);
      const stat = await fs.lstat(path).catch(() => undefined);
      if (!stat?.isFile()) continue;
      if (!isKey && now - stat.mtimeMs <= STALE_TEMP_MS) continue;
      yield { path, size: stat.size, usedMs: Math.max(stat.atimeMs, stat.mtimeMs) };
    }
  }
}
