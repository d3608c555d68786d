/**
 * The registry's Notary v1 trust service (Docker Content Trust): a
 * notary-server-compatible API (service.ts) over a SQLite store kept in the
 * folder it is given (`<registry root>/notary/tuf.sqlite`, 0600 in a 0700
 * folder).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NotaryService } from '../services.js';
import { ServerKeys } from './keys.js';
import { TufNotaryService } from './service.js';
import { SqliteTufStore } from './sqlite.js';

export { TufNotaryService, type NotaryServiceOptions } from './service.js';
export { SqliteTufStore } from './sqlite.js';
export { ServerKeys } from './keys.js';
export type { TufMetadataStore, StoredFile, StoredKey, FileUpdate } from './store.js';

export async function openNotaryService(options: { root: string }): Promise<NotaryService & { close(): Promise<void> }> {
  await mkdir(options.root, { recursive: true, mode: 0o700 });
  const store = new SqliteTufStore(join(options.root, 'tuf.sqlite'));
  const service = new TufNotaryService({ store, keys: new ServerKeys(store) });
  return Object.assign(service, { close: () => store.close() });
}
