/**
 * The SQLite store's scan records (store-parts.ts `ScanPart`): one row per
 * manifest digest (scan-rows.ts lays it out), the image manifests that need a
 * scan — never scanned, left `queued` or `scanning` (a restart picks them up;
 * the scan service skips ones it already holds), or scanned with another
 * advisory database; oldest pushes first — and the findings totals the
 * metrics read. Mirrors postgres-scans.ts.
 */
import type Database from 'better-sqlite3';
import { SEVERITY_LEVELS, type Digest, type SeverityLevel } from '../../core/index.js';
import { IMAGE_CONFIG_TYPES, scanFromRow, scanToRow, totalsFrom, type ScanRow } from './scan-rows.js';
import { SqlitePart, type SqliteConnection } from './sqlite-connection.js';
import type { ScanPart } from './store-parts.js';
import type { ScanRecord } from './store.js';

export class SqliteScans extends SqlitePart<ReturnType<typeof prepare>> implements ScanPart {
  constructor(connection: SqliteConnection) {
    super(connection, prepare);
  }

  async saveScan(record: ScanRecord): Promise<void> {
    this.s.saveScan.run(scanToRow(record));
  }

  async getScan(manifestDigest: Digest): Promise<ScanRecord | undefined> {
    const row = this.s.getScan.get(manifestDigest);
    return row ? scanFromRow(row) : undefined;
  }

  async manifestsNeedingScan(databaseDigest: string, limit: number): Promise<Digest[]> {
    const [oci, docker] = IMAGE_CONFIG_TYPES as [string, string];
    return this.s.needingScan.all(oci, docker, databaseDigest, Math.max(0, Math.floor(limit))).map((r) => r.digest as Digest);
  }

  async severityTotals(): Promise<Partial<Record<SeverityLevel, number>>> {
    const row = this.s.severityTotals.get() as Record<string, number | null> | undefined;
    return totalsFrom(row);
  }
}

function prepare(db: Database.Database) {
  return {
    saveScan: db.prepare(`INSERT INTO scans (manifest_digest, state, database_digest, counts, result, error, updated_at)
      VALUES (@manifest_digest, @state, @database_digest, @counts, @result, @error, @updated_at)
      ON CONFLICT (manifest_digest) DO UPDATE SET state = excluded.state, database_digest = excluded.database_digest,
        counts = excluded.counts, result = excluded.result, error = excluded.error, updated_at = excluded.updated_at`),
    getScan: db.prepare<[string], ScanRow>('SELECT * FROM scans WHERE manifest_digest = ?'),
    severityTotals: db.prepare(
      `SELECT ${SEVERITY_LEVELS.map((l) => `SUM(json_extract(counts, '$.${l}')) AS ${l}`).join(', ')} FROM scans
        WHERE counts IS NOT NULL AND EXISTS (SELECT 1 FROM manifests m WHERE m.digest = scans.manifest_digest)`,
    ),
    needingScan: db.prepare<[string, string, string, number], { digest: string }>(`
      SELECT m.digest AS digest FROM manifests m LEFT JOIN scans s ON s.manifest_digest = m.digest
      WHERE m.artifact_type IN (?, ?)
        AND (s.manifest_digest IS NULL OR s.state IN ('queued', 'scanning') OR coalesce(s.database_digest, '') <> ?)
      GROUP BY m.digest ORDER BY min(m.pushed_at), m.digest LIMIT ?`),
  };
}
