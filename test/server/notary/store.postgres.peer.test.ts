/**
 * The Notary store on a real PostgreSQL 15 (test/support/postgres.ts), in a
 * database whose default collation is ICU en-US, one schema per test: the
 * shared contract (store-contract.ts).
 */
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { PostgresTufStore } from '../../../src/server/notary/postgres.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { notaryStoreContract } from './store-contract.js';

let peer: PostgresPeer;
let database: string;

before(async () => {
  peer = await startPostgres();
  database = await peer.createDatabase({ icuLocale: 'en-US' });
});

after(async () => {
  await peer?.stop();
});

notaryStoreContract('postgres (ICU en-US database, own schema per test)', async () =>
  PostgresTufStore.open({ connectionString: database, schema: `t_${randomBytes(5).toString('hex')}` }),
);
