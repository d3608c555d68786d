/**
 * The PostgreSQL advisory store against the SQLite one, in the same run
 * (`npx tsx bench/advisory-postgres.ts`; env BENCH_RUNS, default 5, median kept):
 *
 * 1. importing OSV (all of ../shared/vulndata/osv), Alpine secdb, the Debian
 *    tracker and NVD into each (one transaction each), BENCH_IMPORT_RUNS times
 *    (default 3, median kept), alternating SQLite, PostgreSQL batched
 *    (`upsertMany`) and PostgreSQL one record at a time: the build in
 *    BENCH_BASELINE (a dist/ folder of an earlier commit), else this build
 *    with `upsertMany` hidden; the two PostgreSQL imports must leave the same
 *    rows (keys included) and read the same records (bodies whole, or rebuilt
 *    since schema v3), and statements sent and the records table's size are
 *    given;
 * 2. matching the 10,000-package inventory of bench/scan.ts against each,
 *    alternately: SQLite with a fresh read-only store per run (one `scan`
 *    process), PostgreSQL with a fresh store per run (a new pool, as a scan
 *    process has) and with one store kept open (a `serve` process); the
 *    statements PostgreSQL was sent per match are counted (a wrapper on
 *    pg.Client#query), to show the lookups are batched, not per package;
 *    Both stores are also timed with `readSnapshot` hidden (every read on its
 *    own, as before snapshots), in the same runs;
 * 3. the findings of both stores compared byte for byte; `status()` timed on each.
 *
 * PostgreSQL is a throwaway local cluster (test/support/postgres.ts) on
 * 127.0.0.1: round trips cost what loopback TCP costs, a remote server more.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Ecosystem, Inventory, Package } from '../src/core/inventory.js';
import { importPaths } from '../src/vuln/db.js';
import { importInto } from '../src/vuln/db/import.js';
import { matchInventory } from '../src/vuln/match/index.js';
import { PostgresAdvisoryStore } from '../src/vuln/store/postgres.js';
import { SqliteAdvisoryStore } from '../src/vuln/store/sqlite.js';
import { startPostgres } from '../test/support/postgres.js';
import { VULNDATA } from '../test/support/paths.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

const spreadS = (xs: number[]): string => `${(Math.min(...xs) / 1000).toFixed(1)}–${(Math.max(...xs) / 1000).toFixed(1)}`;

/**
 * SHA-256 over every row of the record tables, keys included, in a fixed order, and every record as this build
 * reads it (bodies: stored whole before schema v3, mostly rebuilt since); also the records table's size.
 */
async function tableDigest(location: string): Promise<{ digest: string; bytes: number; bodies: number }> {
  const client = new pg.Client({ connectionString: location });
  await client.connect();
  try {
    const hash = createHash('sha256');
    const ids = (await client.query<{ id: string }>('SELECT DISTINCT id FROM portcullis_advisories.records ORDER BY id')).rows.map((r) => r.id);
    const store = await PostgresAdvisoryStore.open(location);
    for (let i = 0; i < ids.length; i += 5_000) {
      for (const [id, advisory] of await store.getByIds(ids.slice(i, i + 5_000))) hash.update(id).update(JSON.stringify(advisory)).update('\n');
    }
    await store.close();
    const size = (await client.query<{ bytes: string; bodies: number }>(
      "SELECT pg_total_relation_size('portcullis_advisories.records')::text AS bytes, count(body)::int AS bodies FROM portcullis_advisories.records",
    )).rows[0]!;
    for (const sql of [
      'SELECT pk, id, feed, scope, modified, withdrawn, content_hash FROM portcullis_advisories.records ORDER BY pk',
      'SELECT record, kind, alias FROM portcullis_advisories.aliases ORDER BY record, kind, alias COLLATE "C"',
      'SELECT * FROM portcullis_advisories.match_entries ORDER BY record, ord',
    ]) {
      for (const row of (await client.query(sql)).rows) hash.update(JSON.stringify(row)).update('\n');
    }
    return { digest: hash.digest('hex'), bytes: Number(size.bytes), bodies: size.bodies };
  } finally {
    await client.end();
  }
}

