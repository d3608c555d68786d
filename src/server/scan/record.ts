/**
 * Small pieces of a scan record the service writes: the previous result kept
 * visible while a rescan runs, and the counts by severity the pull policy
 * and the UI read without opening the result.
 */
import type { SeverityLevel } from '../../core/index.js';
import type { ScanRecord } from '../metadata/store.js';

/** While a rescan is queued or running, the previous result stays visible (marked with the new state). */
export function keepResult(previous: ScanRecord | undefined): Partial<ScanRecord> {
  if (!previous?.result) return {};
  return {
    result: previous.result,
    ...(previous.counts ? { counts: previous.counts } : {}),
    ...(previous.databaseDigest ? { databaseDigest: previous.databaseDigest } : {}),
  };
}

export function countBySeverity(findings: readonly { readonly severity: SeverityLevel }[]): Partial<Record<SeverityLevel, number>> {
  const counts: Partial<Record<SeverityLevel, number>> = {};
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  return counts;
}
