/**
 * The PostgreSQL store's scan records (store-parts.ts `ScanPart`): one row per
 * manifest digest (scan-rows.ts lays it out), the image manifests that need a
 * scan (never scanned, left `queued` or `scanning`, or scanned with another
 * advisory database; oldest pushes first), and the findings totals the
 * metrics read. Mirrors sqlite-scans.ts.
 */
import { SEVERITY_LEVELS, type Digest, type SeverityLevel } from '../../core/index.js';
import { PostgresPart } from './postgres-connection.js';
import { IMAGE_CONFIG_TYPES, scanFromRow, scanToRow, totalsFrom, type ScanRow } from './scan-rows.js';
import type { ScanPart } from './store-parts.js';
import type { ScanRecord } from './store.js';

export class PostgresScans extends PostgresPart implements ScanPart {
  async saveScan(record: ScanRecord): Promise<void> {
    await this.c.query(
      `INSERT INTO ${this.s}.scans (manifest_digest, state, database_digest, counts, result, error, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (manifest_digest) DO UPDATE SET state = excluded.state, database_digest = excluded.database_digest,
        counts = excluded.counts, result = excluded.result, error = excluded.error, updated_at = excluded.updated_at`,
      (({ manifest_digest, state, database_digest, counts, result, error, updated_at }) => [manifest_digest, state, database_digest, counts, result, error, updated_at])(scanToRow(record)),
    );
  }

  async getScan(manifestDigest: Digest): Promise<ScanRecord | undefined> {
    const { rows } = await this.c.query(`SELECT * FROM ${this.s}.scans WHERE manifest_digest = $1`, [manifestDigest]);
    const row = rows[0] as ScanRow | undefined;
    return row ? scanFromRow(row) : undefined;
  }

  async severityTotals(): Promise<Partial<Record<SeverityLevel, number>>> {
    const s = this.s;
    const sums = SEVERITY_LEVELS.map((l) => `SUM((counts::jsonb ->> '${l}')::bigint) AS "${l}"`).join(', ');
    const { rows } = await this.c.query(`SELECT ${sums} FROM ${s}.scans sc WHERE counts IS NOT NULL AND EXISTS (SELECT 1 FROM ${s}.manifests m WHERE m.digest = sc.manifest_digest)`);
    return totalsFrom(rows[0] as Record<string, unknown> | undefined);
  }

  async manifestsNeedingScan(databaseDigest: string, limit: number): Promise<Digest[]> {
    const s = this.s;
    const { rows } = await this.c.query(
      `SELECT m.digest AS digest FROM ${s}.manifests m LEFT JOIN ${s}.scans s ON s.manifest_digest = m.digest
      WHERE m.artifact_type = ANY($1::text[])
        AND (s.manifest_digest IS NULL OR s.state IN ('queued', 'scanning') OR coalesce(s.database_digest, '') <> $2)
      GROUP BY m.digest ORDER BY min(m.pushed_at), m.digest LIMIT $3`,
      [IMAGE_CONFIG_TYPES, databaseDigest, Math.max(0, Math.floor(limit))],
    );
    return rows.map((r: { digest: string }) => r.digest as Digest);
  }
}
