/**
 * `vuln`, its main entry: the advisory database (import, update, status;
 * `db.ts`) and the advisory store it lives in (SQLite). Matching an
 * inventory against it is an entry of its own, `match/index.ts`: `scan` and
 * `lint` match, while `serve`, `cache` and `db` only need the database's
 * path and store (docs/architecture.md). Version schemes, feed parsers and
 * the store's SQL stay inside.
 */
export * from './db.js';
export { SqliteAdvisoryStore, openSqliteAdvisoryStore, type SqliteAdvisoryStoreOptions } from './store/sqlite.js';
export { inSnapshot, StoreError, type AdvisoryReader, type AdvisoryStore, type StoreErrorCode, type StoreStatus } from './store/store.js';
export { advisoryStoreExists, advisoryStoreReadable, describeLocation, isPostgresLocation, openAdvisoryReader, openAdvisoryWriter } from './store/open.js';
export { ExploitTables, type ExploitInfo, type Exploitation } from './exploit/tables.js';
export type { ExploitReader, ExploitWriter } from './exploit/store.js';
export { annotateExploitation, cvesOf, findingCves } from './exploit/annotate.js';
export { vendorFeedOf, type VendorFeed } from './match/vendor-feeds.js';
