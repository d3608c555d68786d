/**
 * The collaborators `buildApp` is made from (design example 9: build the app
 * from injected services, test it with `inject`). Nothing here listens or
 * opens files; `listen.ts` and the `serve` command assemble real ones.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Digest, Finding, SeverityLevel } from '../core/index.js';
import type { Action, Principal } from './auth/principal.js';
import type { AccessEntry } from './auth/scopes.js';
import type { ProjectSettingsProvider, PushGuardOptions } from './gc/index.js';
import type { ManifestEntry, ManifestRecord } from './metadata/store.js';
import type { MetadataStore } from './metadata/store.js';
import type { BlobStore } from './storage/blob-store.js';
import type { UploadSessions } from './upload-sessions.js';
import type { BodyBudget } from './body-budget.js';

/** Who made the request an event came from: the signed-in principal's name (user or robot), absent for anonymous callers. */
export interface EventActor {
  readonly actor?: string;
}

/**
 * What happens in the registry, for whoever listens: the scan queue (pushes
 * and deletions), the signature cache, webhooks and other deliveries (pushes,
 * deletions, refused pulls, scans and their changes), with who made the
 * request when one did. Every method must return at once and never throw: a
 * listener that delivers somewhere else queues the work and answers for its
 * own failures. The scan service (scan/service.ts) calls the scan methods.
 */
export interface RegistryEvents {
  manifestPushed(record: ManifestRecord, tag?: string, who?: EventActor): void;
  /** A manifest was deleted (once for it, once for each accessory deleted with it). */
  manifestDeleted?(repository: string, digest: ManifestRecord['digest'], who?: EventActor): void;
  /** A tag was deleted; the manifest it pointed at stays. */
  tagDeleted?(repository: string, tag: string, digest: ManifestRecord['digest'], who?: EventActor): void;
  /** The pull policy refused a manifest GET (`tag` when the client asked by tag). */
  pullDenied?(record: ManifestRecord, decision: Extract<PolicyDecision, { readonly allowed: false }>, tag?: string, who?: EventActor): void;
  /** An image's scan finished with a result (partial ones included: see `incomplete`). */
  scanCompleted?(scan: ScanCompleted): void;
  /** An image could not be scanned (it is refused on pull wherever the policy asks for a scan). */
  scanFailed?(scan: ScanFailed): void;
  /**
   * A rescan after an advisory database change found the image affected by
   * advisories it was not affected by before (`new`), or no longer affected
   * (`fixed`). Told only when at least one list is non-empty, and never for
   * an image's first scan.
   */
  vulnerabilitiesChanged?(change: VulnerabilityChange): void;
}

/** The advisory database a scan used. */
export interface ScanDatabase {
  /** Changes whenever an import changed the database (scan/database.ts). */
  readonly fingerprint: string;
  /** When it was last imported (ISO 8601), when it says. */
  readonly importedAt?: string;
}

export interface ScannedManifest {
  readonly manifestDigest: Digest;
  /** Every repository holding the manifest when the scan finished (a digest is scanned once for all of them). */
  readonly repositories: readonly string[];
}

export interface ScanCompleted extends ScannedManifest {
  readonly database: ScanDatabase;
  /** Findings by severity. */
  readonly counts: Readonly<Partial<Record<SeverityLevel, number>>>;
  /** Why findings may be missing; non-empty: a partial scan, which every gate treats as a failed one. */
  readonly incomplete: readonly string[];
  /** `kept`: matched again from the inventory kept for the image, no blob read; `layers`: its layers were read. */
  readonly inventory: 'kept' | 'layers';
}

export interface ScanFailed extends ScannedManifest {
  readonly error: string;
}

export interface VulnerabilityChange extends ScannedManifest {
  /** The database of the new result. */
  readonly database: ScanDatabase;
  /** The fingerprint of the database the previous result was computed with. */
  readonly previousDatabase: string;
  /**
   * Findings of this result that the previous one did not have, compared by
   * advisory id (the CVE when there is one), package (purl), installed
   * version and layer digest. Each names the advisory (`id`, `aliases`,
   * `severity`, `fixedVersion`), the package and the layer that added it
   * (`layer`, `layerCreatedBy`).
   */
  readonly new: readonly Finding[];
  /** Findings of the previous result that this one no longer has (fixed or withdrawn upstream). */
  readonly fixed: readonly Finding[];
  /**
   * `kept`: the same inventory matched again, so every difference is the
   * database's; `layers`: the cataloguers changed since the previous result
   * and the layers were read again, so a difference may also be a package
   * found or no longer found.
   */
  readonly inventory: 'kept' | 'layers';
}

/**
 * Why a pull was refused, as a small fixed set (the `reason` label of
 * `portcullis_pulls_denied_total`): findings at or above the threshold, no
 * trusted signature, no scan result yet, a failed or skipped scan, a partial
 * scan, or a policy that could not decide.
 */
