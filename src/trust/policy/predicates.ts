/**
 * What a policy needs from an attestation's predicate: when it was made (from
 * signed fields only) and the severities of the findings it reports. Reads
 * cosign's vuln predicate (`scanner.result` holding a Trivy, Grype or
 * portcullis scan), CycloneDX `vulnerabilities[].ratings[]`, SPDX
 * `creationInfo.created`, cosign's custom predicate `{Data, Timestamp}`, and
 * our scan JSON (`findings[].severity` / `severities[]`); and whether the scan
 * says it was incomplete (findings may be missing), which no condition about
 * findings can pass. Pure.
 */
import { isRecord, SEVERITY_LEVELS, severityFromWord, type SeverityLevel } from '../../core/index.js';
import { PredicateType } from '../signatures/dsse.js';

export type Severity = SeverityLevel;
export const SEVERITY_ORDER: readonly Severity[] = SEVERITY_LEVELS;

/** A severity word from a predicate; scanners also write "info", which ranks with NEGLIGIBLE. */
export function severityWord(word: unknown): Severity {
  if (typeof word !== 'string') return 'UNKNOWN';
  return word.trim().toLowerCase() === 'info' ? 'NEGLIGIBLE' : severityFromWord(word);
}

/** The higher of two levels (CRITICAL is highest; UNKNOWN lowest). */
function higher(a: Severity, b: Severity): Severity {
  return SEVERITY_ORDER.indexOf(a) <= SEVERITY_ORDER.indexOf(b) ? a : b;
}

/** True when `level` is `threshold` or above. */
export function atLeast(level: Severity, threshold: Severity): boolean {
  return SEVERITY_ORDER.indexOf(level) <= SEVERITY_ORDER.indexOf(threshold);
}

const MAX_NODES = 1_000_000;

/**
 * Why the scan behind a predicate may be missing findings, as the scan itself
 * says: our ScanResult's `incomplete[]`, a CycloneDX document's
 * `portcullis:incomplete` metadata properties, a SARIF run whose invocation
 * did not succeed. Looked for in the predicate and in cosign's
 * `scanner.result`. Empty when the predicate says nothing of the kind.
 */
export function incompleteReasons(predicate: unknown): string[] {
  const out: string[] = [];
  const scanner = isRecord(predicate) && isRecord(predicate.scanner) ? predicate.scanner.result : undefined;
  for (const doc of [predicate, scanner]) {
    if (!isRecord(doc)) continue;
    if (Array.isArray(doc.incomplete)) for (const r of doc.incomplete) out.push(typeof r === 'string' ? r : 'incomplete (no reason given)');
    const properties = isRecord(doc.metadata) && Array.isArray(doc.metadata.properties) ? doc.metadata.properties : [];
    for (const p of properties) if (isRecord(p) && p.name === 'portcullis:incomplete') out.push(typeof p.value === 'string' ? p.value : 'incomplete');
    for (const run of Array.isArray(doc.runs) ? doc.runs : []) {
      const invocations = isRecord(run) && Array.isArray(run.invocations) ? run.invocations : [];
      for (const inv of invocations) if (isRecord(inv) && inv.executionSuccessful === false) out.push('the SARIF run says its execution did not succeed');
    }
  }
  return out;
}

/** A finding a predicate reports: its severity and every id it is known by (id, aliases, CVE references). */
export interface PredicateFinding {
  readonly severity: Severity;
  readonly ids: readonly string[];
}

/**
 * One severity per finding: every object that carries a severity (`severity`,
 * `Severity`, CycloneDX `ratings[].severity`, our `severities[].severity`,
 * taking the highest of its ratings) counts as one finding.
 */
export function findingSeverities(predicate: unknown): Severity[] {
  return predicateFindings(predicate).map((f) => f.severity);
}

