/**
 * Content trust before a copy: verify before any layer is fetched, then hand
 * the copy a source pinned to the verified digest (`repo@sha256:…`) and a
 * `beforeCopy` check that the manifest about to be copied is that digest (or
 * an entry of that index): no window between check and use.
 */
import { type Digest, isIndexMediaType, parseIndex, formatImageRef, refName } from '../../core/index.js';
import type { ManifestBlob } from '../../image/index.js';
import { findEntry } from '../../trust/index.js';
import { registryRef, withClient } from './context.js';
import { TrustError } from './errors.js';
import { resolve } from './registry.js';
import { TrustSession } from './session.js';
import { refusal, verifyImage, type VerifyOptions, type VerifyReport } from './verify.js';

export interface ContentTrustOptions extends Omit<VerifyOptions, 'resolved' | 'keyFiles'> {
  /** Whether content trust is on (env or flag); a matching policy entry applies either way. */
  readonly contentTrust: boolean;
}

export interface ContentTrustResult {
  /** The source to copy from: pinned to the verified digest. */
  readonly source: string;
  readonly digest: Digest;
  readonly report?: VerifyReport;
  /** Pass to copyImage: refuses any manifest other than the verified one (or an entry of the verified index). */
  readonly beforeCopy: (manifest: ManifestBlob) => Promise<void>;
  /** Warnings for `action: warn`. */
  readonly warnings: readonly string[];
}

/**
 * Verify `source` (a `docker://` name) before a copy: resolve it once, verify
 * the digest, and return the source pinned to it. Non-registry sources and,
 * with content trust off, repositories no policy entry names, pass unchanged
 * (undefined).
 */
export async function enforceContentTrust(source: string, options: ContentTrustOptions): Promise<ContentTrustResult | undefined> {
  if (!source.startsWith('docker://')) return undefined;
  const ref = registryRef(source);
  const repository = refName(ref);
  const entry = findEntry(options.policy, repository);
  if (!options.contentTrust && !entry) return undefined;
  // One client for the resolution and the verification (the caller's session, or one of our own).
  const session = options.session ?? new TrustSession(options.transport ? { transport: options.transport } : {});
  let resolved: ManifestBlob;
  let report: VerifyReport;
  try {
    resolved = await withClient(ref, { ...options, session }, (client) => resolve(client, ref));
    if (ref.digest && resolved.digest !== ref.digest) throw new TrustError('TRUST_REFUSED', `the registry answered ${resolved.digest} for ${formatImageRef(ref)}`);
    report = await verifyImage(source, { ...options, session, resolved });
  } finally {
    if (!options.session) await session.close();
  }
  if (report.policy.decision === 'reject') throw refusal(report);
  const warnings = report.policy.decision === 'warn' ? [`policy ${report.policy.entry} (action warn): ${report.policy.unmet}: ${report.policy.reason}`] : [];
  const digest = report.digest;
  const children = new Set<string>();
  if (isIndexMediaType(resolved.mediaType)) {
    for (const m of parseIndex(resolved.bytes).manifests) children.add(m.digest);
  }
  const beforeCopy = async (manifest: ManifestBlob): Promise<void> => {
    if (manifest.digest === digest || children.has(manifest.digest)) return;
    throw new TrustError('TRUST_REFUSED', `content trust refused ${repository}: the manifest to copy (${manifest.digest}) is not the verified ${digest}`);
  };
  const pinned = `docker://${formatImageRef({ registry: ref.registry, repository: ref.repository, digest })}`;
  return { source: pinned, digest, report, beforeCopy, warnings };
}
