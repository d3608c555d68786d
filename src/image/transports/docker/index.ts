/**
 * The docker transport's registry client, an entry of `image` of its own:
 * for callers that talk to a registry directly (signatures and attestations)
 * and need neither the other transports nor the blob cache
 * (docs/architecture.md). The client itself (`client.ts`, undici) loads on
 * first use.
 */
export { dockerTransport, type DockerTransport, type DockerTransportOptions } from './transport.js';
export { RegistryClientPool, type RegistryClientPoolOptions } from './pool.js';
export { RegistryError, type RegistryErrorCode } from './errors.js';
export type { RegistryClient } from './client.js';
export { isLoopbackRegistry, loadTlsSettings, type TlsSettings } from './tls.js';
export type { Challenge } from './challenge.js';

/** The token flow (token-auth.ts) for the Notary client; loads undici on use. */
export const loadTokenAuth = (): Promise<typeof import('./token-auth.js')> => import('./token-auth.js');
