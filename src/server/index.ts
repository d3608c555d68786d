/**
 * `server`, its public entry: `portcullis serve`, the OCI registry that scans
 * what is pushed and refuses to serve what policy forbids. `startRegistry`
 * turns a `RegistryConfig` into running services and a listening server.
 * Importing this entry loads the whole server (Fastify, the stores, the UI),
 * so the CLI imports it only once the flags are valid; the operator log it
 * builds from the flags first is a second, light entry (`log.ts`).
 */
export { startRegistry, type RunningRegistry } from './open.js';
export type { RegistryConfig, S3StorageConfig, StorageConfig } from './config.js';
export { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-limits.js';
export { LOG_FORMATS, LOG_LEVELS, createLog, silentLog, type LogFormat, type LogLevel, type LogOptions, type RegistryLog } from './log.js';
export { UI_ROOT, imagePath, repositoryPath } from './ui/paths.js';
// What `portcullis registry gc` opens offline: the stores a configuration names, and the collector.
export { openBlobStore } from './open.js';
export { openMetadataStore } from './metadata/open-stores.js';
export { runGc, type GcReport } from './gc/index.js';
