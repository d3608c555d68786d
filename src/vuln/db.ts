/**
 * The advisory database as the CLI uses it: import local files, report
 * status, download updates. Every import or update is one store transaction
 * (see store/sqlite.ts): it commits whole or not at all, so an interrupted
 * import or update leaves the previous database intact and usable.
 *
 * The parts live in `db/`: `paths.ts` (where the database is), `import.ts`
 * (local files, format detection), `status.ts` (counts, staleness),
 * `download.ts` (conditional, resumable downloads) and `update.ts`
 * (download, then import in one transaction).
 */
export { DbError, type DbErrorCode } from './db/errors.js';
export { defaultDbPath, openAdvisoryStore } from './db/paths.js';
export {
  detectFileFormat,
  importPaths,
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
  type InputFormat,
  type InputSummary,
} from './db/import.js';
export { dbStatus, type DbStatus } from './db/status.js';
export {
  DEFAULT_BASE_URLS,
  DEFAULT_OSV_ECOSYSTEMS,
  update,
  type UpdateBaseUrls,
  type UpdateFeed,
  type UpdateOptions,
  type UpdateProgress,
  type UpdateResult,
} from './db/update.js';
