/**
 * What each image's layers held when the registry last read them, kept per
 * manifest digest so that a rescan after an advisory database change only
 * matches again (server/scan/service.ts) instead of reading every layer of
 * every image. Kept apart from MetadataStore, which describes content, as
 * the identity store is: both backends implement it beside their content
 * store, in the same database, with tables and a schema version of their own
 * (`inventory-sqlite.ts`, `inventory-postgres.ts`); `inventory-rows.ts` is
 * the row layout they share.
 *
 * An entry records the key of the cataloguers that made it
 * (engine `inventoryKey`): a reader uses it only while the running
 * cataloguers have the same key. A manifest's content never changes, so an
 * entry is never out of date for any other reason.
 *
 * Contract, tested against both by `test/server/metadata/inventory-contract.ts`.
 */
import type { Digest, Inventory, ScanResult } from '../../core/index.js';
import type { Page } from './store.js';

/** Largest inventory kept, as uncompressed JSON (a Debian image with 1,000 packages is ~0.5 MiB). */
export const MAX_INVENTORY_JSON_BYTES = 32 * 1024 * 1024;

export interface StoredInventory {
  readonly manifestDigest: Digest;
  /** engine `inventoryKey()` of the cataloguers that made it. */
  readonly catalogersKey: string;
  /**
   * Packages (name, version, ecosystem, purl, path, layer, source…), the OS,
   * warnings, and `incomplete` when the cataloguers could not read
   * everything: a re-match of an incomplete inventory is incomplete too.
   * `ownedFiles` is not kept (read back empty).
   */
  readonly inventory: Inventory;
  /** The image as the scan that read it described it: digests, platform, each layer's creating command. */
  readonly image?: ScanResult['image'];
  readonly storedAt: string;
}

export type PutInventoryResult =
  | { readonly stored: true; /** Bytes stored (compressed). */ readonly bytes: number }
  /** Over the size cap: nothing kept (and any older entry for the digest removed), so rescans of the image read its layers. */
  | { readonly stored: false; readonly reason: string };

export interface InventoryStore {
  /** The entry, or undefined when there is none. Throws ServeError `INTERNAL` when one is stored but cannot be read back whole. */
  get(manifestDigest: Digest): Promise<StoredInventory | undefined>;
  /** Stores or replaces the entry for its digest. */
  put(entry: StoredInventory): Promise<PutInventoryResult>;
  /** False when there was none. */
  delete(manifestDigest: Digest): Promise<boolean>;
  /** Digests with an entry, in byte order, after `page.last`. */
  list(page?: Page): Promise<Digest[]>;
  close(): Promise<void>;
}

export interface InventoryStoreOptions {
  /** The cap on one entry's uncompressed JSON (default MAX_INVENTORY_JSON_BYTES). */
  readonly maxJsonBytes?: number;
}
