/**
 * The scan queue contract on PostgreSQL (a throwaway cluster from
 * test/support/postgres.ts), each test in a schema of its own; the second
 * store of a test is a second pool, as a second process would have, so
 * concurrent claims meet at `FOR UPDATE SKIP LOCKED`.
 */
import { PostgresScanQueueStore } from '../../../src/server/metadata/scan-queue-postgres.js';
import { postgresForFile } from '../../support/postgres.js';
import { scanQueueContract } from './scan-queue-contract.js';

const pgFile = postgresForFile();

scanQueueContract('postgres (ICU en-US pgFile.url(), own schema per test)', async () => {
  const schema = pgFile.schema();
  return () => PostgresScanQueueStore.open({ connectionString: pgFile.url(), schema });
});
