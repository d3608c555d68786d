/**
 * The inventory use case: one streaming walk of an image's layers with the
 * union of every cataloguer's wants, then every cataloguer over the merged
 * view. Package databases are kept per layer (FileWant.history) so each OS
 * package knows the layer that introduced it; language packages are files of
 * their own, so their layer is the layer of their manifest. An unpacked root
 * filesystem (`scan --rootfs`) is one view with no layers (layers/rootfs.ts).
 *
 * `inventoryKey` names what made an inventory (every cataloguer's name and
 * version, and the version of the walk and OS detection around them), so a
 * kept inventory is used again only while the same code would make it.
 *
 * With a layer cache (layer-cache.ts), layers seen before are replayed from
 * what the walk recorded of them instead of read: the merge and every
 * cataloguer run as before, so the inventory is the same.
 *
 * Over the walk's caps (layers/limits.ts: layers, tar entries; raised with
 * PORTCULLIS_MAX_LAYERS and PORTCULLIS_MAX_ENTRIES, or what the caller says:
 * the CLI's --max-layers, serve's scan.maxLayers…) the inventory is empty
 * and incomplete, naming the cap and what raises it: every gate refuses it.
 *
 * An entry of `engine` of its own (docs/architecture.md): `portcullis sbom`.
 */
import { createHash } from 'node:crypto';
import type { Digest, Inventory, LayerOrigin } from '../core/index.js';
import { ALL_CATALOGERS, runCatalogers, selectorFor, type Cataloger } from '../catalog/index.js';
import { resolveImage, type ResolveOptions, type ResolvedImage, type ImageSource } from '../image/index.js';
import { decodeRecording, encodeRecording, LayerError, rootfsView, walkLayers, type LayerRecording, type LayerRecordingCache, type LayerView, type RootfsOptions, type WalkLimits } from '../layers/index.js';
import { layerInputs } from './layer-inputs.js';
import type { LayerCacheStore } from './layer-cache.js';

/**
 * Bumped when the layer walk, OS detection or `runCatalogers` change what an
 * inventory holds for the same image (cataloguers have their own `version`).
 */
export const INVENTORY_WALK_VERSION = 1;

/**
 * A stable digest of the cataloguers (names and versions, in name order) and
 * INVENTORY_WALK_VERSION: equal keys mean the same code would find the same
 * packages, so an inventory taken under one key can be matched again
 * without reading the image.
 */
