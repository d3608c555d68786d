/**
 * An image's inventory kept between scans: the registry stores one per
 * image and matches it again when advisories change, without reading the
 * image. Kept as the native inventory JSON that `portcullis sbom --format
 * json` writes (sbom/json.ts) and read back with the SBOM decoder,
 * so it goes through the one format already tested to round-trip without
 * loss. `ownedFiles` is not kept: matching does not read it.
 *
 * Reading fails closed: a package the decoder would skip (and only warn
 * about) makes the whole document unusable, since an inventory with a
 * package missing would match to fewer findings. `inventoryKey` says which
 * cataloguers made an inventory; a kept one is used only under the same key.
 *
 * An entry of `engine` of its own (docs/architecture.md): the server's scans.
 */
import type { Inventory } from '../core/index.js';
import { decodeSbomObject } from '../sbom/decode.js';
import { buildNativeDocument, type NativeInventoryDocument } from '../sbom/index.js';
import { ScanError } from './scan.js';

export { inventoryKey, INVENTORY_WALK_VERSION } from './inventory.js';

export type KeptInventoryDocument = NativeInventoryDocument;

/** Packages a kept inventory may hold (the SBOM decoder's default cap). */
export const MAX_KEPT_PACKAGES = 500_000;

/** The document to keep (packages in the native format's order: purl, path, name, version). */
export function keptInventoryDocument(inventory: Inventory): KeptInventoryDocument {
  return buildNativeDocument(inventory);
}

/** The inventory a kept document holds. Throws (SbomError, or ScanError `TARGET_INVALID`) for anything short of every package read back. */
export function inventoryFromKept(doc: unknown, maxPackages = MAX_KEPT_PACKAGES): Inventory {
  const decoded = decodeSbomObject(doc, { maxComponents: maxPackages });
  if (decoded.format !== 'portcullis-json') throw new ScanError('TARGET_INVALID', `a kept inventory must be a portcullis inventory document, not ${decoded.format}`);
  const declared = typeof doc === 'object' && doc !== null && 'packages' in doc && Array.isArray(doc.packages) ? doc.packages.length : -1;
  if (decoded.inventory.packages.length !== declared) {
    throw new ScanError('TARGET_INVALID', `a kept inventory lists ${declared} packages but ${decoded.inventory.packages.length} could be read back`);
  }
  return decoded.inventory;
}
