/**
 * How a scan's inventory is kept in the InventoryStore: our native inventory
 * JSON (sbom/json.ts, versioned, read back by the same decoder `scan --sbom`
 * uses, so a stored document is checked like any SBOM coming in), gzipped.
 * Owned-file lists are left out (they only serve the matcher). A document
 * whose JSON would pass MAX_DOCUMENT_BYTES is not kept: the UI then says the
 * inventory is not available, and nothing holds that much in memory twice.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Digest, Inventory } from '../core/index.js';
import { parsePlatformString, toInventoryJson, type SbomImage } from '../sbom/index.js';
import { decodeSbom } from '../sbom/decode.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The uncompressed JSON, at most: about 100,000 packages. */
export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

export interface DocumentImage {
  readonly name: string;
  readonly digest: Digest;
  readonly configDigest?: Digest;
  /** `linux/amd64[/v8]`, as the scan result writes it. */
  readonly platform?: string;
}

/** The stored form of an inventory; undefined when it is too large to keep. Compressed on zlib's threads, off the event loop. */
export async function encodeInventory(inventory: Inventory, image: DocumentImage): Promise<Buffer | undefined> {
  const platform = image.platform ? parsePlatformString(image.platform) : undefined;
  const sbomImage: SbomImage = { name: image.name, digest: image.digest, ...(image.configDigest ? { configDigest: image.configDigest } : {}), ...(platform ? { platform } : {}) };
  const json = toInventoryJson({ ...inventory, ownedFiles: [] }, { image: sbomImage, space: 0 });
  if (Buffer.byteLength(json) > MAX_DOCUMENT_BYTES) return undefined;
  return gzipAsync(json);
}

export interface DecodedInventory {
  readonly inventory: Inventory;
  readonly image?: SbomImage;
}

/** Reads a stored document back; throws (SbomError, or zlib's error past the size cap) on one that is not ours or too large. */
export async function decodeInventory(document: Buffer): Promise<DecodedInventory> {
  const json = await gunzipAsync(document, { maxOutputLength: MAX_DOCUMENT_BYTES });
  const decoded = decodeSbom(json, { maxBytes: MAX_DOCUMENT_BYTES });
  return { inventory: decoded.inventory, ...(decoded.image ? { image: decoded.image } : {}) };
}
