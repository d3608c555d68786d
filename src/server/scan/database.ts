/**
 * The advisory database as the scan worker sees it: opened read-only, with a
 * cheap fingerprint of its content (per-feed counts and last-change times).
 * A full content digest would hash every row (seconds on a real database);
 * the fingerprint changes whenever an import changed something, which is
 * exactly when stored scan results may be out of date.
 */
import { createHash } from 'node:crypto';
import { advisoryStoreReadable, openAdvisoryReader, type AdvisoryReader } from '../../vuln/index.js';

export interface OpenDatabase {
  readonly store: AdvisoryReader;
  readonly fingerprint: string;
  readonly updatedAt?: string;
}

/** Undefined when there is no usable database yet (the registry still serves; scans wait). `path` may name PostgreSQL. */
export async function openAdvisoryDatabase(path: string): Promise<OpenDatabase | undefined> {
  if (!advisoryStoreReadable(path)) return undefined;
  const store = await openAdvisoryReader(path);
  try {
    const status = await store.status();
    if (status.advisories === 0) {
      await store.close();
      return undefined;
    }
    const sources = [...status.sources]
      .sort((a, b) => a.feed.localeCompare(b.feed))
      .map((s) => [s.feed, s.advisories, s.affected, s.lastChange ?? s.lastImport ?? '']);
    const fingerprint = `sha256:${createHash('sha256').update(JSON.stringify([status.schemaVersion, sources])).digest('hex')}`;
    const updatedAt = status.sources.map((s) => s.lastImport).filter((d): d is string => !!d).sort().at(-1);
    return { store, fingerprint, ...(updatedAt ? { updatedAt } : {}) };
  } catch (error) {
    await store.close();
    throw error;
  }
}
