/**
 * What the registry refuses to serve: Harbor's "prevent vulnerable images from
 * running" and Docker Content Trust's "unsigned images are refused", applied
 * at manifest GET. A default-deny function of evidence (design example 13):
 *
 * - What a manifest is comes from its content (`artifact.ts`), never from
 *   what the pusher declared. Accessories (signatures, attestations, SBOMs)
 *   are served, or nobody could fetch the signatures the check itself needs;
 *   an index is judged on its signature, its images one by one as clients
 *   fetch them.
 * - Under a severity rule, an image is served only on a finished, complete
 *   scan ("done", every cataloguer and layer read) with nothing at or above
 *   the threshold. Queued, scanning, failed, partial, waiting for an
 *   advisory database: refused, with the reason. While a rescan after a
 *   database update is queued or running, the previous complete result
 *   stands (it is evidence; a rescan is not a reason to stop serving).
 *   `allowUnscanned` is the explicit opt-out for images that have no result
 *   yet (queued, no database): failed and partial scans are refused even then.
 * - A project may refuse more than the registry, never less: with a
 *   settings provider, an image is judged on the stricter of the registry's
 *   `denySeverity` and its project's (gc/projects.ts), and a project
 *   threshold refuses that project's images without a complete scan even
 *   when the registry allows unscanned ones (a weaker project level simply
 *   has no effect). The settings are read at every image pull (no cache: a
 *   change applies to the next pull); a read that fails refuses.
 * - Anything that cannot be decided (the manifest cannot be read, the
 *   signature check throws, the project's settings cannot be read) is a
 *   refusal too.
 */
import { type SeverityLevel, type Digest, SEVERITY_ORDER } from '../core/index.js';
import type { ManifestClassifier } from './artifact.js';
import { projectOf, type ProjectSettingsProvider } from './gc/projects.js';
import type { ManifestRecord, MetadataStore, ScanRecord } from './metadata/store.js';
import type { DenialKind, PolicyDecision, PullPolicy } from './services.js';

/** `tag` when the client asked by tag (content trust compares the tag's signed target). */
export type SignatureCheck = (repository: string, digest: Digest, tag?: string) => Promise<PolicyDecision>;

export interface PullPolicyOptions {
  readonly classifier: ManifestClassifier;
  readonly metadata: MetadataStore;
  /** Refuse images whose latest complete scan has a finding at or above this severity, and images without one. */
  readonly denySeverity?: SeverityLevel;
  /** Serve images that have no scan result yet (queued, no advisory database). Never failed or partial ones. */
  readonly allowUnscanned?: boolean;
  /** Refuse images and indexes without a valid signature from a trusted key. */
  readonly requireSignature?: SignatureCheck;
  /** Per-project settings: a project's `denySeverity` tightens the registry's for its images (never loosens it). */
  readonly projects?: ProjectSettingsProvider;
}

const ALLOW: PolicyDecision = { allowed: true };

export function createPullPolicy(options: PullPolicyOptions): PullPolicy | undefined {
  if (!options.denySeverity && !options.requireSignature && !options.projects) return undefined;
  return {
    async check(record: ManifestRecord, tag?: string): Promise<PolicyDecision> {
      try {
        return await decide(record, options, tag);
      } catch (error) {
        return {
          allowed: false,
          kind: 'undecided',
          reason: `cannot decide whether ${record.digest} may be served (${(error as Error).message}); refused until it can`,
          summary: 'cannot decide (the check failed)',
        };
      }
    },
  };
}

async function decide(record: ManifestRecord, options: PullPolicyOptions, tag: string | undefined): Promise<PolicyDecision> {
  // Read first (it needs only the name): with no threshold and no signature rule there is nothing to classify.
  const threshold = await effectiveThreshold(record.repository, options);
  if (!threshold && !options.requireSignature) return ALLOW;
  const { kind } = await options.classifier.classify(record);
  if (kind === 'accessory') return ALLOW;
  if (options.requireSignature) {
    const signed = await options.requireSignature(record.repository, record.digest, tag);
    if (!signed.allowed) return { ...signed, kind: signed.kind ?? 'unsigned', summary: signed.summary ?? 'no trusted signature' };
  }
  return kind === 'image' && threshold ? vulnerabilityDecision(record.digest, threshold, options) : ALLOW;
}

interface Threshold {
  readonly level: SeverityLevel;
  /** Whose rule it is, as the refusal names it: `policy` (the registry's) or `project NAME policy`. */
  readonly owner: string;
  /** Images without a result yet are served (the registry's `allowUnscanned`, never under a project's threshold). */
  readonly allowUnscanned: boolean;
}

