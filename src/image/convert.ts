/**
 * Docker schema 2 → OCI manifest conversion for destinations that store only
 * OCI types (OCI layouts and archives), as skopeo does when it copies a Docker
 * image into one. Blobs are untouched, so their digests stay; only the
 * manifest (and so its digest) changes. A layer whose digest equals its
 * diff_id is stored uncompressed (docker save archives do that while still
 * labelling it tar.gzip), so it gets the uncompressed OCI type.
 */
import { sha256Digest, type Digest, MediaType, parseIndex, parseManifest, type Descriptor } from '../core/index.js';
import { ImageError } from './errors.js';
import type { ManifestBlob } from './types.js';

const LAYER_TYPES: Record<string, string> = {
  [MediaType.DockerLayerGzip]: MediaType.OciLayerGzip,
  [MediaType.DockerLayerForeignGzip]: MediaType.OciLayerNondistributableGzip,
};

export function needsConversion(mediaType: string, accepted: readonly string[] | undefined): boolean {
  return accepted !== undefined && !accepted.includes(mediaType);
}

/** An OCI image manifest equivalent to a Docker schema 2 manifest. */
export function dockerManifestToOci(blob: ManifestBlob, diffIds: readonly Digest[]): ManifestBlob {
  if (blob.mediaType !== MediaType.DockerManifest) {
    throw new ImageError('MANIFEST_UNSUPPORTED', `cannot convert a ${blob.mediaType} manifest to OCI`);
  }
  const manifest = parseManifest(blob.bytes);
  const layers = manifest.layers.map((layer, i) => ({
    ...layer,
    mediaType: layer.digest === diffIds[i] ? MediaType.OciLayer : layerType(layer),
  }));
  const converted = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { ...manifest.config, mediaType: MediaType.OciConfig },
    layers,
    ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
  };
  return asBlob(converted, MediaType.OciManifest);
}

/** An OCI index equivalent to a Docker manifest list whose entries were rewritten. */
export function dockerIndexToOci(blob: ManifestBlob, replaced: ReadonlyMap<Digest, ManifestBlob>): ManifestBlob {
  const index = parseIndex(blob.bytes);
  const manifests: Descriptor[] = index.manifests.map((entry) => {
    const child = replaced.get(entry.digest);
    return child ? { ...entry, mediaType: child.mediaType, digest: child.digest, size: child.bytes.length } : entry;
  });
  return asBlob({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests, ...(index.annotations ? { annotations: index.annotations } : {}) }, MediaType.OciIndex);
}

function layerType(layer: Descriptor): string {
  const mapped = LAYER_TYPES[layer.mediaType];
  if (mapped) return mapped;
  if (layer.mediaType.startsWith('application/vnd.oci.image.layer.')) return layer.mediaType;
  throw new ImageError('MEDIA_TYPE_UNKNOWN', `cannot convert layer media type "${layer.mediaType}" to OCI`);
}

function asBlob(value: unknown, mediaType: string): ManifestBlob {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, mediaType, digest: sha256Digest(bytes) };
}
