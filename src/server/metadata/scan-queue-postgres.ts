/**
 * The scan queue (scan-queue-store.ts) in PostgreSQL, in the content store's
 * schema (default `portcullis_registry`), on a pool of its own, versioned
 * apart in `scan_queue_migrations` and migrated as the other stores are
 * (component-postgres.ts: one transaction under an advisory lock). Several
 * workers lease at once without taking the same job: `FOR UPDATE SKIP
 * LOCKED` skips rows another worker's claim holds, and the claim is one
 * statement. Times compared with `<=` are `COLLATE "C"` (ISO strings in
 * byte order, whatever the database's locale).
 */
import type { Digest } from '../../core/index.js';
import { changed, openComponentPool, PostgresComponentStore, type PostgresComponent, type PostgresOptions } from './component-postgres.js';
import { jobOf, type ScanJob, type ScanJobRow, type ScanQueueCounts, type ScanQueueStore } from './scan-queue-store.js';

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.scan_jobs (
      seq bigserial PRIMARY KEY, digest text COLLATE "C" NOT NULL UNIQUE, repository text COLLATE "C" NOT NULL,
      attempts integer NOT NULL DEFAULT 0, lease text, lease_until text COLLATE "C", queued_at text NOT NULL);
    CREATE INDEX scan_jobs_lease ON ${s}.scan_jobs (lease_until);
  `,
];

export const SCAN_QUEUE_SCHEMA_VERSION = MIGRATIONS.length;

const SCAN_QUEUE_TABLES: PostgresComponent = {
  label: 'registry scan queue',
  openLabel: 'the scan queue',
  lock: 'scan_queue',
  versionTable: 'scan_queue_migrations',
  migrations: MIGRATIONS,
  maxConnections: 4,
};

export class PostgresScanQueueStore extends PostgresComponentStore implements ScanQueueStore {
  static async open(target: PostgresOptions | string): Promise<PostgresScanQueueStore> {
    return new PostgresScanQueueStore(await openComponentPool(target, SCAN_QUEUE_TABLES));
  }

  async enqueue(digest: Digest, repository: string, now: string): Promise<boolean> {
    return changed(await this.db.query(`INSERT INTO ${this.s}.scan_jobs (digest, repository, queued_at) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING`, [digest, repository, now]));
  }

  async claim(lease: string, now: string, leaseUntil: string, limit: number): Promise<ScanJob[]> {
    const s = this.s;
    const { rows } = await this.db.query<ScanJobRow & { seq: string }>(
      `WITH due AS (
         SELECT seq FROM ${s}.scan_jobs WHERE lease_until IS NULL OR lease_until <= $1
         ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED)
       UPDATE ${s}.scan_jobs j SET lease = $2, lease_until = $3, attempts = j.attempts + 1
       FROM due WHERE j.seq = due.seq RETURNING j.*`,
      [now, lease, leaseUntil, Math.max(0, Math.floor(limit))],
    );
    return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(jobOf);
  }

  async renew(digest: Digest, lease: string, leaseUntil: string): Promise<boolean> {
    return changed(await this.db.query(`UPDATE ${this.s}.scan_jobs SET lease_until = $3 WHERE digest = $1 AND lease = $2`, [digest, lease, leaseUntil]));
  }

  async finish(digest: Digest, lease: string): Promise<boolean> {
    return changed(await this.db.query(`DELETE FROM ${this.s}.scan_jobs WHERE digest = $1 AND lease = $2`, [digest, lease]));
  }

  async counts(now: string): Promise<ScanQueueCounts> {
    const { rows } = await this.db.query<{ total: number; running: number }>(
      `SELECT count(*)::int AS total, (count(*) FILTER (WHERE lease_until > $1))::int AS running FROM ${this.s}.scan_jobs`,
      [now],
    );
    const running = rows[0]?.running ?? 0;
    return { queued: (rows[0]?.total ?? 0) - running, running };
  }
}