export type DenialKind = 'vulnerable' | 'unsigned' | 'unscanned' | 'scan_failed' | 'scan_partial' | 'undecided';

export type PolicyDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly reason: string;
      readonly kind?: DenialKind;
      /**
       * The refusal in a few words for people, as the web UI shows it after
       * "refused: " (`1 CRITICAL (CVE-2021-44906)`, `unsigned`, `not scanned yet`).
       * Written by the policy that refused, so the UI never words a verdict itself.
       */
      readonly summary?: string;
    };

/** Decides whether a manifest may be served on pull (unsigned, critically vulnerable…). */
export interface PullPolicy {
  /** `tag` when the client asked by tag. */
  check(record: ManifestEntry, tag?: string): Promise<PolicyDecision>;
}

export type Access = 'pull' | 'push' | 'delete';

/** What an authenticator may look at: the headers, and the client's address (for rate limits). A FastifyRequest is one. */
export interface AuthRequest {
  readonly headers: IncomingHttpHeaders;
  /** The peer's address as the socket reports it. */
  readonly ip: string;
}

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
      /** With reason 'rate-limited': when to come back (the `Retry-After` of the 429 answer). */
      readonly retryAfterSeconds?: number;
    };

export interface Authenticator {
  /** `repository` is undefined for `/v2/` and the catalog. */
  authorize(request: AuthRequest, access: Access, repository?: string): Promise<AuthResult>;
}

/** Who sent a request: a principal (anonymous when no credentials came), or why not. */
export type Authentication =
  | {
      readonly ok: true;
      readonly principal: Principal;
      /** With a Bearer token: the token's `access` claim, an upper bound on what this request may do. */
      readonly grants?: readonly AccessEntry[];
    }
  | {
      readonly ok: false;
      readonly reason: 'invalid' | 'rate-limited';
      /** The user name that was tried, for the log. */
      readonly user?: string;
      readonly retryAfterSeconds?: number;
      /** A Bearer token was sent and refused (the challenge then says `error="invalid_token"`). */
      readonly token?: boolean;
    };

/**
 * Authentication and authorisation as every endpoint asks them (api/v2/access.ts,
 * the token service, the admin API): who is calling, and `can` they do this
 * action to this repository (auth/permissions.ts). `authorize` (Authenticator)
 * is the two in one, for the UI and metrics.
 */
export interface AccessControl extends Authenticator {
  authenticate(request: AuthRequest): Promise<Authentication>;
  can(principal: Principal, action: Action, repository: string): Promise<boolean>;
  /** Projects whose repositories `principal` may pull (the catalog's filter); 'all' when every one. */
  readableProjects(principal: Principal): Promise<ReadonlySet<string> | 'all'>;
  /** The WWW-Authenticate value of a 401 for a request that needed `scope` (`repository:NAME:pull`…). */
  challenge(scope?: string, error?: 'invalid_token' | 'insufficient_scope'): string;
  /**
   * Whether `name` is still a user who may sign in (htpasswd: a line of the
   * current file). A UI session of a user who is not ends at its next
   * request; an authenticator without this method keeps no session alive.
   */
  knowsUser?(name: string): boolean;
}

export interface TufRequest {
  readonly gun: string;
  /** What follows `/_trust/tuf/` in the path. */
  readonly path: string;
  readonly method: string;
  readonly contentType?: string;
  readonly body?: Buffer;
  /**
   * Whether the caller may push to the GUN's repository, asked only when it
   * matters: a GET of `timestamp.key`/`snapshot.key` creates a server key
   * only then; otherwise it answers the existing key or 404 (reading must not
   * grow the store). Absent: no.
   */
  readonly mayWrite?: () => Promise<boolean>;
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
  /** Upload sessions one client (user, or address when anonymous) may have open at once; more answer 429. */
  readonly maxUploadsPerClient: number;
}

export interface RegistryServices {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  readonly limits?: Partial<RegistryLimits>;
  readonly events?: RegistryEvents;
  readonly pullPolicy?: PullPolicy;
  readonly auth?: AccessControl;
  readonly notary?: NotaryService;
  /** Open upload sessions per client (the cap); `buildApp` makes one when absent. Shared with the purger. */
  readonly uploads?: UploadSessions;
  /** Bytes of manifest and Notary bodies held in memory at once (body-budget.ts); `buildApp` makes one when absent. */
  readonly bodyBudget?: BodyBudget;
  /** Per-project settings: quotas are checked against them on push (gc/quota.ts); none when absent. */
  readonly projects?: ProjectSettingsProvider;
  /** How pushes wait for a blob a garbage collector is deleting (gc/push-guard.ts). */
  readonly pushGuard?: PushGuardOptions;
}
