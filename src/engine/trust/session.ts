/**
 * A trust session: what several sign/verify calls in one process share — one
 * registry client per registry (pooled: its ping, tokens, connections, and
 * the knowledge that a registry has no referrers API) and trust-store answers
 * while the store is unchanged. A long-running verifier (or the registry
 * server) opens one and passes it to every call; the CLI's one-shot commands
 * get a private one per call. The caller closes it.
 *
 * No verdict is kept: every call resolves its reference again, reads the
 * signature manifests of that digest again (`.sig` tag, referrers) and verifies
 * every signature. Only the signature blobs those manifests name are reused
 * (content-addressed, checked against their digest when first read).
 */
import { type DockerTransport, RegistryClientPool } from '../../image/transports/docker/index.js';
import type { KeyStore } from '../../trust/index.js';
import { SignatureBlobCache } from './registry.js';
import { KeyStoreCache } from './store-cache.js';

export interface TrustSessionOptions {
  /** The transport the pool builds clients with (default: the standard one). */
  readonly transport?: DockerTransport;
}

export class TrustSession {
  readonly clients: RegistryClientPool;
  /** Signature payloads and bundles by registry/repository@digest (bytes only: every signature is verified on every call). */
  readonly blobs = new SignatureBlobCache();
  private readonly stores = new Map<KeyStore, KeyStoreCache>();

  constructor(options: TrustSessionOptions = {}) {
    this.clients = new RegistryClientPool(options.transport ? { transport: options.transport } : {});
  }

  /** The cached view of a key store for this session. */
  keys(store: KeyStore): KeyStoreCache {
    let cache = this.stores.get(store);
    if (!cache) {
      cache = new KeyStoreCache(store);
      this.stores.set(store, cache);
    }
    return cache;
  }

  /** Closes every registry client of the session. */
  async close(): Promise<void> {
    this.stores.clear();
    await this.clients.close();
  }
}

/** Opens a session; close it when done (`await session.close()`). */
export function openTrustSession(options: TrustSessionOptions = {}): TrustSession {
  return new TrustSession(options);
}