/** The findings of a predicate with their ids, as `findingSeverities` counts them (a CVE allowlist matches the ids). */
export function predicateFindings(predicate: unknown): PredicateFinding[] {
  const out: PredicateFinding[] = [];
  let nodes = 0;
  const walk = (value: unknown, depth: number): void => {
    if (++nodes > MAX_NODES || depth > 64) return;
    if (Array.isArray(value)) {
      for (const v of value) walk(v, depth + 1);
      return;
    }
    if (!isRecord(value)) return;
    const own = ownSeverity(value);
    if (own !== undefined) {
      out.push({ severity: own, ids: findingIds(value) });
      return;
    }
    for (const v of Object.values(value)) walk(v, depth + 1);
  };
  walk(predicate, 0);
  return out;
}

const MAX_IDS = 64;

/**
 * The ids a finding object names: ours (`id`, `aliases`), Trivy's
 * `VulnerabilityID`, Grype's `vulnerability.id` and `relatedVulnerabilities[].id`,
 * CycloneDX's `id` and `references[].id`, `cve`, `advisory`. Bounded.
 */
function findingIds(obj: Record<string, unknown>): string[] {
  const ids: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'string' && v.length <= 200 && ids.length < MAX_IDS && !ids.includes(v)) ids.push(v);
  };
  const addEach = (list: unknown, pick: (item: unknown) => unknown): void => {
    if (Array.isArray(list)) for (const item of list.slice(0, MAX_IDS)) add(pick(item));
  };
  for (const v of [obj.id, obj.ID, obj.VulnerabilityID, obj.cve, obj.advisory]) add(v);
  if (isRecord(obj.advisory)) add(obj.advisory.id);
  if (isRecord(obj.vulnerability)) add(obj.vulnerability.id);
  addEach(obj.aliases, (a) => a);
  addEach(obj.references, (r) => (isRecord(r) ? r.id : undefined));
  addEach(obj.relatedVulnerabilities, (r) => (isRecord(r) ? r.id : undefined));
  return ids;
}

function ownSeverity(obj: Record<string, unknown>): Severity | undefined {
  const ratings = Array.isArray(obj.ratings) ? obj.ratings : Array.isArray(obj.severities) ? obj.severities : undefined;
  if (ratings && ratings.some((r) => isRecord(r) && typeof r.severity === 'string')) {
    return ratings.reduce<Severity>((acc, r) => (isRecord(r) ? higher(acc, severityWord(r.severity)) : acc), 'UNKNOWN');
  }
  const direct = obj.severity ?? obj.Severity;
  if (typeof direct === 'string' && ('id' in obj || 'ID' in obj || 'VulnerabilityID' in obj || 'vulnerability' in obj || 'cve' in obj || 'advisory' in obj || 'package' in obj || 'PkgName' in obj)) {
    return severityWord(direct);
  }
  if (isRecord(obj.vulnerability) && typeof obj.vulnerability.severity === 'string') return severityWord(obj.vulnerability.severity);
  return undefined;
}

/** The signed time an attestation was made, from its predicate; undefined when it carries none. */
export function predicateTime(predicateType: string, predicate: unknown): Date | undefined {
  if (!isRecord(predicate)) return undefined;
  const candidates: unknown[] = [];
  const metadata = isRecord(predicate.metadata) ? predicate.metadata : undefined;
  switch (predicateType) {
    case PredicateType.CosignVuln:
      candidates.push(metadata?.scanFinishedOn, metadata?.scanStartedOn);
      break;
    case PredicateType.CycloneDX:
      candidates.push(metadata?.timestamp);
      break;
    case PredicateType.Spdx:
      candidates.push(isRecord(predicate.creationInfo) ? predicate.creationInfo.created : undefined);
      break;
    case PredicateType.CosignCustom:
      candidates.push(predicate.Timestamp);
      break;
    default:
      candidates.push(predicate.timestamp, predicate.created, predicate.generated, metadata?.timestamp, predicate.Timestamp);
  }
  for (const c of candidates) {
    if (typeof c !== 'string') continue;
    const t = Date.parse(c);
    if (Number.isFinite(t)) return new Date(t);
  }
  return undefined;
}
