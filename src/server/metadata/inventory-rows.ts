/**
 * How a StoredInventory is laid out in a table row, shared by the SQLite and
 * PostgreSQL stores so that both keep the same bytes: the image description
 * and the inventory as the native inventory JSON (engine kept-inventory.ts),
 * gzip-compressed (node:zlib, off the event loop). Inventories compress well
 * (purls and paths repeat): about 10:1.
 *
 * Both directions are capped: an entry over `maxJsonBytes` is not kept (the
 * caller is told why), and reading back inflates at most that much, so a
 * damaged or hostile row costs bounded memory. A row that cannot be read back
 * whole is an error, never a shorter inventory.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Digest, ScanResult } from '../../core/index.js';
import { inventoryFromKept, keptInventoryDocument } from '../../engine/kept-inventory.js';
import { ServeError } from '../errors.js';
import type { StoredInventory } from './inventory-store.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Bumped when the JSON inside changes shape; rows of another format are not read. */
export const INVENTORY_ROW_FORMAT = 1;

export interface InventoryRow {
  manifest_digest: string;
  catalogers_key: string;
  format: number;
  json_bytes: number;
  data: Buffer;
  stored_at: string;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** The row, or why the entry is not kept (over the cap). */
export async function inventoryToRow(entry: StoredInventory, maxJsonBytes: number): Promise<InventoryRow | { readonly tooLarge: string }> {
  const json = JSON.stringify({ ...(entry.image ? { image: entry.image } : {}), inventory: keptInventoryDocument(entry.inventory) });
  const jsonBytes = Buffer.byteLength(json);
  if (jsonBytes > maxJsonBytes) {
    return { tooLarge: `the inventory of ${entry.manifestDigest} is ${mib(jsonBytes)} as JSON (${entry.inventory.packages.length} packages), over the ${mib(maxJsonBytes)} kept per image: its rescans read its layers again` };
  }
  return {
    manifest_digest: entry.manifestDigest,
    catalogers_key: entry.catalogersKey,
    format: INVENTORY_ROW_FORMAT,
    json_bytes: jsonBytes,
    data: await gzipAsync(json),
    stored_at: entry.storedAt,
  };
}

/** The entry a row holds; ServeError `INTERNAL` naming the digest for anything short of all of it. */
export async function inventoryFromRow(row: InventoryRow, maxJsonBytes: number): Promise<StoredInventory> {
  const fail = (why: string, cause?: unknown): ServeError =>
    new ServeError('INTERNAL', `the kept inventory of ${row.manifest_digest} cannot be read: ${why}`, cause === undefined ? undefined : { cause });
  if (row.format !== INVENTORY_ROW_FORMAT) throw fail(`format ${row.format} (this portcullis reads ${INVENTORY_ROW_FORMAT})`);
  if (row.json_bytes > maxJsonBytes) throw fail(`${mib(row.json_bytes)} of JSON, over the ${mib(maxJsonBytes)} cap`);
  let doc: unknown;
  try {
    doc = JSON.parse((await gunzipAsync(row.data, { maxOutputLength: maxJsonBytes })).toString('utf8'));
  } catch (error) {
    const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw fail(tooLarge ? `it inflates past the ${mib(maxJsonBytes)} cap` : error instanceof Error ? error.message : String(error), error);
  }
  if (typeof doc !== 'object' || doc === null) throw fail('not a JSON object');
  const image = 'image' in doc ? imageOf(doc.image) : undefined;
  if (image === null) throw fail('its image description is malformed');
  try {
    const inventory = inventoryFromKept('inventory' in doc ? doc.inventory : undefined);
    return { manifestDigest: row.manifest_digest as Digest, catalogersKey: row.catalogers_key, inventory, ...(image ? { image } : {}), storedAt: row.stored_at };
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error), error);
  }
}

type ImageDescription = NonNullable<ScanResult['image']>;

function optionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}

/** The image description as scanTarget writes it; null when malformed, undefined when absent. */
function imageOf(value: unknown): ImageDescription | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.digest !== 'string' || !optionalString(v.configDigest) || !optionalString(v.platform) || !optionalString(v.created)) return null;
  if (v.layers !== undefined && !Array.isArray(v.layers)) return null;
  const layers: Array<ImageDescription['layers'] extends ReadonlyArray<infer L> | undefined ? L : never> = [];
  for (const item of (v.layers as unknown[] | undefined) ?? []) {
    if (typeof item !== 'object' || item === null) return null;
    const l = item as Record<string, unknown>;
    if (typeof l.digest !== 'string' || !optionalString(l.diffId) || !optionalString(l.createdBy)) return null;
    layers.push({ digest: l.digest, ...(l.diffId !== undefined ? { diffId: l.diffId } : {}), ...(l.createdBy !== undefined ? { createdBy: l.createdBy } : {}) });
  }
  return {
    digest: v.digest,
    ...(v.configDigest !== undefined ? { configDigest: v.configDigest } : {}),
    ...(v.platform !== undefined ? { platform: v.platform } : {}),
    ...(v.created !== undefined ? { created: v.created } : {}),
    ...(v.layers !== undefined ? { layers } : {}),
  };
}
