/**
 * What every trust use case shares: the registry, clients and clock they run
 * with (`TrustContext`), the registry image a name must be, and a registry
 * client for one call (the session's pooled one, or one of its own).
 */
import { parseImageRef, type ImageRef } from '../../core/index.js';
import type { SystemContext } from '../../image/index.js';
import { dockerTransport, type DockerTransport, type RegistryClient } from '../../image/transports/docker/index.js';
import { TrustError } from './errors.js';
import type { TrustSession } from './session.js';

export interface TrustContext {
  readonly context: SystemContext;
  /** The docker transport to open registries with (credentials); default the standard one. */
  readonly transport?: DockerTransport;
  readonly now?: () => Date;
  /**
   * Shared by many calls in one process: pooled registry clients (ping, tokens,
   * connections, a registry's missing referrers API) and trust-store answers.
   * The caller closes it. Without one, each call opens and closes its own client.
   */
  readonly session?: TrustSession;
}

/** `docker://host/repo:tag`, `host/repo:tag` → the parsed reference (registry images only). */
export function registryRef(image: string): ImageRef {
  const name = image.startsWith('docker://') ? image.slice('docker://'.length) : image;
  for (const prefix of ['oci:', 'oci-archive:', 'docker-archive:']) {
    if (name.startsWith(prefix)) throw new TrustError('TRUST_UNSUPPORTED', `signatures live in a registry: "${image}" is not a registry image (docker://HOST/REPO[:TAG])`);
  }
  return parseImageRef(name);
}

/** Runs `work` with a client for `ref`'s registry: the session's pooled one, or one of its own, closed afterwards. */
export async function withClient<T>(ref: ImageRef, trust: TrustContext, work: (client: RegistryClient) => Promise<T>): Promise<T> {
  if (trust.session) return work(await trust.session.clients.clientFor(ref, trust.context, trust.transport));
  const client = await (trust.transport ?? dockerTransport).clientFor(ref, trust.context);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
