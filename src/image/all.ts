/**
 * The one list of transports. Adding a transport means adding it here; a
 * duplicate name fails at start-up (TransportRegistry.register). The order
 * matters for paths typed without a prefix: the first local transport that
 * recognises the path reads it, so a `docker save` of Docker 25 or later
 * (both manifest.json and index.json) is read as docker-archive, keeping its
 * RepoTags.
 *
 * An entry of `image` (docs/architecture.md), with the registry of
 * transports and the formatting of names by it: naming an image by
 * transport is what needs every transport loaded.
 */
import { TransportRegistry } from './transports.js';
import { dockerTransport } from './transports/docker/transport.js';
import { dockerArchiveTransport } from './transports/docker-archive/transport.js';
import { ociArchiveTransport } from './transports/oci-archive/transport.js';
import { ociLayoutTransport } from './transports/oci-layout/transport.js';

export { TransportRegistry, formatReference } from './transports.js';

export function defaultTransports(): TransportRegistry {
  return new TransportRegistry([dockerTransport, ociLayoutTransport, dockerArchiveTransport, ociArchiveTransport]);
}
