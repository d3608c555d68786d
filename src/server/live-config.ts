/**
 * The parts of a running registry that a configuration reload (SIGHUP, or
 * `reload()` from an admin API) changes without a restart, each behind an
 * object the app holds for its whole life:
 *
 * - users: the htpasswd file is read again into a new authenticator, which
 *   replaces the old one at once (with the new anonymous-pull switch and
 *   login limits). The bcrypt worker threads are shared by every generation.
 *   What a new authenticator forgets: remembered correct logins (checked with
 *   bcrypt again) and failed-login counts. Turning authentication on or off
 *   needs a restart: the app decides at start whether it has an authenticator.
 * - the pull policy: deny severity, allow unscanned, require signature, and
 *   the trust policy file (read again), with the per-project thresholds
 *   (read from the project settings at every pull, not on reload); a wrapper that is always installed
 *   forwards to the current rules (none: every image is served) and counts
 *   refusals by reason kind for the metrics. The web UI asks the same rules
 *   through `verdicts`, which does not count (showing a verdict is not a
 *   refused pull), and the same signature check through `signatures`.
 * - upload caps (sessions per client) and the upload purge age.
 *
 * `apply` builds every new part first and swaps them in only when all could
 * be built, so a reload that fails (an htpasswd file with a bad line, a
 * policy file that does not parse) leaves the running configuration whole.
 * Parts it replaces are closed a minute later, when requests that were
 * using them have finished. The log level is the caller's to apply.
 */
import { findEntry } from '../trust/index.js';
import type { ManifestClassifier } from './artifact.js';
import type { ProjectSettingsProvider } from './gc/projects.js';
import { PasswordWorkerPool } from './auth/password-pool.js';
import { HtpasswdAuthenticator } from './auth/htpasswd.js';
import type { RegistryConfig } from './config.js';
import type { MetadataStore, ManifestEntry } from './metadata/store.js';
import type { Metrics } from './metrics.js';
import { createPullPolicy } from './policy.js';
import type { AccessControl, PolicyDecision, PullPolicy, RegistryLimits } from './services.js';
import { createSignatureCheck, type NotaryTrustData, type SignatureChecker, type SignatureView } from './signature-check.js';
import type { BlobStore } from './storage/blob-store.js';
import type { UploadPurger } from './upload-purge.js';
import { DEFAULT_UPLOAD_PURGE_AGE_MS } from './upload-purge.js';
import type { Invalidation } from './invalidation.js';

export interface LivePartsOptions {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  readonly classifier: ManifestClassifier;
  readonly metrics: Metrics;
  readonly purger: UploadPurger;
  /** The registry's credentials for its own loopback calls (signature checks), when it has authentication. */
  readonly internalToken: string;
  /** With accounts, users live in the store and are not reloaded from htpasswd; signature checks still authenticate. */
  readonly accounts: boolean;
  /** `host:port` the registry listens on (loopback), known once it listens. */
  readonly selfAddress: () => string;
  readonly publicName: () => string;
  /** Per-project settings: a project's `denySeverity` tightens the pull policy for its images. */
  readonly projects?: ProjectSettingsProvider;
  /** The registry's Notary data: signature checks accept what it signs (content-trust.ts). */
  readonly notary?: NotaryTrustData;
  /** Whether changes made by other processes are heard now (invalidation.ts): signature answers are cached only then. */
  readonly listening?: () => boolean;
  /** The longest a signature answer is kept (invalidation.ts `keepAtMostMs`); default the check's own (5 minutes when allowed). */
  readonly positiveTtlMs?: number;
}

export interface LiveParts {
  /** Present when the registry started with htpasswd and without accounts: forwards to the current generation's users. */
  readonly auth?: AccessControl;
  readonly pullPolicy: PullPolicy;
  /** The same current rules as `pullPolicy`, for showing verdicts: its refusals are not counted in the metrics. */
  readonly verdicts: PullPolicy;
  /** The current signature check's findings (none while signatures are not required). */
  readonly signatures: SignatureView;
  /** Forget the cached signature answers a change names (a signature pushed, Notary data changed; here or in another process). */
  invalidate(change: Invalidation): void;
  /** The app's limits object: `maxUploadsPerClient` changes on apply. */
  readonly limits: Partial<RegistryLimits>;
  /** Builds the parts of `next`, then swaps them in; throws (changing nothing) when one cannot be built. */
  apply(next: RegistryConfig): Promise<void>;
  close(): Promise<void>;
}

const ALLOW: PolicyDecision = { allowed: true };
/** How long a replaced part stays open for the requests still using it. */
const RETIRE_AFTER_MS = 60_000;
const DEFAULT_MAX_UPLOADS_PER_CLIENT = 1_000;

interface Generation {
  readonly htpasswd?: HtpasswdAuthenticator;
  readonly signatures?: SignatureChecker;
  readonly policy?: PullPolicy;
}

