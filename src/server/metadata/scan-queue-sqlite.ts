/**
 * The scan queue (scan-queue-store.ts) in SQLite: the same file as the
 * content store (`registry.sqlite`), on a connection of its own, versioned
 * apart (the `scan_queue` row of `schema_components`). The single-process
 * default; leasing is one IMMEDIATE transaction (pick the due rows, mark
 * them), which SQLite serialises against every other writer of the file.
 * A job is running while its lease's deadline is ahead; once it has passed
 * (the worker died) the row is queued again as far as `claim` and `counts`
 * are concerned.
 */
import type { Digest } from '../../core/index.js';
import { SqliteComponentStore, type SqliteComponent } from './component-sqlite.js';
import { jobOf, type ScanJob, type ScanJobRow, type ScanQueueCounts, type ScanQueueStore } from './scan-queue-store.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE scan_jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, digest TEXT NOT NULL UNIQUE, repository TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, lease TEXT, lease_until TEXT, queued_at TEXT NOT NULL
  );
  CREATE INDEX scan_jobs_lease ON scan_jobs (lease_until);
  `,
];

export const SCAN_QUEUE_SCHEMA_VERSION = MIGRATIONS.length;

const TABLES: SqliteComponent = { name: 'scan_queue', label: 'registry scan queue', openLabel: 'the scan queue', migrations: MIGRATIONS };

export class SqliteScanQueueStore extends SqliteComponentStore implements ScanQueueStore {
  readonly #s: ReturnType<SqliteScanQueueStore['prepare']>;

  constructor(path: string) {
    super(path, TABLES);
    this.#s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      add: db.prepare<[string, string, string]>('INSERT INTO scan_jobs (digest, repository, queued_at) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING'),
      due: db.prepare<[string, number], { seq: number }>('SELECT seq FROM scan_jobs WHERE lease_until IS NULL OR lease_until <= ? ORDER BY seq LIMIT ?'),
      lease: db.prepare<[string, string, number], ScanJobRow>('UPDATE scan_jobs SET lease = ?, lease_until = ?, attempts = attempts + 1 WHERE seq = ? RETURNING *'),
      renew: db.prepare<[string, string, string]>('UPDATE scan_jobs SET lease_until = ? WHERE digest = ? AND lease = ?'),
      remove: db.prepare<[string, string]>('DELETE FROM scan_jobs WHERE digest = ? AND lease = ?'),
      counts: db.prepare<[string], { total: number; running: number | null }>('SELECT count(*) AS total, sum(lease_until > ?) AS running FROM scan_jobs'),
    };
  }

  async enqueue(digest: Digest, repository: string, now: string): Promise<boolean> {
    return this.#s.add.run(digest, repository, now).changes > 0;
  }

  async claim(lease: string, now: string, leaseUntil: string, limit: number): Promise<ScanJob[]> {
    return this.db
      .transaction(() => {
        const claimed: ScanJob[] = [];
        for (const { seq } of this.#s.due.all(now, Math.max(0, Math.floor(limit)))) {
          const row = this.#s.lease.get(lease, leaseUntil, seq);
          if (row) claimed.push(jobOf(row));
        }
        return claimed;
      })
      .immediate();
  }

  async renew(digest: Digest, lease: string, leaseUntil: string): Promise<boolean> {
    return this.#s.renew.run(leaseUntil, digest, lease).changes > 0;
  }

  async finish(digest: Digest, lease: string): Promise<boolean> {
    return this.#s.remove.run(digest, lease).changes > 0;
  }

  async counts(now: string): Promise<ScanQueueCounts> {
    const row = this.#s.counts.get(now);
    const running = row?.running ?? 0;
    return { queued: (row?.total ?? 0) - running, running };
  }
}
