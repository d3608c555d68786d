/**
 * The roles every image transport plays, after containers/image's
 * types.go: a Transport parses the part of a name after `transport:` into an
 * ImageReference, which opens an ImageSource to read or an ImageDestination to
 * write. References are immutable once parsed.
 */
import type { Readable } from 'node:stream';
import type { Digest, Descriptor, Platform } from '../core/index.js';
import type { PathProbe } from './path-probe.js';

/** Raw manifest bytes as stored, with the digest of exactly these bytes. */
export interface ManifestBlob {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

export interface ImageSource {
  readonly reference: ImageReference;
  /**
   * Without a digest: the manifest the reference names (which may be an index).
   * With a digest: that manifest (an entry of the index), verified against it.
   */
  getManifest(digest?: Digest): Promise<ManifestBlob>;
  /** The blob's bytes, verified against `descriptor.digest` and `size` while they stream. */
  getBlob(descriptor: Descriptor): Promise<Readable>;
  close(): Promise<void>;
}

export interface PutManifestOptions {
  /**
   * True for a manifest that is an entry of an index being copied: stored by
   * digest only, the tag (if any) goes on the top-level manifest.
   */
  instance?: boolean;
}

export interface ImageDestination {
  readonly reference: ImageReference;
  /**
   * The manifest and index media types this destination can store; undefined
   * means any. copyImage converts (Docker schema 2 → OCI) when needed, as skopeo does.
   */
  readonly manifestMediaTypes?: readonly string[];
  /** True when the destination already holds this blob, so a copy can skip it. */
  hasBlob(descriptor: Descriptor): Promise<boolean>;
  /** Stores the blob; fails, storing nothing, when the bytes do not match the descriptor. */
  putBlob(descriptor: Descriptor, content: Readable): Promise<void>;
  /** Optional fast path: mount the blob from another repository of the same registry. */
  mountBlob?(descriptor: Descriptor, fromRepository: string): Promise<boolean>;
  putManifest(manifest: ManifestBlob, options?: PutManifestOptions): Promise<void>;
  /** Makes the write visible (tag, index.json, archive file). Nothing is visible before. */
  commit(): Promise<void>;
  /** Releases resources; without a prior commit, removes whatever was half-written. */
  close(): Promise<void>;
}

export interface ImageReference {
  readonly transport: Transport;
  /** The part after `transport:` as it would be typed again. */
  readonly within: string;
  newSource(context: SystemContext): Promise<ImageSource>;
  newDestination(context: SystemContext): Promise<ImageDestination>;
}

export interface Transport {
  /** `docker`, `oci`, `oci-archive`, `docker-archive`. */
  readonly name: string;
  parseReference(within: string): ImageReference;
  /**
   * For local transports: what this transport reads, as a user would call it
   * ("an OCI layout directory (oci-layout, index.json)"), and whether an
   * existing path typed without a prefix is that (TransportRegistry.resolve).
   */
  readonly plainPath?: {
    readonly description: string;
    claims(probe: PathProbe): Promise<boolean>;
  };
}

export interface Credentials {
  username: string;
  password: string;
}

export interface ProgressEvent {
  /** What is moving: a blob digest, or "manifest". */
  readonly id: string;
  readonly transferred: number;
  /** Total bytes when known. */
  readonly total?: number;
}

/**
 * Everything the environment contributes to opening a reference: TLS, auth,
 * platform choice, cache and progress. Named after containers/image's
 * SystemContext so skopeo users recognise the flags it carries.
 */
export interface SystemContext {
  /** false allows plain HTTP and unverified TLS for registries (skopeo's --tls-verify=false). */
  tlsVerify?: boolean;
  /** Directory with `*.crt` CA files (and `*.cert`/`*.key` client pairs), as containers' certs.d. */
  certDir?: string;
  /** Explicit credentials (skopeo's --creds); win over any auth file. */
  credentials?: Credentials;
  /** Auth file to read and write (skopeo's --authfile); otherwise REGISTRY_AUTH_FILE, then the defaults. */
  authFile?: string;
  /** The platform to pick from an index; defaults to this host's. */
  platform?: Platform;
  /** Root of the local blob cache; defaults to ~/.cache/portcullis. */
  cacheDir?: string;
  /** Size bound of the blob cache in bytes (default 2 GiB): least recently used blobs are evicted past it. */
  cacheMaxBytes?: number;
  /**
   * Registry timeout in milliseconds (default 60 s): the idle timeout of every
   * request, and the whole-request deadline of all but blob transfers
   * (docs/registry-client.md).
   */
  timeoutMs?: number;
  /** How many times to retry a request that failed with 429, 5xx or a reset connection. */
  retries?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Told what a user should know that does not stop the work (a loopback
   * registry answering plain HTTP); the CLI prints each message once.
   */
  onWarning?: (message: string) => void;
  /** Environment to read (REGISTRY_AUTH_FILE, HOME, DOCKER_CONFIG…); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}
