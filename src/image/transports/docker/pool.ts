/**
 * A pool of RegistryClients for callers that talk to the same registries many
 * times in one process (a verifier checking many images, the registry
 * server's workers): one client per registry, credentials and connection
 * settings, so its `/v2/` ping, Bearer tokens, keep-alive connections and
 * what it learnt about the registry (no referrers API) are paid for once.
 *
 * It lives with the docker transport, not with its users, because what makes
 * two clients interchangeable is the transport's business: the registry host,
 * the credentials the transport resolves for a repository, and the
 * SystemContext's TLS, timeout and retry settings. Any engine (trust, copy,
 * the server) can then share it.
 *
 * Lifetime: the caller owns the pool and closes it; `close()` closes every
 * client it made (their HTTP dispatchers), and the pool refuses new work
 * afterwards. Clients taken from the pool must not be closed by the borrower.
 * Credentials are resolved once per registry and repository for the pool's
 * lifetime (a credential helper is not run again for every image).
 */
import { createHash } from 'node:crypto';
import type { ImageRef } from '../../../core/index.js';
import type { RegistryCredentials } from '../../auth/types.js';
import type { SystemContext } from '../../types.js';
import type { RegistryClient } from './client.js';
import { dockerTransport, type DockerTransport } from './transport.js';

export interface RegistryClientPoolOptions {
  /** The transport that resolves credentials and builds clients (default: the standard one). */
  readonly transport?: DockerTransport;
}

export class RegistryClientPool {
  private readonly transport: DockerTransport;
  /** registry + credentials + settings → the client (a promise, so concurrent callers share one). */
  private readonly clients = new Map<string, Promise<RegistryClient>>();
  /** settings + registry + repository → the credentials resolved for it. */
  private readonly credentials = new Map<string, Promise<RegistryCredentials | undefined>>();
  /** Identity numbers for the objects a context carries by reference (signal, progress callback, env, transport). */
  private readonly identities = new WeakMap<object, number>();
  private nextIdentity = 1;
  private closed = false;

  constructor(options: RegistryClientPoolOptions = {}) {
    this.transport = options.transport ?? dockerTransport;
  }

  /** How many clients the pool holds (diagnostics and tests). */
  get size(): number {
    return this.clients.size;
  }

  /** The pooled client for `ref`'s registry; do not close it (close the pool). */
  async clientFor(ref: ImageRef, context: SystemContext, transport: DockerTransport = this.transport): Promise<RegistryClient> {
    this.assertOpen();
    const settings = this.settingsKey(context, transport);
    const credentialsKey = `${settings}\0${ref.registry}\0${ref.repository}`;
    let credentials = this.credentials.get(credentialsKey);
    if (!credentials) {
      credentials = transport.credentialsFor(ref, context);
      this.credentials.set(credentialsKey, credentials);
      credentials.catch(() => this.credentials.delete(credentialsKey));
    }
    const resolved = await credentials;
    this.assertOpen();
    const clientKey = `${settings}\0${ref.registry}\0${fingerprint(resolved)}`;
    let client = this.clients.get(clientKey);
    if (!client) {
      client = import('./client.js').then(({ RegistryClient }) => RegistryClient.fromContext(ref.registry, context, resolved));
      this.clients.set(clientKey, client);
      client.catch(() => this.clients.delete(clientKey));
    }
    return client;
  }

  /** Closes every client of the pool; later `clientFor` calls throw. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    this.credentials.clear();
    const settled = await Promise.allSettled(clients);
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the registry client pool is closed');
  }

  private identity(value: object | undefined): number {
    if (value === undefined) return 0;
    let id = this.identities.get(value);
    if (id === undefined) {
      id = this.nextIdentity++;
      this.identities.set(value, id);
    }
    return id;
  }

  /** What distinguishes two contexts for a client: equal keys mean interchangeable clients. */
  private settingsKey(context: SystemContext, transport: DockerTransport): string {
    return JSON.stringify([
      this.identity(transport),
      context.tlsVerify ?? null,
      context.certDir ?? null,
      context.timeoutMs ?? null,
      context.retries ?? null,
      context.authFile ?? null,
      context.credentials ? fingerprint(context.credentials) : null,
      this.identity(context.signal),
      this.identity(context.onProgress),
      this.identity(context.onWarning),
      this.identity(context.env),
    ]);
  }
}

/** A digest of credentials, so the pool's keys never hold a secret in the clear. */
function fingerprint(credentials: { username: string; password: string; identityToken?: string } | undefined): string {
  if (!credentials) return 'anonymous';
  return createHash('sha256')
    .update(JSON.stringify([credentials.username, credentials.password, credentials.identityToken ?? null]))
    .digest('hex');
}
