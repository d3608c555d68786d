/**
 * OCI image-spec objects (descriptor, manifest, index, config) and strict
 * parsers for them. Parsers take untrusted bytes: they check the shape of every
 * field they rely on and keep the raw bytes' digest as the identity, never a
 * re-serialisation.
 * Spec: https://github.com/opencontainers/image-spec/blob/main/manifest.md,
 *       https://github.com/opencontainers/image-spec/blob/main/image-index.md,
 *       https://github.com/opencontainers/image-spec/blob/main/config.md
 */
import { CoreError } from './errors.js';
import { isDigest, type Digest } from './digest.js';
import { isIndexMediaType, isManifestMediaType, SCHEMA1_MEDIA_TYPES } from './media-types.js';

/** The largest manifest or index we accept (the distribution spec's recommended 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** The largest image config we accept. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

// https://github.com/opencontainers/image-spec/blob/main/descriptor.md
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number };
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  config?: ContainerConfig;
  rootfs: { type: string; diff_ids: Digest[] };
  history?: HistoryEntry[];
}

export function parseJsonObject(bytes: Uint8Array, what: string, maxBytes: number): Record<string, unknown> {
  if (bytes.length > maxBytes) {
    throw new CoreError('TOO_LARGE', `${what} is ${bytes.length} bytes, over the ${maxBytes}-byte limit`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new CoreError('JSON_INVALID', `${what} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isRecord(value)) throw new CoreError('JSON_INVALID', `${what} is not a JSON object`);
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (!isRecord(value)) throw invalid(what, 'is not an object');
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(what, 'has no mediaType');
  if (typeof digest !== 'string' || !isDigest(digest)) throw invalid(what, `has an invalid digest "${String(digest)}"`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(what, 'has an invalid size');
  const descriptor: Descriptor = { mediaType, digest, size };
  if (Array.isArray(value.urls)) descriptor.urls = value.urls.filter((u): u is string => typeof u === 'string');
  if (isStringMap(value.annotations)) descriptor.annotations = value.annotations;
  if (typeof value.artifactType === 'string') descriptor.artifactType = value.artifactType;
  if (value.platform !== undefined) descriptor.platform = parsePlatformObject(value.platform, `${what} platform`);
  return descriptor;
}

/** A descriptor's or index entry's `platform` object (JSON); `--platform os/arch` strings are parsed by image's parsePlatform. */
export function parsePlatformObject(value: unknown, what: string): Platform {
  if (!isRecord(value) || typeof value.os !== 'string' || typeof value.architecture !== 'string') {
    throw invalid(what, 'needs string "os" and "architecture"');
  }
  const platform: Platform = { os: value.os, architecture: value.architecture };
  if (typeof value.variant === 'string' && value.variant !== '') platform.variant = value.variant;
  if (typeof value['os.version'] === 'string') platform['os.version'] = value['os.version'];
  return platform;
}

/**
 * The kind of manifest bytes: uses the declared media type when there is one,
 * then the mediaType field, then the shape (OCI allows the field to be absent).
 */
export function manifestKind(bytes: Uint8Array, declaredMediaType?: string): { kind: 'manifest' | 'index'; mediaType: string } {
  const json = parseJsonObject(bytes, 'manifest', MAX_MANIFEST_BYTES);
  const fieldType = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  if (json.schemaVersion === 1 || SCHEMA1_MEDIA_TYPES.includes(fieldType ?? '') || SCHEMA1_MEDIA_TYPES.includes(declaredMediaType ?? '')) {
    throw new CoreError('JSON_INVALID', 'Docker schema 1 manifests are unsupported (deprecated since 2017); re-push the image with a current client');
  }
  const candidates = [fieldType, normaliseContentType(declaredMediaType)];
  for (const type of candidates) {
    if (type && isIndexMediaType(type)) return { kind: 'index', mediaType: type };
    if (type && isManifestMediaType(type)) return { kind: 'manifest', mediaType: type };
  }
  if (Array.isArray(json.manifests)) return { kind: 'index', mediaType: fieldType ?? 'application/vnd.oci.image.index.v1+json' };
  if (isRecord(json.config) && Array.isArray(json.layers)) {
    return { kind: 'manifest', mediaType: fieldType ?? 'application/vnd.oci.image.manifest.v1+json' };
  }
  throw new CoreError('JSON_INVALID', `unknown manifest media type "${fieldType ?? declaredMediaType ?? '(none)'}"`);
}

export function parseManifest(bytes: Uint8Array): ImageManifest {
  const json = parseJsonObject(bytes, 'manifest', MAX_MANIFEST_BYTES);
  if (json.schemaVersion !== 2) throw invalid('manifest', `has schemaVersion ${String(json.schemaVersion)}, expected 2`);
  if (!Array.isArray(json.layers)) throw invalid('manifest', 'has no layers array');
  const manifest: ImageManifest = {
    schemaVersion: 2,
    config: parseDescriptor(json.config, 'manifest config'),
    layers: json.layers.map((layer, i) => parseDescriptor(layer, `manifest layer ${i}`)),
  };
  if (typeof json.mediaType === 'string') manifest.mediaType = json.mediaType;
  if (typeof json.artifactType === 'string') manifest.artifactType = json.artifactType;
  if (json.subject !== undefined) manifest.subject = parseDescriptor(json.subject, 'manifest subject');
  if (isStringMap(json.annotations)) manifest.annotations = json.annotations;
  return manifest;
}

export function parseIndex(bytes: Uint8Array): ImageIndex {
  const json = parseJsonObject(bytes, 'index', MAX_MANIFEST_BYTES);
  if (json.schemaVersion !== 2) throw invalid('index', `has schemaVersion ${String(json.schemaVersion)}, expected 2`);
  if (!Array.isArray(json.manifests)) throw invalid('index', 'has no manifests array');
  const index: ImageIndex = {
    schemaVersion: 2,
    manifests: json.manifests.map((entry, i) => parseDescriptor(entry, `index entry ${i}`)),
  };
  if (typeof json.mediaType === 'string') index.mediaType = json.mediaType;
  if (typeof json.artifactType === 'string') index.artifactType = json.artifactType;
  if (json.subject !== undefined) index.subject = parseDescriptor(json.subject, 'index subject');
  if (isStringMap(json.annotations)) index.annotations = json.annotations;
  return index;
}

export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const json = parseJsonObject(bytes, 'image config', MAX_CONFIG_BYTES);
  if (typeof json.architecture !== 'string' || typeof json.os !== 'string') {
    throw invalid('image config', 'needs string "architecture" and "os"');
  }
  const rootfs = json.rootfs;
  if (!isRecord(rootfs) || !Array.isArray(rootfs.diff_ids)) throw invalid('image config', 'has no rootfs.diff_ids');
  const diffIds = rootfs.diff_ids.map((d, i) => {
    if (typeof d !== 'string' || !isDigest(d)) throw invalid('image config', `has an invalid diff_id at ${i}`);
    return d;
  });
  // The remaining fields are informational; keep them as they are, typed loosely.
  return { ...(json as unknown as ImageConfig), rootfs: { type: String(rootfs.type ?? 'layers'), diff_ids: diffIds } };
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

function normaliseContentType(value: string | undefined): string | undefined {
  return value?.split(';')[0]?.trim();
}

function invalid(what: string, problem: string): CoreError {
  return new CoreError('JSON_INVALID', `${what} ${problem}`);
}
