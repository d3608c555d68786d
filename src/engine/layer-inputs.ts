/**
 * A resolved image's layers as inputs for the layer walker: each opens the
 * verified blob stream from the image's source, and carries its origin
 * (position, digest, diffID) so files and packages know where they came from.
 */
import type { ResolvedImage } from '../image/index.js';
import type { LayerInput } from '../layers/index.js';

export function layerInputs(image: ResolvedImage): LayerInput[] {
  return image.manifest.layers.map((descriptor, index) => {
    const diffId = image.config?.rootfs.diff_ids[index];
    return {
      origin: { index, digest: descriptor.digest, ...(diffId ? { diffId } : {}) },
      mediaType: descriptor.mediaType,
      open: () => image.source.getBlob(descriptor),
    };
  });
}
