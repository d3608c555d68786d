/**
 * What each scan found in an image, kept so that the web UI can list the
 * packages and hand out an SBOM without reading the layers again: the scan
 * service saves the inventory it matched (ui/inventory-document.ts says how
 * it is encoded), the UI reads it. Kept apart from MetadataStore (which
 * describes content) and from IdentityStore, as those two are kept apart:
 * each backend implements it beside its content store, in the same database
 * (`inventory-sqlite.ts`, `inventory-postgres.ts`), with its own tables and
 * schema version. Every method is one statement.
 *
 * Keyed by manifest digest, like scan records: an image pushed to ten
 * repositories has one inventory. Documents of manifests no repository holds
 * any more are dropped after each garbage collection run (`pruneInventories`).
 *
 * Contract, tested against both by `test/server/metadata/inventory-contract.ts`.
 */
import type { Digest } from '../../core/index.js';
import type { MetadataStore } from './store.js';

export interface StoredInventory {
  /** The encoded document, as `put` was given it. */
  readonly document: Buffer;
  /** ISO time it was saved (the scan that made it). */
  readonly savedAt: string;
}

export interface InventoryStore {
  /** Saves (or replaces) the document of one image manifest. */
  put(digest: Digest, document: Buffer, savedAt: string): Promise<void>;
  get(digest: Digest): Promise<StoredInventory | undefined>;
  /** Digests that have a document, after `after` in byte order, at most `limit`. */
  list(after: string, limit: number): Promise<Digest[]>;
  /** False when there was none. */
  delete(digest: Digest): Promise<boolean>;
  close(): Promise<void>;
}

/** Drops the documents of manifests that no repository holds any more; returns how many. Pages through, so memory stays flat. */
export async function pruneInventories(inventories: InventoryStore, metadata: Pick<MetadataStore, 'repositoriesWithManifest'>, pageSize = 500): Promise<number> {
  let after = '';
  let dropped = 0;
  for (;;) {
    const page = await inventories.list(after, pageSize);
    for (const digest of page) {
      if ((await metadata.repositoriesWithManifest(digest)).length === 0 && (await inventories.delete(digest))) dropped++;
    }
    if (page.length < pageSize) return dropped;
    after = page[page.length - 1]!;
  }
}
