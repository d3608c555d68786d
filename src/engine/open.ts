/**
 * Opening images by name for the use cases: parse `transport:reference`,
 * then open a source (remote sources read through the local blob cache) or a
 * destination.
 */
import { defaultTransports } from '../image/all.js';
import { BlobCache } from '../image/cache/blob-cache.js';
import { withBlobCache } from '../image/cache/with-cache.js';
import { withProgress } from '../image/progress.js';
import type { TransportRegistry } from '../image/transports.js';
import type { ImageDestination, ImageSource, SystemContext } from '../image/types.js';

export interface OpenSourceOptions {
  /**
   * Read registry blobs through the local blob cache (default true). copy turns
   * it off: the blobs land at the destination anyway, and writing them twice
   * would halve its throughput.
   */
  cache?: boolean;
  transports?: TransportRegistry;
}

export async function openSource(name: string, context: SystemContext, options: OpenSourceOptions = {}): Promise<ImageSource> {
  const reference = (options.transports ?? defaultTransports()).parse(name);
  let source = await reference.newSource(context);
  if (reference.transport.name === 'docker' && options.cache !== false) source = withBlobCache(source, BlobCache.fromContext(context));
  return context.onProgress ? withProgress(source, context.onProgress) : source;
}

export async function openDestination(
  name: string,
  context: SystemContext,
  transports: TransportRegistry = defaultTransports(),
): Promise<ImageDestination> {
  return transports.parse(name).newDestination(context);
}
