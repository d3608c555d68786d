/**
 * "Refuse unsigned images", answered by the same verification the CLI's
 * `portcullis verify` runs (cosign tag layout and Sigstore bundles via the
 * referrers API, keys from the trust store, the trust policy), pointed at the
 * registry itself over loopback. The manifest is passed in already read, so
 * the check never re-enters the pull policy for the image it judges; the
 * signature artifacts it fetches are artifacts, which the policy always
 * serves. The repository identity is the registry's public name, the one
 * clients sign under, not the loopback address.
 *
 * Answers are cached: a positive one for minutes (a signature does not stop
 * being valid while the process runs, short of key revocation), a negative
 * one for seconds, and forgotten as soon as a signature for that image is
 * pushed (a `sha256-<hex>.sig` tag or a referrer), so an image signed right
 * after its push is served at once.
 */
import { type Digest, readAllBounded, MAX_MANIFEST_BYTES } from '../core/index.js';
import { openTrustSession, unsignedMessage, verifyImage, type KeyFile, type TrustSession } from '../engine/trust/index.js';
import type { KeyStore, Policy } from '../trust/index.js';
import type { SignatureCheck } from './policy.js';
import type { ManifestRecord, MetadataStore } from './metadata/store.js';
import type { PolicyDecision, RegistryEvents } from './services.js';
import type { BlobStore } from './storage/blob-store.js';

export interface SignatureCheckOptions {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  readonly keys: KeyStore;
  readonly policy?: Policy;
  /** PEM keys the policy names, already read. */
  readonly policyKeys?: readonly KeyFile[];
  /** `host:port` the registry listens on (loopback), known once it listens. */
  readonly selfAddress: () => string;
  /** `host[:port]` clients use to name this registry. */
  readonly publicName: () => string;
  /** Credentials that pass the registry's own authentication (an internal token). */
  readonly internalToken?: string;
  readonly positiveTtlMs?: number;
  readonly negativeTtlMs?: number;
}

export interface SignatureChecker extends RegistryEvents {
  readonly check: SignatureCheck;
  close(): Promise<void>;
}

const SIGNATURE_TAG = /^sha256-([0-9a-f]{64})\.(sig|att)$/;

export function createSignatureCheck(options: SignatureCheckOptions): SignatureChecker {
  const cache = new Map<string, { decision: PolicyDecision; until: number }>();
  let session: TrustSession | undefined;

  async function verify(repository: string, digest: Digest): Promise<PolicyDecision> {
    const record = await options.metadata.getManifest(repository, digest);
    if (!record) return { allowed: false, reason: `manifest ${digest} is not in ${repository}` };
    const bytes = await readAllBounded(await options.blobs.read(digest), MAX_MANIFEST_BYTES, `manifest ${digest}`);
    session ??= openTrustSession();
    const identity = `${options.publicName()}/${repository}`;
    const report = await verifyImage(`${options.selfAddress()}/${repository}@${digest}`, {
      context: { tlsVerify: false, ...(options.internalToken ? { credentials: { username: '<token>', password: options.internalToken } } : {}) },
      session,
      store: options.keys,
      identity,
      contentTrust: true,
      resolved: { bytes, mediaType: record.mediaType, digest },
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.policyKeys ? { policyKeys: options.policyKeys } : {}),
    });
    if (report.verified) return { allowed: true };
    if (report.policy.unsigned) return { allowed: false, reason: unsignedMessage(identity) };
    return { allowed: false, reason: `${identity}@${digest}: ${report.policy.reason ?? 'no valid signature by a key trusted for this repository'}` };
  }

  return {
    async check(repository: string, digest: Digest): Promise<PolicyDecision> {
      const key = `${repository}@${digest}`;
      const hit = cache.get(key);
      if (hit && hit.until > Date.now()) return hit.decision;
      const decision = await verify(repository, digest);
      const ttl = decision.allowed ? (options.positiveTtlMs ?? 300_000) : (options.negativeTtlMs ?? 5_000);
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { decision, until: Date.now() + ttl });
      return decision;
    },
    manifestPushed(record: ManifestRecord, tag?: string): void {
      if (record.subject) cache.delete(`${record.repository}@${record.subject}`);
      const signed = tag ? SIGNATURE_TAG.exec(tag) : null;
      if (signed) cache.delete(`${record.repository}@sha256:${signed[1]}`);
    },
    async close(): Promise<void> {
      await session?.close();
    },
  };
}
