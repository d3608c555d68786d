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
 *   settings provider, an image must pass both the registry's `denySeverity`
 *   and its project's (gc/projects.ts), the stricter judged first (so a
 *   refusal names it; the project's on a tie), and a project
 *   threshold refuses that project's images without a complete scan even
 *   when the registry allows unscanned ones (a weaker project level adds
 *   only that). The settings are read at every image pull (no cache: a
 *   change applies to the next pull); a read that fails refuses.
 * - CVE allowlists (trust/policy/cve-allowlist.ts): findings the registry's
 *   trust policy entry for the repository allowlists (unexpired) do not
 *   count against the registry's threshold; a project's own allowlist
 *   (its `trustPolicy.cveAllowlist`) excuses findings against the project's
 *   threshold only. The two rules are judged apart, each with its own
 *   allowlist, so a project's exceptions never loosen the registry's rule.
 * - A project's trust policy (project-trust-policy.ts) is handed to the
 *   signature check, which applies it after the registry's; a registry that
 *   checks no signatures (no --require-signature) refuses the images of a
 *   project that has one, rather than serve them unchecked.
 * - Anything that cannot be decided (the manifest cannot be read, the
 *   signature check throws, the project's settings cannot be read) is a
 *   refusal too.
 */
import { type SeverityLevel, type Digest, SEVERITY_ORDER } from '../core/index.js';
import { allowlistedBy, allowlistIndex, allowlistState, expiredNotes, type CveAllowlistEntry, type PolicyEntry } from '../trust/index.js';
import type { ManifestClassifier } from './artifact.js';
import { projectOf, type ProjectSettings, type ProjectSettingsProvider } from './gc/projects.js';
import type { ManifestEntry, MetadataStore, ScanRecord } from './metadata/store.js';
import type { DenialKind, PolicyDecision, PullPolicy } from './services.js';

/**
 * The registry's signature and trust policy check. `tag`: the client asked by
 * tag (content trust compares the tag's signed target); `project`: the
 * project's trust policy, applied after the registry's.
 */
export type SignatureCheck = (repository: string, digest: Digest, tag?: string, project?: PolicyEntry) => Promise<PolicyDecision>;

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
  /** The registry trust policy's CVE allowlist for a repository (its entry's), excused from the registry's threshold. */
  readonly allowlistFor?: (repository: string) => readonly CveAllowlistEntry[] | undefined;
  readonly now?: () => Date;
}

const ALLOW: PolicyDecision = { allowed: true };

