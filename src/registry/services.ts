/**
 * The collaborators `buildApp` is made from (design example 9: build the app
 * from injected services, test it with `inject`). Nothing here listens or
 * opens files; `server.ts` and the `serve` command assemble real ones.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ManifestRecord } from './metadata/store.js';
import type { MetadataStore } from './metadata/store.js';
import type { BlobStore } from './storage/blob-store.js';

/** Told about every stored manifest (the scan queue listens). Must not throw or block. */
export interface RegistryEvents {
  manifestPushed(record: ManifestRecord, tag?: string): void;
  manifestDeleted?(repository: string, digest: ManifestRecord['digest']): void;
}

export type PolicyDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** Decides whether a manifest may be served on pull (unsigned, critically vulnerable…). */
export interface PullPolicy {
  check(record: ManifestRecord): Promise<PolicyDecision>;
}

export type Access = 'pull' | 'push' | 'delete';

export type AuthResult =
  | { readonly ok: true; readonly user?: string }
  /** `challenge` is the WWW-Authenticate value to answer with. */
  | {
      readonly ok: false;
      readonly challenge: string;
      readonly denied?: boolean;
      /** For the log: no credentials sent (the normal first request of every client), wrong ones, or not allowed. */
      readonly reason?: 'missing' | 'invalid' | 'denied' | 'rate-limited';
      /** The user name that was tried, for the log. */
      readonly user?: string;
    };

export interface Authenticator {
  /** `repository` is undefined for `/v2/` and the catalog. */
  authorize(headers: IncomingHttpHeaders, access: Access, repository?: string): Promise<AuthResult>;
}

export interface TufRequest {
  readonly gun: string;
  /** What follows `/_trust/tuf/` in the path. */
  readonly path: string;
  readonly method: string;
  readonly contentType?: string;
  readonly body?: Buffer;
}

export interface TufResponse {
  readonly status: number;
  readonly contentType?: string;
  readonly body: Buffer | string;
}

/** Notary v1 (Docker Content Trust) server endpoints under `/v2/<gun>/_trust/tuf/`. */
export interface NotaryService {
  handle(request: TufRequest): Promise<TufResponse>;
}

export interface RegistryLimits {
  /** Largest manifest accepted on push (distribution: 4 MiB). */
  readonly maxManifestBytes: number;
  /** Largest blob accepted on push. */
  readonly maxBlobBytes: number;
}

export interface RegistryServices {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  readonly limits?: Partial<RegistryLimits>;
  readonly events?: RegistryEvents;
  readonly pullPolicy?: PullPolicy;
  readonly auth?: Authenticator;
  readonly notary?: NotaryService;
}