export function inventoryKey(catalogers: readonly Cataloger[] = ALL_CATALOGERS): string {
  const parts = catalogers.map((c) => [c.name, c.version] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `sha256:${createHash('sha256').update(JSON.stringify({ walk: INVENTORY_WALK_VERSION, catalogers: parts })).digest('hex')}`;
}

/** Bumped when what a layer cache key names changes (not the file layout: that is the codec's magic). */
const LAYER_KEY_VERSION = 1;

/**
 * The recording cache the layer walk uses, over `store`, for these
 * cataloguers: keyed by blob, diffID and `inventoryKey`; a file that does
 * not decode (layers/recording-codec.ts) is removed and is a miss.
 */
function layerRecordingCache(store: LayerCacheStore, catalogers?: readonly Cataloger[]): LayerRecordingCache {
  const scope = inventoryKey(catalogers);
  const keyOf = (blob: Digest, diffId: Digest): string => createHash('sha256').update(JSON.stringify({ v: LAYER_KEY_VERSION, scope, blob, diffId })).digest('hex');
  return {
    async get(blob: Digest, diffId: Digest): Promise<LayerRecording | undefined> {
      const key = keyOf(blob, diffId);
      const bytes = await store.read(key);
      if (bytes === undefined) return undefined;
      const recording = decodeRecording(bytes, blob, diffId);
      if (!recording) await store.remove(key);
      return recording;
    },
    async put(recording: LayerRecording): Promise<void> {
      let bytes: Buffer | undefined;
      try {
        bytes = encodeRecording(recording);
      } catch {
        return; // a recording too large to write as one string (entries near the bounds, paths of kilobytes) is not kept
      }
      if (bytes) await store.write(keyOf(recording.blob, recording.diffId), bytes);
    },
  };
}

export interface InventoryOptions extends ResolveOptions {
  catalogers?: readonly Cataloger[];
  signal?: AbortSignal;
  /** The layer analysis cache (layer-cache.ts): layers seen before are replayed, not read. */
  layerCache?: LayerCacheStore;
  /** Told each time a layer's blob is opened to be read (tests count reads). */
  onLayerRead?: (origin: LayerOrigin) => void;
  /** Caps on the layers and tar entries the walk reads (default: `walkLimitsFrom(process.env)`). */
  limits?: WalkLimits;
  /** What raises each cap, as the caller's user sets it, named in the incomplete reason (default: WALK_LIMIT_ENV). */
  limitNames?: WalkLimitNames;
}

/** What raises each of the walk's caps: an environment variable, a flag, a setting. */
export interface WalkLimitNames {
  readonly maxLayers: string;
  readonly maxEntries: string;
}

/** The environment variables that raise (or lower) the walk's caps, named in the incomplete reason. */
export const WALK_LIMIT_ENV = { maxLayers: 'PORTCULLIS_MAX_LAYERS', maxEntries: 'PORTCULLIS_MAX_ENTRIES' } as const;

/** The walk's caps from the environment (unset or not a positive integer: the default). */
export function walkLimitsFrom(env: NodeJS.ProcessEnv): WalkLimits {
  const read = (name: string): number | undefined => {
    const text = env[name]?.trim();
    if (!text || !/^[1-9][0-9]{0,14}$/.test(text)) return undefined;
    return Number(text);
  };
  const maxLayers = read(WALK_LIMIT_ENV.maxLayers);
  const maxEntries = read(WALK_LIMIT_ENV.maxEntries);
  return { ...(maxLayers !== undefined ? { maxLayers } : {}), ...(maxEntries !== undefined ? { maxEntries } : {}) };
}

const RAISE_IT = ' to raise it)';

/** True when the inventory stopped at the walk's caps: what it lacks depends on settings, not on the image, so it is not worth keeping. */
export function overWalkCaps(inventory: Inventory): boolean {
  return (inventory.incomplete ?? []).some((r) => r.startsWith('layers: ') && r.endsWith(RAISE_IT));
}

/** The reason an inventory over the walk's caps gives, naming what raises the cap. */
function overCap(error: LayerError, names: WalkLimitNames): string | undefined {
  if (error.code === 'LAYER_TOO_MANY_LAYERS') return `layers: ${error.message} (set ${names.maxLayers}${RAISE_IT}`;
  if (error.code === 'LAYER_TOO_MANY_ENTRIES') return `layers: ${error.message} (set ${names.maxEntries}${RAISE_IT}`;
  return undefined;
}

export interface ImageInventory {
  readonly image: ResolvedImage;
  readonly inventory: Inventory;
}

export async function inventoryImage(source: ImageSource, options: InventoryOptions = {}): Promise<ImageInventory> {
  const image = await resolveImage(source, options);
  const catalogers = options.catalogers ?? ALL_CATALOGERS;
  let view: LayerView;
  try {
    view = await walkLayers(layerInputs(image), selectorFor(catalogers), {
      ...(options.limits ?? walkLimitsFrom(process.env)),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.layerCache ? { cache: layerRecordingCache(options.layerCache, catalogers) } : {}),
      ...(options.onLayerRead ? { onRead: options.onLayerRead } : {}),
    });
  } catch (error) {
    // Over a cap: no packages and the reason, so every gate refuses it as incomplete (fail closed) and the report still says why.
    const reason = error instanceof LayerError ? overCap(error, options.limitNames ?? WALK_LIMIT_ENV) : undefined;
    if (reason === undefined) throw error;
    return { image, inventory: { packages: [], ownedFiles: [], warnings: [], incomplete: [reason] } };
  }
  const inventory = await runCatalogers(view, catalogers);
  return { image, inventory: { ...inventory, warnings: [...view.warnings.map((w) => `layers: ${w}`), ...inventory.warnings] } };
}

export interface RootfsInventoryOptions extends RootfsOptions {
  readonly catalogers?: readonly Cataloger[];
}

/** Every cataloguer over an unpacked root filesystem. Packages carry no layer (there are none). */
export async function inventoryRootfs(dir: string, options: RootfsInventoryOptions = {}): Promise<Inventory> {
  const catalogers = options.catalogers ?? ALL_CATALOGERS;
  const view = await rootfsView(dir, selectorFor(catalogers), options);
  const inventory = await runCatalogers(view, catalogers);
  const incomplete = [...view.unread.map((w) => `rootfs: ${w}`), ...(inventory.incomplete ?? [])];
  return {
    ...inventory,
    packages: inventory.packages.map(({ layer: _layer, ...rest }) => rest),
    warnings: [...view.warnings.map((w) => `rootfs: ${w}`), ...inventory.warnings],
    ...(incomplete.length > 0 ? { incomplete } : {}),
  };
}
