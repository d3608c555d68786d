/**
 * `image`, its main entry: the transport roles, resolving an image to its
 * manifest and config, platform choice, copying and progress. Four parts are
 * entries of their own, so that each command loads only what it uses
 * (docs/architecture.md): `all.ts`, the one list of transports and naming
 * images by it (a plain path is probed by every local transport);
 * `cache/index.ts`, the local blob cache; `auth/index.ts`, registry
 * credentials and logins; and `transports/docker/index.ts`, the registry
 * client for callers that talk to a registry directly (signatures). Each
 * transport loads its reader and writer, and the docker transport its HTTP
 * client, on first use.
 */
export type {
  Credentials,
  ImageDestination,
  ImageReference,
  ImageSource,
  ManifestBlob,
  ProgressEvent,
  PutManifestOptions,
  SystemContext,
  Transport,
} from './types.js';
export { ImageError, type ImageErrorCode } from './errors.js';
export { formatPlatform, hostPlatform, parsePlatform, platformMatches, selectPlatform } from './platform.js';
export { resolveImage, type ResolveOptions, type ResolvedImage } from './image.js';
export { copyImage, type CopyOptions, type CopyResult } from './copy.js';
export { withProgress } from './progress.js';
