/**
 * The local blob cache, an entry of `image` of its own (docs/architecture.md):
 * `portcullis cache info|clean` and the EOL data's folder need it without
 * the rest of `image`, and commands that only parse registry flags (the
 * trust commands, login) do not load it. Remote sources read through it
 * (`withBlobCache`).
 */
export { BlobCache, defaultCacheRoot, type BlobCacheOptions } from './blob-cache.js';
export { withBlobCache } from './with-cache.js';
export { DEFAULT_CACHE_MAX_BYTES, cacheInfo, cleanCache, trimCache, type CacheInfo, type CleanOptions, type RemovalResult } from './maintenance.js';
