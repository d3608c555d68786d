/**
 * The advisory database before a scan, as Trivy does it on a first run: none
 * yet, it is downloaded (`db update` from every feed it fetches by default,
 * KEV and EPSS included, with a progress bar on a
 * terminal, or `db pull` of a signed artifact with `--db-repository REF`);
 * older than `--db-max-age` (default 24h), it is refreshed the same way
 * unless `--skip-db-update` or `--offline`. Without a network the scan says
 * exactly what to do instead (`db import DIR`, `db pull REF`, `--offline`).
 *
 * Kept out of the scan use case (engine/scan.ts): the engine reads a database
 * and never touches the network for it; deciding to download one is the
 * command's business, and the registry's scan worker never does it. What
 * only a download needs (the artifact and trust modules, the feed mirrors) is
 * loaded only when one happens: a scan with a fresh database starts as fast
 * as before.
 */
import { stat } from 'node:fs/promises';
import { ScanError } from '../../engine/scan.js';
import { dbStatus, isPostgresLocation, update } from '../../vuln/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { parseMaxAge, UsageError } from '../flags.js';
import { PhaseProgress, type OutputStreams } from '../output.js';

export interface ScanDatabaseFlags extends RegistryFlags {
  offline?: boolean;
  skipDbUpdate?: boolean;
  /** A signed database artifact to pull instead of downloading the feeds. */
  dbRepository?: string;
  dbMaxAge?: string;
  /** The former name of --db-max-age. */
  maxAge?: string;
}

/** The default of --db-max-age, in days: 24 hours. */
export const DEFAULT_DB_MAX_AGE_DAYS = 1;

const WITHOUT_NETWORK =
  'without a network: "portcullis db import DIR" (feeds downloaded elsewhere), or "portcullis db pull REF" (a signed database from a registry you can reach), then scan with --offline';

/** Makes sure a database is there (and fresh enough); returns the maximum age in days for the scan's own staleness warning. */
export async function prepareScanDatabase(dbPath: string, flags: ScanDatabaseFlags, io: OutputStreams): Promise<number> {
  if (flags.dbMaxAge !== undefined && flags.maxAge !== undefined) throw new UsageError('--max-age is the former name of --db-max-age: give one of them');
  const maxAgeDays = parseMaxAge(flags.dbMaxAge ?? flags.maxAge, flags.dbMaxAge !== undefined ? 'db-max-age' : 'max-age') ?? DEFAULT_DB_MAX_AGE_DAYS;
  if (flags.offline && flags.dbRepository !== undefined) throw new UsageError('--db-repository downloads the database: it cannot go with --offline');
  // A shared PostgreSQL store is kept by whoever runs "db update" on it, never refreshed by a scan.
  if (isPostgresLocation(dbPath)) return maxAgeDays;
  // Something that is not a file (a directory, a device) is never downloaded over: the scan refuses it as before.
  const kind = await stat(dbPath).then((st) => (st.isFile() ? 'file' : 'other'), () => 'none');
  if (kind === 'other') return maxAgeDays;
  const status = await dbStatus(dbPath, { maxAgeDays });
  const missing = !status.exists || status.advisories === 0;
  const say = (line: string): void => {
    if (!flags.quiet) io.stderr.write(`portcullis: ${line}\n`);
  };
  if (missing) {
    const what = status.exists ? `the advisory database at ${dbPath} is empty` : `no advisory database at ${dbPath}`;
    if (flags.offline) throw new ScanError('DB_MISSING', `${what}, and --offline downloads nothing: ${WITHOUT_NETWORK.replace(', then scan with --offline', '')}`);
    if (flags.skipDbUpdate) throw new ScanError('DB_MISSING', `${what}, and --skip-db-update downloads nothing: run "portcullis db update" (or, ${WITHOUT_NETWORK})`);
    say(`${what}: downloading it (${describeSource(flags)}); this happens once, later scans refresh it when older than ${flags.dbMaxAge ?? flags.maxAge ?? '24h'}`);
    try {
      await download(dbPath, flags, io);
    } catch (error) {
      throw new ScanError('DB_MISSING', `${what}, and it could not be downloaded: ${(error as Error).message}. ${capitalise(WITHOUT_NETWORK)}`, { cause: error });
    }
    return maxAgeDays;
  }
  if (!status.stale || flags.offline || flags.skipDbUpdate) return maxAgeDays; // the scan warns when stale
  say(`the advisory database was last updated ${status.lastCheck ?? status.lastUpdate ?? 'never'}, older than ${flags.dbMaxAge ?? flags.maxAge ?? '24h'}: refreshing it (${describeSource(flags)}; --skip-db-update scans with it as is)`);
  try {
    await download(dbPath, flags, io);
  } catch (error) {
    // The old database is still whole (updates and pulls never leave a partial one): scan with it, and say so.
    say(`warning: the advisory database could not be refreshed, scanning with the old one: ${(error as Error).message}`);
  }
  return maxAgeDays;
}

function describeSource(flags: ScanDatabaseFlags): string {
  return flags.dbRepository !== undefined ? `portcullis db pull ${flags.dbRepository}` : 'portcullis db update';
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

async function download(dbPath: string, flags: ScanDatabaseFlags, io: OutputStreams): Promise<void> {
  const bar = new PhaseProgress(io.stderr, !flags.quiet);
  let warnings: readonly string[] = [];
  try {
    if (flags.dbRepository !== undefined) {
      const [{ pullVerifiedDb }, { loadPolicy, openKeyStoreFromEnv }] = await Promise.all([import('../../engine/db-artifact.js'), import('./trust-shared.js')]);
      const loaded = await loadPolicy(undefined, io.env); // $PORTCULLIS_HOME/policy.yaml, as db pull without --policy
      const result = await pullVerifiedDb(flags.dbRepository, dbPath, systemContext(flags, io), {
        trust: { store: openKeyStoreFromEnv(io.env), ...(loaded.policy ? { policy: loaded.policy } : {}), policyKeys: loaded.keys },
        onProgress: (phase, bytes) => bar.update({ phase: `db ${phase}`, value: bytes ?? 0, unit: 'bytes' }),
      });
      warnings = result.warnings;
      return;
    }
    const { feedBaseUrls, FEEDS } = await import('./db.js');
    await update(dbPath, {
      baseUrls: feedBaseUrls({}, io.env),
      feeds: FEEDS, // what `db update` fetches: KEV and EPSS too, so --kev and --epss-threshold work on a first run
      env: io.env,
      ...(io.env.NVD_API_KEY ? { nvdApiKey: io.env.NVD_API_KEY } : {}),
      onProgress: (p) => {
        if (p.phase === 'download') bar.update({ phase: `download ${p.feed}`, value: p.bytes ?? 0, ...(p.total !== undefined ? { total: p.total } : {}), unit: 'bytes' });
        else if (p.phase === 'import') bar.update({ phase: 'import', value: p.advisories ?? 0, unit: { singular: 'advisory', plural: 'advisories' } });
      },
    });
  } finally {
    bar.stop();
    if (!flags.quiet) for (const w of warnings) io.stderr.write(`portcullis: warning: ${w}\n`);
  }
}