export function createPullPolicy(options: PullPolicyOptions): PullPolicy | undefined {
  if (!options.denySeverity && !options.requireSignature && !options.projects) return undefined;
  return {
    async check(record: ManifestEntry, tag?: string): Promise<PolicyDecision> {
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

async function decide(record: ManifestEntry, options: PullPolicyOptions, tag: string | undefined): Promise<PolicyDecision> {
  // Read first (it needs only the name): with no threshold and no signature rule there is nothing to classify.
  const project = projectOf(record.repository);
  const settings: ProjectSettings = options.projects ? await options.projects.settingsFor(project) : {};
  const rules = severityRules(record.repository, project, settings, options);
  const trust = settings.trustPolicy ? { ...settings.trustPolicy, where: `project ${project} policy` } : undefined;
  if (rules.length === 0 && !options.requireSignature && !trust) return ALLOW;
  const { kind } = await options.classifier.classify(record);
  if (kind === 'accessory') return ALLOW;
  if (trust && !options.requireSignature) {
    return {
      allowed: false,
      kind: 'undecided',
      reason: `project ${project} has a trust policy, and this registry checks no signatures (start portcullis serve with --require-signature): refused rather than served unchecked`,
      summary: 'project trust policy not checked',
    };
  }
  if (options.requireSignature) {
    const signed = await options.requireSignature(record.repository, record.digest, tag, trust);
    if (!signed.allowed) return { ...signed, kind: signed.kind ?? 'unsigned', summary: signed.summary ?? 'no trusted signature' };
  }
  if (kind !== 'image') return ALLOW;
  for (const rule of rules) {
    const decision = await vulnerabilityDecision(record.digest, rule, options);
    if (!decision.allowed) return decision;
  }
  return ALLOW;
}

interface Threshold {
  readonly level: SeverityLevel;
  /** Whose rule it is, as the refusal names it: `policy` (the registry's) or `project NAME policy`. */
  readonly owner: string;
  /** Images without a result yet are served (the registry's `allowUnscanned`, never under a project's threshold). */
  readonly allowUnscanned: boolean;
  /** Findings this rule's owner has excused until they expire. */
  readonly allowlist: readonly CveAllowlistEntry[];
}

/**
 * The registry's threshold and the project's, each with its own allowlist,
 * the stricter first (its refusal is the one named; the project's on a tie); none when neither has one.
 * A project threshold refuses unscanned images of the project (fail closed), whatever the registry allows.
 */
function severityRules(repository: string, project: string, settings: ProjectSettings, options: PullPolicyOptions): Threshold[] {
  const rules: Threshold[] = [];
  if (options.denySeverity) rules.push({ level: options.denySeverity, owner: 'policy', allowUnscanned: options.allowUnscanned === true, allowlist: options.allowlistFor?.(repository) ?? [] });
  if (settings.denySeverity) {
    const own: Threshold = { level: settings.denySeverity, owner: `project ${project} policy`, allowUnscanned: false, allowlist: settings.trustPolicy?.cveAllowlist ?? [] };
    if (rules[0] && SEVERITY_ORDER.indexOf(rules[0].level) < SEVERITY_ORDER.indexOf(own.level)) rules.push(own);
    else rules.unshift(own);
  }
  return rules;
}

async function vulnerabilityDecision(digest: Digest, threshold: Threshold, options: PullPolicyOptions): Promise<PolicyDecision> {
  const scan = await options.metadata.getScan(digest);
  const rule = `${threshold.owner}: deny ${threshold.level} and above, and images without a complete scan`;
  const evidence = completeResult(scan);
  if ('missing' in evidence) {
    if (evidence.unscanned && threshold.allowUnscanned) return ALLOW;
    return { allowed: false, kind: evidence.kind, reason: `image ${digest} ${evidence.missing} (${rule})`, summary: MISSING_SUMMARY[evidence.kind] };
  }
  const allowlist = allowlistState(threshold.allowlist, options.now?.() ?? new Date());
  const excused = allowlistIndex(allowlist.active);
  const counts = excuse(evidence.counts, scan, excused);
  const worst = SEVERITY_ORDER.slice(0, SEVERITY_ORDER.indexOf(threshold.level) + 1).filter((s) => (counts[s] ?? 0) > 0);
  if (worst.length === 0) return ALLOW;
  const summary = worst.map((s) => `${counts[s]} ${s}`).join(', ');
  const total = worst.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  const ids = findingIds(scan, worst, excused);
  return {
    allowed: false,
    kind: 'vulnerable',
    reason: `image ${digest} has ${summary} ${total === 1 ? 'vulnerability' : 'vulnerabilities'} (${threshold.owner}: deny ${threshold.level} and above)${expiredNotes(allowlist).map((n) => `; ${n}`).join('')}`,
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

/** The counts without the findings an unexpired allowlist entry covers (by id or alias, as the ignore file matches). */
function excuse(counts: Readonly<Partial<Record<SeverityLevel, number>>>, scan: ScanRecord | undefined, index: ReadonlyMap<string, CveAllowlistEntry>): Readonly<Partial<Record<SeverityLevel, number>>> {
  if (index.size === 0) return counts;
  const out = { ...counts };
  for (const f of scan?.result?.findings ?? []) {
    if (allowlistedBy(index, [f.id, ...f.aliases]) && (out[f.severity] ?? 0) > 0) out[f.severity] = out[f.severity]! - 1;
  }
  return out;
}

/** The ids of the findings at the refused levels (not allowlisted), a CVE alias preferred, at most three: what the summary names. */
function findingIds(scan: ScanRecord | undefined, levels: readonly SeverityLevel[], index: ReadonlyMap<string, CveAllowlistEntry>): string | undefined {
  const ids: string[] = [];
  let more = false;
  for (const finding of scan?.result?.findings ?? []) {
    if (!levels.includes(finding.severity) || allowlistedBy(index, [finding.id, ...finding.aliases])) continue;
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
