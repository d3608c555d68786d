/**
 * Opening images by name for the use cases: parse `transport:reference` (or
 * recognise a plain path: TransportRegistry.resolve), then open a source
 * (remote sources read through the local blob cache) or a destination.
 */
import { defaultTransports, formatReference, type TransportRegistry } from '../image/all.js';
import { withProgress, type ImageDestination, type ImageSource, type SystemContext } from '../image/index.js';
import { BlobCache, withBlobCache } from '../image/cache/index.js';

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
  const reference = await (options.transports ?? defaultTransports()).resolve(name);
  let source = await reference.newSource(context);
  if (reference.transport.name === 'docker' && options.cache !== false) source = withBlobCache(source, BlobCache.fromContext(context));
  return context.onProgress ? withProgress(source, context.onProgress) : source;
}

export async function openDestination(
  name: string,
  context: SystemContext,
  transports: TransportRegistry = defaultTransports(),
): Promise<ImageDestination> {
  return (await transports.resolve(name, { destination: true })).newDestination(context);
}

/**
 * A plain path as `transport:PATH` (`./image.tar` → `docker-archive:./image.tar`),
 * for messages and reports that should say what was read; any other name is
 * returned as typed.
 */
export async function canonicalImageName(name: string, transports: TransportRegistry = defaultTransports()): Promise<string> {
  const reference = await transports.resolve(name);
  const prefixed = reference.transport.name === 'docker' || name.startsWith(`${reference.transport.name}:`);
  return prefixed ? name : formatReference(reference);
}
