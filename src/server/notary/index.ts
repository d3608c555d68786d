/**
 * The registry's Notary v1 trust service (Docker Content Trust): a
 * notary-server-compatible API (service.ts) over a component store of the
 * metadata store (store.ts): SQLite in `<root>/registry.sqlite`, or the
 * PostgreSQL database `--metadata` names. The server's private keys are
 * sealed at rest (key-sealing.ts); the Notary data of an earlier
 * portcullis (`<root>/notary/tuf.sqlite`, keys in clear) is imported on
 * start (legacy.ts).
 */
import { join } from 'node:path';
import type { NotaryService } from '../services.js';
import { checkKekIds, loadKeyBox } from './key-sealing.js';
import { ServerKeys } from './keys.js';
import { importLegacyNotary, type LegacyImport } from './legacy.js';
import { TufNotaryService } from './service.js';
import type { TufMetadataStore } from './store.js';

export { TufNotaryService, type NotaryServiceOptions } from './service.js';
export { ServerKeys } from './keys.js';
export { keyBox, loadKeyBox, type KeyBox, type KeySource } from './key-sealing.js';
export type { TufMetadataStore, StoredFile, StoredKey, FileUpdate } from './store.js';

/** The SQLite file of the registry, which the Notary tables share (metadata/open-stores.ts SQLITE_FILE). */
const SQLITE_FILE = 'registry.sqlite';

export interface NotaryOpenOptions {
  /** The registry's data folder. */
  readonly root: string;
  /** `postgres://…`: the metadata database; else SQLite under `root`. */
  readonly metadataUrl?: string | undefined;
  /** The key-encryption key, given in clear (base64 or hex). */
  readonly keyEncryptionKey?: string | undefined;
  /** A file holding it. */
  readonly keyEncryptionKeyFile?: string | undefined;
  /** Told when data of an earlier portcullis was imported. */
  readonly onImported?: (imported: LegacyImport) => void;
}

export type OpenedNotary = TufNotaryService & NotaryService & { readonly tufStore: TufMetadataStore; close(): Promise<void> };

export async function openNotaryStore(options: Pick<NotaryOpenOptions, 'root' | 'metadataUrl'>): Promise<TufMetadataStore> {
  if (options.metadataUrl) return (await import('./postgres.js')).PostgresTufStore.open(options.metadataUrl);
  return new (await import('./sqlite.js')).SqliteTufStore(join(options.root, SQLITE_FILE));
}

export async function openNotaryService(options: NotaryOpenOptions): Promise<OpenedNotary> {
  const box = await loadKeyBox({
    ...(options.keyEncryptionKey !== undefined ? { key: options.keyEncryptionKey } : {}),
    ...(options.keyEncryptionKeyFile !== undefined ? { file: options.keyEncryptionKeyFile } : {}),
    ...(options.metadataUrl ? {} : { generateIn: join(options.root, 'notary') }),
  });
  const store = await openNotaryStore(options);
  try {
    checkKekIds(await store.kekIds(), box, options.metadataUrl ? 'PostgreSQL' : join(options.root, SQLITE_FILE));
    const imported = await importLegacyNotary(options.root, store, box);
    if (imported) options.onImported?.(imported);
  } catch (error) {
    await store.close();
    throw error;
  }
  const service = new TufNotaryService({ store, keys: new ServerKeys(store, box) });
  return Object.assign(service, { tufStore: store, close: () => store.close() });
}