/** The stricter of the registry's threshold and the repository's project's; none when neither has one. */
async function effectiveThreshold(repository: string, options: PullPolicyOptions): Promise<Threshold | undefined> {
  const registry: Threshold | undefined = options.denySeverity ? { level: options.denySeverity, owner: 'policy', allowUnscanned: options.allowUnscanned === true } : undefined;
  if (!options.projects) return registry;
  const project = projectOf(repository);
  const own = (await options.projects.settingsFor(project)).denySeverity;
  if (!own) return registry;
  // A project threshold refuses unscanned images of the project (fail closed), whatever the registry allows.
  const level = registry && SEVERITY_ORDER.indexOf(registry.level) > SEVERITY_ORDER.indexOf(own) ? registry.level : own;
  return { level, owner: level === own ? `project ${project} policy` : 'policy', allowUnscanned: false };
}

async function vulnerabilityDecision(digest: Digest, threshold: Threshold, options: PullPolicyOptions): Promise<PolicyDecision> {
  const scan = await options.metadata.getScan(digest);
  const rule = `${threshold.owner}: deny ${threshold.level} and above, and images without a complete scan`;
  const evidence = completeResult(scan);
  if ('missing' in evidence) {
    if (evidence.unscanned && threshold.allowUnscanned) return ALLOW;
    return { allowed: false, kind: evidence.kind, reason: `image ${digest} ${evidence.missing} (${rule})`, summary: MISSING_SUMMARY[evidence.kind] };
  }
  const counts = evidence.counts;
  const worst = SEVERITY_ORDER.slice(0, SEVERITY_ORDER.indexOf(threshold.level) + 1).filter((s) => (counts[s] ?? 0) > 0);
  if (worst.length === 0) return ALLOW;
  const summary = worst.map((s) => `${counts[s]} ${s}`).join(', ');
  const total = worst.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  const ids = findingIds(scan, worst);
  return {
    allowed: false,
    kind: 'vulnerable',
    reason: `image ${digest} has ${summary} ${total === 1 ? 'vulnerability' : 'vulnerabilities'} (${threshold.owner}: deny ${threshold.level} and above)`,
    summary: ids ? `${summary} (${ids})` : summary,
  };
}

const MISSING_SUMMARY: Readonly<Record<DenialKind, string>> = {
  unscanned: 'not scanned yet',
  scan_failed: 'scan failed',
  scan_partial: 'only partly scanned',
  vulnerable: 'vulnerable',
  unsigned: 'unsigned',
  undecided: 'cannot decide',
};

/** The ids of the findings at the refused levels, a CVE alias preferred, at most three: what the summary names. */
function findingIds(scan: ScanRecord | undefined, levels: readonly SeverityLevel[]): string | undefined {
  const ids: string[] = [];
  let more = false;
  for (const finding of scan?.result?.findings ?? []) {
    if (!levels.includes(finding.severity)) continue;
    const id = [finding.id, ...finding.aliases].find((a) => a.startsWith('CVE-')) ?? finding.id;
    if (ids.includes(id)) continue;
    if (ids.length === 3) {
      more = true;
      break;
    }
    ids.push(id);
  }
  return ids.length ? `${ids.join(', ')}${more ? ', …' : ''}` : undefined;
}

type Evidence =
  | { readonly counts: Readonly<Partial<Record<SeverityLevel, number>>> }
  /** `unscanned`: no result yet, as opposed to a failed or partial one. */
  | { readonly missing: string; readonly unscanned: boolean; readonly kind: DenialKind };

/** The counts of a complete scan result the record holds, or why there is none. */
export function completeResult(scan: ScanRecord | undefined): Evidence {
  if (!scan) return { missing: 'has not been scanned yet', unscanned: true, kind: 'unscanned' };
  const incomplete = scan.result?.incomplete ?? [];
  const hasComplete = scan.result !== undefined && scan.counts !== undefined && incomplete.length === 0;
  switch (scan.state) {
    case 'done':
      if (incomplete.length > 0) return { missing: `was only partly scanned (${incomplete.slice(0, 3).join('; ')}${incomplete.length > 3 ? '; …' : ''})`, unscanned: false, kind: 'scan_partial' };
      if (!hasComplete) return { missing: 'has a scan record without a result', unscanned: false, kind: 'scan_failed' };
      return { counts: scan.counts! };
    case 'queued':
    case 'scanning':
      // A rescan keeps the previous complete result visible: it stays the evidence until the new one lands.
      if (hasComplete) return { counts: scan.counts! };
      return { missing: scan.error ? `is waiting to be scanned (${scan.error})` : `is ${scan.state === 'queued' ? 'waiting to be scanned' : 'being scanned'}`, unscanned: true, kind: 'unscanned' };
    case 'failed':
      return { missing: `could not be scanned (${scan.error ?? 'no reason recorded'})`, unscanned: false, kind: 'scan_failed' };
    case 'skipped':
      return { missing: 'was not scanned (the scanner did not take it for an image)', unscanned: false, kind: 'scan_failed' };
  }
}
