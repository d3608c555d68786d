/**
 * What a pushed manifest says, decided from untrusted bytes: its media type
 * (the body's `mediaType`, else a known Content-Type, else its shape, as OCI
 * allows the field to be absent), the blobs and child manifests it needs in
 * the repository, and the fields the referrers API and the scanner read.
 * Schema 1 is refused: distribution 3 dropped it and nothing current pushes it.
 */
import {
  CoreError,
  type Digest,
  MediaType,
  SCHEMA1_MEDIA_TYPES,
  isIndexMediaType,
  isManifestMediaType,
  isRecord,
  parseIndex,
  parseManifest,
  type Descriptor,
} from '../../../core/index.js';
import { ServeError } from '../../errors.js';

export interface ManifestBody {
  readonly kind: 'manifest' | 'index';
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly subject?: Digest;
  readonly annotations?: Record<string, string>;
  /** Config and layers (for a manifest) that must be linked in the repository; foreign layers with `urls` may be absent. */
  readonly blobs: readonly Descriptor[];
  /** Child manifests (for an index) that must exist in the repository. */
  readonly children: readonly Descriptor[];
  /** Everything referenced, in order, for the metadata store. */
  readonly references: readonly Digest[];
}

export function readManifestBody(bytes: Buffer, contentType: string | undefined): ManifestBody {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalid(`manifest is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(json)) throw invalid('manifest is not a JSON object');
  const fieldType = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const declared = contentType?.split(';')[0]?.trim().toLowerCase();
  if (json.schemaVersion === 1 || SCHEMA1_MEDIA_TYPES.includes(fieldType ?? '') || SCHEMA1_MEDIA_TYPES.includes(declared ?? '')) {
    throw invalid('Docker schema 1 manifests are not supported; push with a current client (schema 2 or OCI)');
  }
  const known = (type: string | undefined): type is string => type !== undefined && (isManifestMediaType(type) || isIndexMediaType(type));
  if (fieldType !== undefined && !known(fieldType)) throw invalid(`unsupported manifest media type "${fieldType}"`);
  if (fieldType !== undefined && known(declared) && declared !== fieldType) {
    throw invalid(`Content-Type ${declared} disagrees with the manifest's mediaType ${fieldType}`);
  }
  const mediaType = fieldType ?? (known(declared) ? declared : shapeType(json));
  try {
    if (isIndexMediaType(mediaType)) {
      const index = parseIndex(bytes);
      return {
        kind: 'index',
        mediaType,
        ...(index.artifactType !== undefined ? { artifactType: index.artifactType } : {}),
        ...(index.subject ? { subject: index.subject.digest } : {}),
        ...(index.annotations ? { annotations: index.annotations } : {}),
        blobs: [],
        children: index.manifests,
        references: index.manifests.map((m) => m.digest),
      };
    }
    const manifest = parseManifest(bytes);
    return {
      kind: 'manifest',
      mediaType,
      artifactType: manifest.artifactType ?? manifest.config.mediaType,
      ...(manifest.subject ? { subject: manifest.subject.digest } : {}),
      ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
      blobs: [manifest.config, ...manifest.layers.filter((layer) => !(layer.urls && layer.urls.length > 0))],
      children: [],
      references: [manifest.config.digest, ...manifest.layers.map((l) => l.digest)],
    };
  } catch (error) {
    if (error instanceof CoreError) throw invalid(error.message, error);
    throw error;
  }
}

function shapeType(json: Record<string, unknown>): string {
  if (Array.isArray(json.manifests)) return MediaType.OciIndex;
  if (isRecord(json.config) && Array.isArray(json.layers)) return MediaType.OciManifest;
  throw invalid('manifest has no mediaType and is neither an image manifest nor an index');
}

function invalid(message: string, cause?: unknown): ServeError {
  return new ServeError('MANIFEST_INVALID', message, cause === undefined ? undefined : { cause });
}
