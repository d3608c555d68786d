/**
 * The scan queue contract on PostgreSQL (a throwaway cluster from
 * test/support/postgres.ts), each test in a schema of its own; the second
 * store of a test is a second pool, as a second process would have, so
 * concurrent claims meet at `FOR UPDATE SKIP LOCKED`.
 */
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { PostgresScanQueueStore } from '../../../src/server/metadata/scan-queue-postgres.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { scanQueueContract } from './scan-queue-contract.js';

let peer: PostgresPeer;
let database: string;

before(async () => {
  peer = await startPostgres();
  database = await peer.createDatabase({ icuLocale: 'en-US' });
});

after(async () => {
  await peer?.stop();
});

scanQueueContract('postgres (ICU en-US database, own schema per test)', async () => {
  const schema = `t_${randomBytes(5).toString('hex')}`;
  return () => PostgresScanQueueStore.open({ connectionString: database, schema });
});
