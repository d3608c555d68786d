/** The advisory store contract (advisory-contract.ts) on the SQLite store: a temp file, a second read-only connection as the other reader. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAdvisoryStore } from '../../../src/vuln/store/sqlite.js';
import { advisoryStoreContract } from './advisory-contract.js';

advisoryStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-store-contract-'));
  const path = join(dir, 'advisories.sqlite');
  const store = new SqliteAdvisoryStore(path);
  return {
    store,
    reader: async () => new SqliteAdvisoryStore(path, { readonly: true }),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