export async function openLiveParts(config: RegistryConfig, options: LivePartsOptions): Promise<LiveParts> {
  const withHtpasswd = !options.accounts && config.htpasswd !== undefined;
  const withAuth = options.accounts || withHtpasswd;
  const pool = withHtpasswd ? new PasswordWorkerPool() : undefined;
  const retiring = new Set<Generation>();
  const timers = new Set<NodeJS.Timeout>();

  async function build(next: RegistryConfig): Promise<Generation> {
    const htpasswd =
      withHtpasswd && next.htpasswd
        ? await HtpasswdAuthenticator.load(next.htpasswd, { anonymousPull: next.anonymousPull === true, verifier: pool!, ...(next.loginLimits ? { failures: next.loginLimits } : {}) })
        : undefined;
    const signatures = next.requireSignature
      ? createSignatureCheck({
          blobs: options.blobs,
          metadata: options.metadata,
          keys: next.requireSignature.keys,
          ...(next.requireSignature.policy ? { policy: next.requireSignature.policy } : {}),
          ...(next.requireSignature.policyKeys ? { policyKeys: next.requireSignature.policyKeys } : {}),
          selfAddress: options.selfAddress,
          publicName: options.publicName,
          ...(withAuth ? { internalToken: options.internalToken } : {}),
          ...(options.notary ? { notary: options.notary } : {}),
          ...(options.listening ? { listening: options.listening } : {}),
          ...(options.positiveTtlMs !== undefined ? { positiveTtlMs: options.positiveTtlMs } : {}),
        })
      : undefined;
    // The trust policy's CVE allowlist for the repository excuses findings from the registry's threshold.
    const registryPolicy = next.requireSignature?.policy;
    const policy = createPullPolicy({
      classifier: options.classifier,
      metadata: options.metadata,
      ...(next.denySeverity ? { denySeverity: next.denySeverity } : {}),
      allowUnscanned: next.allowUnscanned === true,
      ...(signatures ? { requireSignature: signatures.check } : {}),
      ...(options.projects ? { projects: options.projects } : {}),
      ...(registryPolicy ? { allowlistFor: (repository: string) => findEntry(registryPolicy, `${options.publicName()}/${repository}`)?.cveAllowlist } : {}),
    });
    return { ...(htpasswd ? { htpasswd } : {}), ...(signatures ? { signatures } : {}), ...(policy ? { policy } : {}) };
  }

  async function closeGeneration(generation: Generation): Promise<void> {
    await generation.htpasswd?.close();
    await generation.signatures?.close();
  }

  function retire(generation: Generation): void {
    retiring.add(generation);
    const timer = setTimeout(() => {
      timers.delete(timer);
      retiring.delete(generation);
      void closeGeneration(generation).catch(() => undefined);
    }, RETIRE_AFTER_MS);
    timer.unref();
    timers.add(timer);
  }

  let current = await build(config);
  const limits: { maxUploadsPerClient: number } = { maxUploadsPerClient: config.maxUploadsPerClient ?? DEFAULT_MAX_UPLOADS_PER_CLIENT };

  // The app holds this object for its whole life; each call goes to the users of the current generation.
  const liveAuth: AccessControl = {
    authenticate: (request) => current.htpasswd!.authenticate(request),
    can: (principal, action, repository) => current.htpasswd!.can(principal, action, repository),
    readableProjects: (principal) => current.htpasswd!.readableProjects(principal),
    challenge: () => current.htpasswd!.challenge(),
    authorize: (request, access, repository) => current.htpasswd!.authorize(request, access, repository),
    knowsUser: (name) => current.htpasswd!.knowsUser(name),
  };
  const pullPolicy: PullPolicy = {
    async check(record: ManifestEntry, tag?: string): Promise<PolicyDecision> {
      const rules = current.policy;
      if (!rules) return ALLOW;
      const decision = await rules.check(record, tag);
      if (!decision.allowed) options.metrics.countDenied(decision.kind ?? 'undecided');
      return decision;
    },
  };

  const verdicts: PullPolicy = {
    async check(record: ManifestEntry): Promise<PolicyDecision> {
      return current.policy ? current.policy.check(record) : ALLOW;
    },
  };
  const signatures: SignatureView = {
    async describe(repository, digest) {
      return current.signatures?.describe(repository, digest);
    },
  };

  return {
    ...(withHtpasswd ? { auth: liveAuth } : {}),
    pullPolicy,
    verdicts,
    signatures,
    invalidate(change) {
      current.signatures?.invalidate(change);
      // A replaced generation still answers the requests that began with it.
      for (const old of retiring) old.signatures?.invalidate(change);
    },
    limits,
    async apply(next) {
      const fresh = await build(next);
      const old = current;
      current = fresh;
      limits.maxUploadsPerClient = next.maxUploadsPerClient ?? DEFAULT_MAX_UPLOADS_PER_CLIENT;
      options.purger.ageMs = next.uploadPurgeAgeMs ?? DEFAULT_UPLOAD_PURGE_AGE_MS;
      retire(old);
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const generation of [...retiring, current]) await closeGeneration(generation);
      retiring.clear();
      await pool?.close();
    },
  };
}
