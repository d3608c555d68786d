/**
 * The `docker://` transport: `within` is `HOST/REPO[:TAG][@DIGEST]`, parsed
 * with parseImageRef (a bare `alpine` is docker.io/library/alpine:latest).
 * Opening a source or destination resolves credentials (explicit, auth files,
 * helpers) and builds one RegistryClient, which owns one HTTP dispatcher.
 */
import { formatImageRef, parseImageRef, type ImageRef } from '../../../core/index.js';
import type { RegistryCredentials } from '../../auth/types.js';
import type { ImageDestination, ImageReference, ImageSource, SystemContext, Transport } from '../../types.js';
import type { RegistryClient } from './client.js';
import type { PutBlobOptions } from './upload.js';

// The HTTP stack (undici, ~0.1 s to load) is imported only when a registry is
// actually opened, so commands on local images start fast.

export interface DockerTransportOptions {
  /** Replaces credential resolution (tests, or a CLI that already resolved them). */
  credentials?: (registry: string, repository: string, context: SystemContext) => Promise<RegistryCredentials | undefined>;
  /** Upload mode for destinations (chunked when chunkSize is set). */
  upload?: PutBlobOptions;
}

export class DockerTransport implements Transport {
  readonly name = 'docker';

  constructor(readonly options: DockerTransportOptions = {}) {}

  parseReference(within: string): DockerReference {
    return new DockerReference(this, parseImageRef(within.startsWith('//') ? within.slice(2) : within));
  }

  /** A RegistryClient for `ref`'s registry with credentials resolved for its repository. */
  async clientFor(ref: ImageRef, context: SystemContext): Promise<RegistryClient> {
    const [credentials, { RegistryClient }] = await Promise.all([this.credentialsFor(ref, context), import('./client.js')]);
    return RegistryClient.fromContext(ref.registry, context, credentials);
  }

  /** The credentials `clientFor` would use for `ref` (explicit, auth files, helpers), or undefined for anonymous. */
  async credentialsFor(ref: ImageRef, context: SystemContext): Promise<RegistryCredentials | undefined> {
    let credentials: RegistryCredentials | undefined;
    if (this.options.credentials) credentials = await this.options.credentials(ref.registry, ref.repository, context);
    else {
      const { resolveCredentials } = await import('../../auth/resolve.js');
      credentials = await resolveCredentials(ref.registry, context, { repository: ref.repository });
    }
    return credentials ? stripSource(credentials) : undefined;
  }
}

export class DockerReference implements ImageReference {
  readonly within: string;

  constructor(
    readonly transport: DockerTransport,
    readonly ref: ImageRef,
  ) {
    this.within = formatImageRef(ref);
  }

  async newSource(context: SystemContext): Promise<ImageSource> {
    const { DockerImageSource } = await import('./source.js');
    return new DockerImageSource(this, this.ref, await this.transport.clientFor(this.ref, context));
  }

  async newDestination(context: SystemContext): Promise<ImageDestination> {
    const { DockerImageDestination } = await import('./destination.js');
    return new DockerImageDestination(this, this.ref, await this.transport.clientFor(this.ref, context), this.transport.options.upload ?? {});
  }
}

function stripSource(credentials: RegistryCredentials & { source?: string }): RegistryCredentials {
  const out: RegistryCredentials = { username: credentials.username, password: credentials.password };
  if (credentials.identityToken) out.identityToken = credentials.identityToken;
  return out;
}

/** The transport with default credential resolution. */
export const dockerTransport = new DockerTransport();
