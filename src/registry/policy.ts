/**
 * What the registry refuses to serve. Harbor's "prevent vulnerable images from
 * running" and Docker Content Trust's "unsigned images are refused", applied
 * where it cannot be bypassed: at manifest GET/HEAD. Only images are judged;
 * artifacts (signatures, attestations, SBOMs) are always served, or nobody
 * could fetch the signatures the check itself needs. An index is judged on
 * its signature only: its images are judged one by one as clients fetch them.
 */
import type { SeverityLevel } from '../core/advisory.js';
import { readAllBounded } from '../core/bounded.js';
import { SEVERITY_ORDER } from '../core/finding.js';
import { MAX_MANIFEST_BYTES, parseManifest } from '../core/oci.js';
import type { Digest } from '../core/digest.js';
import { isIndexMediaType } from '../core/media-types.js';
import { classifyManifest, type ManifestKind } from './artifact.js';
import type { ManifestRecord, MetadataStore } from './metadata/store.js';
import type { PolicyDecision, PullPolicy } from './services.js';
import type { BlobStore } from './storage/blob-store.js';

export type SignatureCheck = (repository: string, digest: Digest) => Promise<PolicyDecision>;

export interface PullPolicyOptions {
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  /** Refuse images whose latest scan has a finding at or above this severity. */
  readonly denySeverity?: SeverityLevel;
  /** Refuse images that have no finished scan yet (only with denySeverity). */
  readonly denyUnscanned?: boolean;
  /** Refuse images and indexes without a valid signature from a trusted key. */
  readonly requireSignature?: SignatureCheck;
}

const ALLOW: PolicyDecision = { allowed: true };

export function createPullPolicy(options: PullPolicyOptions): PullPolicy | undefined {
  if (!options.denySeverity && !options.requireSignature) return undefined;
  const kinds = new Map<Digest, ManifestKind>();

  async function kindOf(record: ManifestRecord): Promise<ManifestKind> {
    const known = kinds.get(record.digest);
    if (known) return known;
    let kind: ManifestKind;
    if (isIndexMediaType(record.mediaType)) kind = 'index';
    else {
      const bytes = await readAllBounded(await options.blobs.read(record.digest), MAX_MANIFEST_BYTES, `manifest ${record.digest}`);
      kind = classifyManifest(record, parseManifest(bytes).layers.map((l) => l.mediaType));
    }
    if (kinds.size > 100_000) kinds.clear();
    kinds.set(record.digest, kind);
    return kind;
  }

  return {
    async check(record: ManifestRecord): Promise<PolicyDecision> {
      const kind = await kindOf(record);
      if (kind === 'artifact') return ALLOW;
      if (options.requireSignature) {
        const signed = await options.requireSignature(record.repository, record.digest);
        if (!signed.allowed) return signed;
      }
      if (kind === 'image' && options.denySeverity) return vulnerabilityDecision(record.digest, options.denySeverity, options);
      return ALLOW;
    },
  };
}

async function vulnerabilityDecision(digest: Digest, threshold: SeverityLevel, options: PullPolicyOptions): Promise<PolicyDecision> {
  const scan = await options.metadata.getScan(digest);
  const counts = scan?.counts;
  if (!counts) {
    if (options.denyUnscanned) return { allowed: false, reason: `image ${digest} has not been scanned yet (policy: deny unscanned images)` };
    return ALLOW;
  }
  const worst = SEVERITY_ORDER.slice(0, SEVERITY_ORDER.indexOf(threshold) + 1).filter((s) => (counts[s] ?? 0) > 0);
  if (worst.length === 0) return ALLOW;
  const summary = worst.map((s) => `${counts[s]} ${s}`).join(', ');
  return { allowed: false, reason: `image ${digest} has ${summary} vulnerabilities (policy: deny ${threshold} and above)` };
}
