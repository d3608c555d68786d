/**
 * Per-feed counts and dates of the advisory database, and whether it is
 * stale. Fresh means imported, or checked by `update` (every feed answered
 * 304 Not Modified: nothing to import, but the data is as new as upstream's),
 * within the maximum age.
 */
import type { ExploitInfo } from '../exploit/tables.js';
import { advisoryStoreExists, describeLocation, openAdvisoryReader } from '../store/open.js';
import type { SourceStatus } from '../store/store.js';
import { defaultDbPath } from './paths.js';

export interface DbStatus {
  /** The SQLite path, or the PostgreSQL URL without its password. */
  readonly path: string;
  readonly exists: boolean;
  readonly schemaVersion?: number;
  readonly advisories: number;
  readonly affected: number;
  readonly sources: readonly (SourceStatus & { readonly stale: boolean })[];
  /** No feed imported within `maxAgeDays` (or nothing imported at all). */
  readonly stale: boolean;
  readonly lastUpdate?: string;
  /** When `update` last reached every feed it asked (ISO 8601), changes or not. */
  readonly lastCheck?: string;
  /** CISA KEV and EPSS: catalog version, score date, row counts (absent when never imported). */
  readonly exploitation?: ExploitInfo;
}

/** The meta key `update` records its last complete run under. */
export const LAST_CHECK_META = 'update:lastCheck';

/** Per-feed counts and dates; `stale` when the newest import is older than `maxAgeDays` (default 7). */
export async function dbStatus(dbPath: string = defaultDbPath(), options: { maxAgeDays?: number; now?: Date } = {}): Promise<DbStatus> {
  const maxAgeMs = (options.maxAgeDays ?? 7) * 86_400_000;
  const now = (options.now ?? new Date()).getTime();
  const path = describeLocation(dbPath);
  if (!advisoryStoreExists(dbPath)) return { path, exists: false, advisories: 0, affected: 0, sources: [], stale: true };
  const store = await openAdvisoryReader(dbPath);
  try {
    const s = await store.status();
    const isStale = (d: string | undefined): boolean => !d || now - Date.parse(d) > maxAgeMs;
    const lastUpdate = s.sources.map((x) => x.lastImport).filter((d): d is string => !!d).sort().at(-1);
    const lastCheck = await store.getMeta(LAST_CHECK_META);
    const newest = [lastUpdate, lastCheck].filter((d): d is string => !!d).sort().at(-1);
    const exploitation = await store.exploitation().info();
    return {
      path,
      exists: true,
      schemaVersion: s.schemaVersion,
      advisories: s.advisories,
      affected: s.affected,
      sources: s.sources.map((x) => ({ ...x, stale: isStale(x.lastImport) })),
      stale: isStale(newest),
      ...(lastUpdate ? { lastUpdate } : {}),
      ...(lastCheck ? { lastCheck } : {}),
      exploitation,
    };
  } finally {
    await store.close();
  }
}
