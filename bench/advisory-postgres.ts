/**
 * The PostgreSQL advisory store against the SQLite one, in the same run
 * (`npx tsx bench/advisory-postgres.ts`; env BENCH_RUNS, default 5, median kept):
 *
 * 1. importing OSV (all of ../shared/vulndata/osv), Alpine secdb, the Debian
 *    tracker and NVD into each (one transaction each);
 * 2. matching the 10,000-package inventory of bench/scan.ts against each,
 *    alternately: SQLite with a fresh read-only store per run (one `scan`
 *    process), PostgreSQL with a fresh store per run (a new pool, as a scan
 *    process has) and with one store kept open (a `serve` process); the
 *    statements PostgreSQL was sent per match are counted (a wrapper on
 *    pg.Client#query), to show the lookups are batched, not per package;
 * 3. the findings of both stores compared byte for byte; `status()` timed on each.
 *
 * PostgreSQL is a throwaway local cluster (test/support/postgres.ts) on
 * 127.0.0.1: round trips cost what loopback TCP costs, a remote server more.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Ecosystem, Inventory, Package } from '../src/core/inventory.js';
import { importPaths } from '../src/vuln/db.js';
import { matchInventory } from '../src/vuln/match/index.js';
import { PostgresAdvisoryStore } from '../src/vuln/store/postgres.js';
import { SqliteAdvisoryStore } from '../src/vuln/store/sqlite.js';
import { startPostgres } from '../test/support/postgres.js';
import { VULNDATA } from '../test/support/paths.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

// Every statement sent to PostgreSQL, counted.
let statements = 0;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-pgadv-'));
const peer = await startPostgres();
try {
  const url = await peer.createDatabase();
  const sqlitePath = join(dir, 'all.sqlite');
  const inputs = [join(VULNDATA, 'osv'), join(VULNDATA, 'alpine-secdb'), join(VULNDATA, 'debian-tracker/tracker-json'), join(VULNDATA, 'nvd')];
  const importSqlite = await timeIt(() => importPaths(sqlitePath, inputs));
  const importPostgres = await timeIt(() => importPaths(url, inputs));

  // The inventory of bench/scan.ts: names the database knows, with versions from its own ranges, and names it does not.
  const sqlite = new SqliteAdvisoryStore(sqlitePath, { readonly: true });
  const ECO: Record<string, Ecosystem> = { PyPI: 'pypi', Go: 'go', npm: 'npm', 'crates.io': 'cargo', Maven: 'maven', RubyGems: 'rubygems', NuGet: 'nuget', Packagist: 'packagist', 'Alpine:v3.10': 'alpine' };
  const rows = sqlite.db
    .prepare<[], { ecosystem: string; package: string; fixed: string | null }>(
      `SELECT ecosystem, package, MAX(fixed) AS fixed FROM affected WHERE ecosystem IN (${Object.keys(ECO).map((e) => `'${e}'`).join(',')}) GROUP BY ecosystem, package`,
    )
    .all();
  await sqlite.close();
  const packages: Package[] = [];
  for (let i = 0; packages.length < 10_000; i++) {
    const r = rows[i % rows.length]!;
    const eco = ECO[r.ecosystem]!;
    const name = i % 3 !== 2 ? r.package : `${r.package}-not-in-db-${i}`;
    const ancient = i % 10 === 0 || !r.fixed;
    const version = ancient ? (eco === 'alpine' ? '0.1-r0' : eco === 'go' ? 'v0.0.1' : '0.0.1') : eco === 'go' && !r.fixed!.startsWith('v') ? `v${r.fixed}` : r.fixed!;
    packages.push({ name, version, ecosystem: eco, purl: `pkg:generic/${encodeURIComponent(name)}@${version}`, foundBy: 'bench', path: `bench/${i}`, ...(eco === 'alpine' ? { source: { name } } : {}) });
  }
  const inventory: Inventory = { os: { id: 'alpine', versionId: '3.10.9', path: 'etc/os-release' }, packages, ownedFiles: [], warnings: [] };

  const kept = await PostgresAdvisoryStore.open(url);
  await matchInventory(inventory, kept); // warm-up: PostgreSQL's buffer cache, plans
  const sqliteTimes: number[] = [];
  const pgFreshTimes: number[] = [];
  const pgKeptTimes: number[] = [];
  let sqliteFindings = '';
  let pgFindings = '';
  let findings = 0;
  let perMatch = 0;
  for (let i = 0; i < RUNS; i++) {
    const fresh = new SqliteAdvisoryStore(sqlitePath, { readonly: true });
    sqliteTimes.push(await timeIt(async () => {
      const found = await matchInventory(inventory, fresh, { onWarning: () => undefined });
      findings = found.length;
      if (i === 0) sqliteFindings = JSON.stringify(found);
    }));
    await fresh.close();
    pgFreshTimes.push(await timeIt(async () => {
      const store = await PostgresAdvisoryStore.open(url);
      await matchInventory(inventory, store, { onWarning: () => undefined });
      await store.close();
    }));
    const before = statements;
    pgKeptTimes.push(await timeIt(async () => {
      const found = await matchInventory(inventory, kept, { onWarning: () => undefined });
      if (i === 0) pgFindings = JSON.stringify(found);
    }));
    perMatch = statements - before;
  }
  // What every scan and every serve database check asks first: the status (counts kept by the import).
  const statusTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) statusTimes.push(await timeIt(() => kept.status()));
  const sqliteStatus = new SqliteAdvisoryStore(sqlitePath, { readonly: true });
  const sqliteStatusTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) sqliteStatusTimes.push(await timeIt(() => sqliteStatus.status()));
  await sqliteStatus.close();
  await kept.close();
  if (sqliteFindings !== pgFindings) throw new Error('SQLite and PostgreSQL findings differ');

  const ms = (x: number): string => `${x.toFixed(0)} ms`;
  const lines = [
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB; runs: ${RUNS} (median, range)`,
    `import OSV + Alpine + Debian tracker + NVD: SQLite ${(importSqlite / 1000).toFixed(1)} s, PostgreSQL ${(importPostgres / 1000).toFixed(1)} s (${(importPostgres / importSqlite).toFixed(1)}x)`,
    `match 10,000 packages (${findings} findings, identical on both):`,
    `  SQLite, fresh store:        ${ms(median(sqliteTimes))} (${spread(sqliteTimes)})`,
    `  PostgreSQL, fresh store:    ${ms(median(pgFreshTimes))} (${spread(pgFreshTimes)}) = ${(median(pgFreshTimes) / median(sqliteTimes)).toFixed(2)}x SQLite`,
    `  PostgreSQL, store kept:     ${ms(median(pgKeptTimes))} (${spread(pgKeptTimes)}) = ${(median(pgKeptTimes) / median(sqliteTimes)).toFixed(2)}x SQLite; ${perMatch} statements per match`,
    `status(): SQLite ${median(sqliteStatusTimes).toFixed(1)} ms, PostgreSQL ${median(statusTimes).toFixed(1)} ms`,
  ];
  console.log(lines.join('\n'));
} finally {
  await peer.stop();
  rmSync(dir, { recursive: true, force: true });
}
