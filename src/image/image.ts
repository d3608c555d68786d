/**
 * Resolving a reference to one runnable image: read the manifest the
 * reference names, pick the platform when it is an index, then read and parse
 * the config. Everything is verified against its digest on the way, and the
 * manifest's layers must match the config's diff_ids one for one.
 */
import {
  type Digest,
  readAllBounded,
  MediaType,
  MAX_CONFIG_BYTES,
  manifestKind,
  parseImageConfig,
  parseIndex,
  parseManifest,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
  CoreError,
} from '../core/index.js';
import { ImageError } from './errors.js';
import { hostPlatform, selectPlatform } from './platform.js';
import type { ImageSource, ManifestBlob } from './types.js';

export interface ResolvedImage {
  readonly source: ImageSource;
  /** The manifest of the chosen image (never an index). */
  readonly manifestBlob: ManifestBlob;
  readonly manifest: ImageManifest;
  /** The index the reference named, when it named one. */
  readonly index?: { readonly blob: ManifestBlob; readonly index: ImageIndex };
  readonly configBlob: Buffer;
  /** Parsed when the config is an image config; undefined for other artifacts. */
  readonly config?: ImageConfig;
  readonly platform?: Platform;
}

export interface ResolveOptions {
  /** The platform to pick from an index; defaults to the host's. */
  platform?: Platform;
  /** Pick the index entry with this digest instead of matching a platform. */
  instance?: Digest;
}

const IMAGE_CONFIG_TYPES: readonly string[] = [MediaType.OciConfig, MediaType.DockerConfig];

export async function resolveImage(source: ImageSource, options: ResolveOptions = {}): Promise<ResolvedImage> {
  const top = await source.getManifest();
  const kind = classify(top);
  let manifestBlob = top;
  let index: ResolvedImage['index'];
  if (kind === 'index') {
    const parsed = parseIndexBlob(top);
    index = { blob: top, index: parsed };
    const entry = options.instance
      ? findInstance(parsed.manifests, options.instance)
      : selectPlatform(parsed.manifests, options.platform ?? hostPlatform());
    manifestBlob = await source.getManifest(entry.digest);
    if (classify(manifestBlob) !== 'manifest') {
      throw new ImageError('MANIFEST_UNSUPPORTED', `index entry ${entry.digest} is itself an index; nested indexes are not supported`);
    }
  } else if (options.instance && options.instance !== top.digest) {
    throw new ImageError('NOT_FOUND', `the reference names a single manifest ${top.digest}, not an index containing ${options.instance}`);
  }

  const manifest = parseManifestBlob(manifestBlob);
  const configBlob = await readAllBounded(await source.getBlob(manifest.config), MAX_CONFIG_BYTES, `config ${manifest.config.digest}`);
  const config = IMAGE_CONFIG_TYPES.includes(manifest.config.mediaType) ? parseImageConfig(configBlob) : undefined;
  if (config) checkLayerCount(manifestBlob.digest, manifest, config);
  const resolved: { -readonly [K in keyof ResolvedImage]: ResolvedImage[K] } = { source, manifestBlob, manifest, configBlob };
  if (index) resolved.index = index;
  if (config) {
    resolved.config = config;
    resolved.platform = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
  }
  return resolved;
}

/**
 * Layer i of the manifest is the layer whose uncompressed digest is
 * rootfs.diff_ids[i]: with more layers than diff_ids, the extra layers would
 * be read and reported without the config (and so the image ID) vouching for
 * them; with fewer, the image the config describes is not all there. Either
 * way the image is malformed, as `docker load` and copy to docker-archive
 * already say.
 */
function checkLayerCount(digest: Digest, manifest: ImageManifest, config: ImageConfig): void {
  const layers = manifest.layers.length;
  const diffIds = config.rootfs.diff_ids.length;
  if (layers !== diffIds) {
    throw new ImageError(
      'MANIFEST_INVALID',
      `image ${digest}: the manifest lists ${layers} layer${layers === 1 ? '' : 's'} but the config's rootfs.diff_ids has ${diffIds} entr${diffIds === 1 ? 'y' : 'ies'}`,
    );
  }
}

function classify(blob: ManifestBlob): 'manifest' | 'index' {
  try {
    return manifestKind(blob.bytes, blob.mediaType).kind;
  } catch (error) {
    throw asManifestError(error);
  }
}

function parseManifestBlob(blob: ManifestBlob): ImageManifest {
  try {
    return parseManifest(blob.bytes);
  } catch (error) {
    throw asManifestError(error);
  }
}

function parseIndexBlob(blob: ManifestBlob): ImageIndex {
  try {
    return parseIndex(blob.bytes);
  } catch (error) {
    throw asManifestError(error);
  }
}

function asManifestError(error: unknown): unknown {
  if (error instanceof CoreError && error.code === 'JSON_INVALID') {
    const unsupported = /unsupported|unknown manifest media type/.test(error.message);
    return new ImageError(unsupported ? 'MANIFEST_UNSUPPORTED' : 'MANIFEST_INVALID', error.message, { cause: error });
  }
  return error;
}

function findInstance(manifests: readonly Descriptor[], digest: Digest): Descriptor {
  const entry = manifests.find((m) => m.digest === digest);
  if (!entry) throw new ImageError('NOT_FOUND', `the index has no entry ${digest}`);
  return entry;
}