/** The store with `readSnapshot` hidden: every read on its own, as before snapshots. */
function withoutSnapshot<S extends object>(store: S): S {
  return new Proxy(store, { get: (t, p) => (p === 'readSnapshot' ? undefined : ((v: unknown) => (typeof v === 'function' ? v.bind(t) : v))(Reflect.get(t, p))) });
}

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
  const sqlitePath = join(dir, 'all.sqlite');
  const inputs = [join(VULNDATA, 'osv'), join(VULNDATA, 'alpine-secdb'), join(VULNDATA, 'debian-tracker/tracker-json'), join(VULNDATA, 'nvd')];
  // Imports, alternating in each run: SQLite, PostgreSQL batched (this build), PostgreSQL one record at a time
  // (BENCH_BASELINE: the dist/ folder of an earlier build, e.g. the commit before batching; else this build with
  // upsertMany hidden). Each into a fresh file or database; the last two must leave the same rows.
  const baselineImport: typeof importPaths = process.env.BENCH_BASELINE
    ? ((await import(pathToFileURL(join(resolve(process.env.BENCH_BASELINE), 'src/vuln/db.js')).href)) as { importPaths: typeof importPaths }).importPaths
    : async (location, paths) => {
        const store = await PostgresAdvisoryStore.open(location);
        const oneByOne = new Proxy(store, { get: (t, p) => (p === 'upsertMany' ? undefined : ((v: unknown) => (typeof v === 'function' ? v.bind(t) : v))(Reflect.get(t, p))) });
        try {
          return await store.transaction(() => importInto(oneByOne, paths, {}));
        } finally {
          await store.close();
        }
      };
  const importRuns = Number(process.env.BENCH_IMPORT_RUNS ?? 3);
  const importTimes = { sqlite: [] as number[], batched: [] as number[], baseline: [] as number[] };
  const importStatements = { batched: 0, baseline: 0 };
  let url = '';
  let baselineUrl = '';
  for (let i = 0; i < importRuns; i++) {
    rmSync(sqlitePath, { force: true });
    importTimes.sqlite.push(await timeIt(() => importPaths(sqlitePath, inputs)));
    url = await peer.createDatabase();
    let before = statements;
    importTimes.batched.push(await timeIt(() => importPaths(url, inputs)));
    importStatements.batched = statements - before;
    baselineUrl = await peer.createDatabase();
    before = statements;
    importTimes.baseline.push(await timeIt(() => baselineImport(baselineUrl, inputs)));
    importStatements.baseline = statements - before;
  }
  const [batchedRows, baselineRows] = [await tableDigest(url), await tableDigest(baselineUrl)];
  const sameRows = batchedRows.digest === baselineRows.digest;
  if (!sameRows) throw new Error('the batched import left other rows (or records read otherwise) than the record-by-record one');
  const importSqlite = median(importTimes.sqlite);
  const importPostgres = median(importTimes.batched);

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
  const sqliteNoSnapshotTimes: number[] = [];
  const pgWholeBodyTimes: number[] = [];
  const wholeBodies = await PostgresAdvisoryStore.open(baselineUrl);
  await matchInventory(inventory, wholeBodies); // warm-up, as for `kept`
  const pgNoSnapshotTimes: number[] = [];
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
    // The same matches with readSnapshot hidden (each read on its own), to show what the snapshot costs.
    const plain = new SqliteAdvisoryStore(sqlitePath, { readonly: true });
    sqliteNoSnapshotTimes.push(await timeIt(() => matchInventory(inventory, withoutSnapshot(plain), { onWarning: () => undefined })));
    await plain.close();
    pgNoSnapshotTimes.push(await timeIt(() => matchInventory(inventory, withoutSnapshot(kept), { onWarning: () => undefined })));
    // The database the record-by-record import filled (every body whole): what rebuilding bodies costs a match.
    pgWholeBodyTimes.push(await timeIt(async () => {
      const found = await matchInventory(inventory, wholeBodies, { onWarning: () => undefined });
      if (i === 0 && JSON.stringify(found) !== sqliteFindings) throw new Error('findings differ on the record-by-record database');
    }));
  }
  await wholeBodies.close();
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
    `import OSV + Alpine + Debian tracker + NVD (${importRuns} runs, alternating): SQLite ${(importSqlite / 1000).toFixed(1)} s (${spreadS(importTimes.sqlite)})`,
    `  PostgreSQL batched:          ${(importPostgres / 1000).toFixed(1)} s (${spreadS(importTimes.batched)}) = ${(importPostgres / importSqlite).toFixed(1)}x SQLite; ${importStatements.batched} statements`,
    `  PostgreSQL one by one (${process.env.BENCH_BASELINE ? 'baseline build' : 'this build, upsertMany hidden'}): ${(median(importTimes.baseline) / 1000).toFixed(1)} s (${spreadS(importTimes.baseline)}) = ${(median(importTimes.baseline) / importSqlite).toFixed(1)}x SQLite; ${importStatements.baseline} statements`,
    `  batched / one by one: ${(importPostgres / median(importTimes.baseline)).toFixed(2)} (same run); rows and records read identical: ${sameRows}`,
    `  records table (with TOAST, indexes): ${(batchedRows.bytes / 2 ** 20).toFixed(1)} MiB, ${batchedRows.bodies} bodies kept; one by one: ${(baselineRows.bytes / 2 ** 20).toFixed(1)} MiB, ${baselineRows.bodies} bodies`,
    `match 10,000 packages (${findings} findings, identical on both):`,
    `  SQLite, fresh store:        ${ms(median(sqliteTimes))} (${spread(sqliteTimes)})`,
    `  PostgreSQL, fresh store:    ${ms(median(pgFreshTimes))} (${spread(pgFreshTimes)}) = ${(median(pgFreshTimes) / median(sqliteTimes)).toFixed(2)}x SQLite`,
    `  PostgreSQL, store kept:     ${ms(median(pgKeptTimes))} (${spread(pgKeptTimes)}) = ${(median(pgKeptTimes) / median(sqliteTimes)).toFixed(2)}x SQLite; ${perMatch} statements per match`,
    `  without the snapshot (same run): SQLite ${ms(median(sqliteNoSnapshotTimes))} (${spread(sqliteNoSnapshotTimes)}), PostgreSQL kept ${ms(median(pgNoSnapshotTimes))} (${spread(pgNoSnapshotTimes)})`,
    `  PostgreSQL kept, on the record-by-record database (bodies whole, none rebuilt): ${ms(median(pgWholeBodyTimes))} (${spread(pgWholeBodyTimes)})`,
    `status(): SQLite ${median(sqliteStatusTimes).toFixed(1)} ms, PostgreSQL ${median(statusTimes).toFixed(1)} ms`,
  ];
  console.log(lines.join('\n'));
} finally {
  await peer.stop();
  rmSync(dir, { recursive: true, force: true });
}
