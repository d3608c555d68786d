/**
 * The scan service's side of the kept inventories (metadata/inventory-store.ts):
 * which entry may be matched again (one the running cataloguers made), keeping
 * a new one after the layers were read, and dropping those of manifests no
 * repository holds any more. None of it can make a scan wrong: an entry that
 * cannot be read, is missing, or was not kept (over the cap, a store error)
 * only means the next scan of that image reads its layers.
 */
import type { Digest, Inventory, ScanResult } from '../../core/index.js';
import { overWalkCaps } from '../../engine/inventory.js';
import type { RegistryLog } from '../log.js';
import type { InventoryStore, StoredInventory } from '../metadata/inventory-store.js';
import type { MetadataStore } from '../metadata/store.js';

/** Entries looked at per sweep for a manifest no repository holds any more. */
const SWEEP_PAGE = 500;

export class KeptInventories {
  #sweepAfter = '';

  constructor(
    private readonly store: InventoryStore | undefined,
    /** engine inventoryKey() of the cataloguers in use. */
    readonly catalogersKey: string,
    private readonly log: () => RegistryLog,
  ) {}

  /** The entry to match again, when the current cataloguers made it; otherwise undefined and the layers are read. */
  async usable(digest: Digest): Promise<StoredInventory | undefined> {
    if (!this.store) return undefined;
    try {
      const kept = await this.store.get(digest);
      return kept?.catalogersKey === this.catalogersKey ? kept : undefined;
    } catch (error) {
      this.log().warn({ event: 'inventory.unreadable', digest, err: error }, `the kept inventory of ${digest} cannot be used: reading its layers again`);
      return undefined;
    }
  }

  /** Keeps what the layers held; a failure (or an inventory over the cap) is logged, never thrown. */
  async keep(digest: Digest, inventory: Inventory, image: ScanResult['image'], storedAt: string): Promise<void> {
    // Stopped at the walk's caps: raising them (PORTCULLIS_MAX_LAYERS, …) and scanning again must read the layers.
    if (!this.store || overWalkCaps(inventory)) return;
    try {
      const put = await this.store.put({ manifestDigest: digest, catalogersKey: this.catalogersKey, inventory, ...(image ? { image } : {}), storedAt });
      if (!put.stored) this.log().warn({ event: 'inventory.not-kept', digest, reason: put.reason }, put.reason);
    } catch (error) {
      this.log().error({ event: 'error', err: error, digest }, `cannot keep the inventory of ${digest}: its next rescan reads its layers again`);
    }
  }

  /** Drops the entry once no repository holds the manifest. */
  async forget(digest: Digest, metadata: MetadataStore): Promise<void> {
    if (this.store && (await metadata.repositoriesWithManifest(digest)).length === 0) await this.store.delete(digest);
  }

  /**
   * Drops the entries of manifests no repository holds (deleted, collected),
   * one bounded page per call, going round the whole table over calls.
   * `busy` digests (queued or scanning) are left alone.
   */
  async sweep(metadata: MetadataStore, busy: ReadonlySet<Digest>): Promise<number> {
    if (!this.store) return 0;
    const digests = await this.store.list({ last: this.#sweepAfter, limit: SWEEP_PAGE });
    this.#sweepAfter = digests.length < SWEEP_PAGE ? '' : digests[digests.length - 1]!;
    let dropped = 0;
    for (const digest of digests) {
      if (busy.has(digest)) continue;
      if ((await metadata.repositoriesWithManifest(digest)).length === 0 && (await this.store.delete(digest))) dropped++;
    }
    if (dropped > 0) this.log().info({ event: 'inventory.swept', dropped }, `dropped ${dropped} kept inventories of deleted images`);
    return dropped;
  }
}
