/**
 * `core`, the vocabulary every module shares: the base error class, digests
 * and the streaming digest verifier, media types, OCI types and their strict
 * parsers, image references, the file-view, inventory, advisory and finding
 * types, bounded reads, the files a user names, pipelines into new files, zstd decompression, and small
 * array and wording helpers. Everything here is public; other modules import
 * it from this entry, or the base error class alone from `errors.ts` (a
 * second entry that loads nothing else: docs/architecture.md). The two files of types only are re-exported as
 * types, so that loading this entry does not load their empty modules.
 */
export * from './advisory.js';
export * from './arrays.js';
export * from './bounded.js';
export * from './digest.js';
export * from './errors.js';
export * from './expiry.js';
export type * from './files.js';
export * from './finding.js';
export type * from './inventory.js';
export * from './media-types.js';
export * from './oci.js';
export * from './plural.js';
export * from './reference.js';
export * from './user-files.js';
export * from './file-sink.js';
export * from './zstd.js';
