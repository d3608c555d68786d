/** The docker:// transport and the registry client it is built on. */
export { DockerTransport, DockerReference, dockerTransport, type DockerTransportOptions } from './transport.js';
export { RegistryClientPool, type RegistryClientPoolOptions } from './pool.js';
export { RegistryClient, type RegistryClientOptions, type CreateRegistryClientOptions, type ManifestHead, type PutManifestResult } from './client.js';
export { DockerImageSource } from './source.js';
export { DockerImageDestination } from './destination.js';
export { RegistryError, type RegistryErrorCode } from './errors.js';
export { referrersTag, type ReferrersOptions } from './referrers.js';
export type { PutBlobOptions } from './upload.js';
