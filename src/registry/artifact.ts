/**
 * What a stored manifest is, for the scanner and the pull policy: an image
 * (something that runs: an image config and filesystem layers), an index of
 * images, or an artifact (signatures, attestations, SBOMs, Helm charts…).
 * Artifacts are neither scanned nor subject to "must be signed" (a signature
 * cannot itself be signed, and clients must be able to fetch it).
 */
import { isIndexMediaType, layerCompression, MediaType } from '../core/media-types.js';
import type { ManifestRecord } from './metadata/store.js';

export type ManifestKind = 'image' | 'index' | 'artifact';

const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set([MediaType.OciConfig, MediaType.DockerConfig]);

/** `layerMediaTypes` comes from the manifest body (the record keeps only digests). */
export function classifyManifest(record: Pick<ManifestRecord, 'mediaType' | 'artifactType'>, layerMediaTypes: readonly string[]): ManifestKind {
  if (isIndexMediaType(record.mediaType)) return 'index';
  if (!record.artifactType || !IMAGE_CONFIG_TYPES.has(record.artifactType)) return 'artifact';
  // cosign's signature manifests use the image config type with simple-signing layers.
  if (layerMediaTypes.length === 0 || !layerMediaTypes.every((t) => layerCompression(t) !== undefined)) return 'artifact';
  return 'image';
}
