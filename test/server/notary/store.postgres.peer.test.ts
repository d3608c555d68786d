/**
 * The Notary store on a real PostgreSQL 15 (test/support/postgres.ts), in a
 * database whose default collation is ICU en-US, one schema per test: the
 * shared contract (store-contract.ts).
 */
import { PostgresTufStore } from '../../../src/server/notary/postgres.js';
import { postgresForFile } from '../../support/postgres.js';
import { notaryStoreContract } from './store-contract.js';

const pgFile = postgresForFile();

notaryStoreContract('postgres (ICU en-US pgFile.url(), own schema per test)', async () =>
  PostgresTufStore.open({ connectionString: pgFile.url(), schema: pgFile.schema() }),
);
