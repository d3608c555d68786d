/**
 * Severity helpers shared by the writers: counts, order, and the mappings to
 * the levels other formats use (SARIF `level`, GitHub `security-severity`,
 * CycloneDX rating severities).
 */
import { type SeverityLevel, severityFromScore, compareFindings, type Finding, SEVERITY_ORDER } from '../core/index.js';

export type SeverityCounts = Record<SeverityLevel, number>;

/** Counts per severity, every level present (0 when none), in SEVERITY_ORDER key order. */
export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, 0])) as SeverityCounts;
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

/** A sorted copy: most severe first, then package name, then id (core's compareFindings), then path and version. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      compareFindings(a, b) ||
      compare(a.package.path, b.package.path) ||
      compare(a.installedVersion, b.installedVersion),
  );
}

/** Findings that count (not suppressed by an ignore file or VEX), and those that were suppressed. */
export function splitSuppressed(findings: readonly Finding[]): { active: Finding[]; suppressed: Finding[] } {
  const active: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const f of findings) (f.suppressed ? suppressed : active).push(f);
  return { active, suppressed };
}

/** SARIF `level`: CRITICAL/HIGH → error, MEDIUM → warning, LOW/NEGLIGIBLE/UNKNOWN → note. */
export function sarifLevel(severity: SeverityLevel): 'error' | 'warning' | 'note' {
  switch (severity) {
    case 'CRITICAL':
    case 'HIGH':
      return 'error';
    case 'MEDIUM':
      return 'warning';
    default:
      return 'note';
  }
}

/**
 * A score for each level, inside the band GitHub maps to that level
 * (critical > 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9), used when a
 * finding has no CVSS score or its score falls in another band than the
 * severity we report (a distribution rated it differently from NVD).
 */
const REPRESENTATIVE_SCORE: Record<SeverityLevel, number> = {
  CRITICAL: 9.5,
  HIGH: 8.0,
  MEDIUM: 5.5,
  LOW: 2.0,
  NEGLIGIBLE: 0.0,
  UNKNOWN: 0.0,
};

/**
 * The number behind GitHub's `security-severity` (a string in SARIF): the
 * finding's CVSS base score when it agrees with the reported severity, so
 * that GitHub shows the same level the report does; otherwise a score in the
 * band of the reported severity.
 */
export function securitySeverityScore(finding: Pick<Finding, 'severity' | 'cvss'>): number {
  const score = finding.cvss?.score;
  if (score !== undefined && Number.isFinite(score) && severityFromScore(score, finding.cvss!.version) === finding.severity) {
    return score;
  }
  return REPRESENTATIVE_SCORE[finding.severity];
}

/** `9.8`, `7.0`, `0.0`: one decimal, as CVSS writes scores. */
export function formatScore(score: number): string {
  return score.toFixed(1);
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export { SEVERITY_ORDER };
