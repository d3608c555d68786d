/**
 * The inventory use case: one streaming walk of an image's layers with the
 * union of every cataloguer's wants, then every cataloguer over the merged
 * view. Package databases are kept per layer (FileWant.history) so each OS
 * package knows the layer that introduced it; language packages are files of
 * their own, so their layer is the layer of their manifest. An unpacked root
 * filesystem (`scan --rootfs`) is one view with no layers (layers/rootfs.ts).
 *
 * An entry of `engine` of its own (docs/architecture.md): `portcullis sbom`.
 */
import type { Inventory } from '../core/index.js';
import { ALL_CATALOGERS, runCatalogers, selectorFor, type Cataloger } from '../catalog/index.js';
import { resolveImage, type ResolveOptions, type ResolvedImage, type ImageSource } from '../image/index.js';
import { rootfsView, walkLayers, type RootfsOptions } from '../layers/index.js';
import { layerInputs } from './layer-inputs.js';

export interface InventoryOptions extends ResolveOptions {
  catalogers?: readonly Cataloger[];
  signal?: AbortSignal;
}

export interface ImageInventory {
  readonly image: ResolvedImage;
  readonly inventory: Inventory;
}

export async function inventoryImage(source: ImageSource, options: InventoryOptions = {}): Promise<ImageInventory> {
  const image = await resolveImage(source, options);
  const catalogers = options.catalogers ?? ALL_CATALOGERS;
  const view = await walkLayers(layerInputs(image), selectorFor(catalogers), options.signal ? { signal: options.signal } : {});
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
