/**
 * How the UI ranks images and filters findings by severity. Every list in the
 * UI is "most severe first", so one comparison decides it everywhere: counts
 * are compared level by level in SEVERITY_ORDER (one CRITICAL outranks any
 * number of HIGHs). The filter is a threshold (`?severity=HIGH` keeps HIGH and
 * CRITICAL), parsed here so that a bad value is refused, not ignored.
 */
import { type SeverityLevel, SEVERITY_ORDER, type Finding } from '../../core/index.js';

export type SeverityCounts = Readonly<Partial<Record<SeverityLevel, number>>>;

export { SEVERITY_ORDER };

/** Negative when `a` is worse than `b` (sorts the worst first), 0 when they rank the same. */
export function compareCounts(a: SeverityCounts | undefined, b: SeverityCounts | undefined): number {
  for (const level of SEVERITY_ORDER) {
    const diff = (b?.[level] ?? 0) - (a?.[level] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The worst of several count sets (a repository's tags, an index's platforms); undefined when none has counts. */
export function worstCounts(all: ReadonlyArray<SeverityCounts | undefined>): SeverityCounts | undefined {
  let worst: SeverityCounts | undefined;
  for (const counts of all) {
    if (counts && (worst === undefined || compareCounts(counts, worst) < 0)) worst = counts;
  }
  return worst;
}

export function totalOf(counts: SeverityCounts | undefined): number {
  return SEVERITY_ORDER.reduce((sum, level) => sum + (counts?.[level] ?? 0), 0);
}

/** Counts of findings that are not suppressed, every level present. */
export function countFindings(findings: readonly Finding[]): Record<SeverityLevel, number> {
  const counts = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, 0])) as Record<SeverityLevel, number>;
  for (const f of findings) if (!f.suppressed) counts[f.severity] += 1;
  return counts;
}

export type SeverityFilter = { readonly ok: true; readonly threshold?: SeverityLevel } | { readonly ok: false; readonly value: string };

/** The `severity` query parameter: absent or empty = no filter; a level name in any case; anything else is refused. */
export function parseSeverityFilter(value: unknown): SeverityFilter {
  if (value === undefined || value === '') return { ok: true };
  if (typeof value !== 'string') return { ok: false, value: String(value) };
  const level = SEVERITY_ORDER.find((s) => s === value.toUpperCase());
  return level ? { ok: true, threshold: level } : { ok: false, value };
}

/** True when `severity` is `threshold` or more severe. */
export function atLeast(severity: SeverityLevel, threshold: SeverityLevel | undefined): boolean {
  return threshold === undefined || SEVERITY_ORDER.indexOf(severity) <= SEVERITY_ORDER.indexOf(threshold);
}
