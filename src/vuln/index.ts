/**
 * `vuln`, its public entry: the advisory database (import, update, status;
 * `db.ts`), the advisory store it lives in (SQLite), and matching an
 * inventory against it. Version schemes, feed parsers and the store's SQL
 * stay inside.
 */
export * from './db.js';
export { SqliteAdvisoryStore, openSqliteAdvisoryStore, type SqliteAdvisoryStoreOptions } from './store/sqlite.js';
export { StoreError, type AdvisoryStore, type StoreErrorCode, type StoreStatus } from './store/store.js';
export { MATCHERS, matchInventory, type MatchOptions, type MatchStore } from './match/index.js';
