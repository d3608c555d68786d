/**
 * The Notary store on SQLite (a fresh `registry.sqlite` per test): the
 * shared contract (store-contract.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTufStore } from '../../../src/server/notary/sqlite.js';
import { notaryStoreContract } from './store-contract.js';

notaryStoreContract('sqlite', async () => new SqliteTufStore(join(mkdtempSync(join(tmpdir(), 'notary-store-')), 'registry.sqlite')));
