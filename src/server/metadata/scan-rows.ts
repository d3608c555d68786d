/**
 * How a ScanRecord is laid out in a table row, shared by the SQLite and
 * PostgreSQL stores so that both keep the same columns and the same JSON, and
 * which manifests they scan at all.
 */
import { MediaType, SEVERITY_LEVELS, type SeverityLevel, type Digest } from '../../core/index.js';
import type { ScanRecord, ScanState } from './store.js';

/** Manifests whose artifactType is one of these are images, and scanned; others are artifacts. */
export const IMAGE_CONFIG_TYPES: readonly string[] = [MediaType.OciConfig, MediaType.DockerConfig];

export interface ScanRow {
  manifest_digest: string;
  state: string;
  database_digest: string | null;
  counts: string | null;
  result: string | null;
  error: string | null;
  updated_at: string;
}

export function scanToRow(record: ScanRecord): ScanRow {
  return {
    manifest_digest: record.manifestDigest,
    state: record.state,
    database_digest: record.databaseDigest ?? null,
    counts: record.counts ? JSON.stringify(record.counts) : null,
    result: record.result ? JSON.stringify(record.result) : null,
    error: record.error ?? null,
    updated_at: record.updatedAt,
  };
}

export function scanFromRow(row: ScanRow): ScanRecord {
  return {
    manifestDigest: row.manifest_digest as Digest,
    state: row.state as ScanState,
    updatedAt: row.updated_at,
    ...(row.database_digest !== null ? { databaseDigest: row.database_digest } : {}),
    ...(row.counts !== null ? { counts: JSON.parse(row.counts) as ScanRecord['counts'] } : {}),
    ...(row.result !== null ? { result: JSON.parse(row.result) as ScanRecord['result'] } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
  };
}

/** A row of per-severity sums (columns named by level, NULL when no result has one) as counts without the zeros. */
export function totalsFrom(row: Readonly<Record<string, unknown>> | undefined): Partial<Record<SeverityLevel, number>> {
  const totals: Partial<Record<SeverityLevel, number>> = {};
  for (const level of SEVERITY_LEVELS) {
    const n = Number(row?.[level] ?? 0);
    if (Number.isSafeInteger(n) && n > 0) totals[level] = n;
  }
  return totals;
}
