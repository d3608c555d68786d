/**
 * NULL bodies (src/vuln/store/body.ts) against a build that stores every
 * body, in the same run (`node dist/bench/bodies.js` after `npm run build`):
 * `db import` of bench/scan.ts's sources into a fresh database (wall time,
 * alternating builds), the file's size (as written, and after VACUUM), and
 * getByIds of 5,000 ids with a freshly opened read-only store (median of
 * BENCH_RUNS, alternating). Checks that both databases have the same content
 * digest and answer getByIds alike. Matching is bench/match.ts's (run it with
 * BENCH_OTHER and BENCH_OTHER_DB on the two databases this leaves in BENCH_DIR).
 *
 * env BENCH_OTHER (required): the root of a `git archive` copy of the earlier
 * commit built with tsc (its `dist/` is used); BENCH_RUNS (default 9);
 * BENCH_DIR (default: a new temporary folder, kept).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { importPaths } from '../src/vuln/db.js';
import { SqliteAdvisoryStore } from '../src/vuln/store/sqlite.js';

interface Store {
  db: { prepare(sql: string): { all(): unknown[]; run(...args: unknown[]): unknown }; pragma(s: string): unknown };
  getByIds(ids: readonly string[]): Promise<Map<string, unknown>>;
  contentDigest(): string;
  close(): Promise<void>;
}
type StoreClass = new (path: string, options?: { readonly?: boolean }) => Store;
type Importer = (db: string, paths: string[]) => Promise<unknown>;

const other = process.env.BENCH_OTHER;
if (!other) throw new Error('set BENCH_OTHER to the root of the earlier build');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const root = resolve(fileURLToPath(new URL('..', import.meta.url)), process.argv[1]?.includes('/dist/') ? '..' : '.');
const vulndata = resolve(root, '..', 'shared', 'vulndata');
const SOURCES = [join(vulndata, 'osv'), join(vulndata, 'alpine-secdb'), join(vulndata, 'debian-tracker/tracker-json'), join(vulndata, 'nvd')];
const dir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'portcullis-bench-bodies-'));

const before = {
  label: 'before (bodies)',
  importPaths: ((await import(join(other, 'dist/src/vuln/db.js'))) as { importPaths: Importer }).importPaths,
  Store: ((await import(join(other, 'dist/src/vuln/store/sqlite.js'))) as { SqliteAdvisoryStore: StoreClass }).SqliteAdvisoryStore,
};
const now = { label: 'now (NULL bodies)', importPaths: importPaths as Importer, Store: SqliteAdvisoryStore as unknown as StoreClass };
const sides = [before, now];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
console.log(`cpus ${cpus().length}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}, dir ${dir}`);

// Import: two rounds, alternating; the second round's files are kept.
const importMs = new Map<string, number[]>(sides.map((s) => [s.label, []]));
const paths = new Map<string, string>();
for (let round = 0; round < 2; round++) {
  for (const side of sides) {
    const path = join(dir, `${side === before ? 'before' : 'now'}-${round}.sqlite`);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    const t0 = performance.now();
    await side.importPaths(path, SOURCES);
    importMs.get(side.label)!.push(performance.now() - t0);
    paths.set(side.label, path);
  }
}
for (const side of sides) {
  const path = paths.get(side.label)!;
  const store = new side.Store(path);
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const written = statSync(path).size;
  const vacuumed = join(dir, `${side === before ? 'before' : 'now'}-vacuumed.sqlite`);
  rmSync(vacuumed, { force: true });
  store.db.prepare('VACUUM INTO ?').run(vacuumed);
  await store.close();
  console.log(`${side.label}: import ${importMs.get(side.label)!.map((x) => x.toFixed(0)).join(' / ')} ms; file ${mib(written)} MiB, after VACUUM ${mib(statSync(vacuumed).size)} MiB`);
}

// getByIds of 5,000 ids (every fourth id in order), fresh read-only store each run.
const probe = new now.Store(paths.get(now.label)!, { readonly: true });
const allIds = (probe.db.prepare('SELECT DISTINCT id FROM records ORDER BY id').all() as { id: string }[]).map((r) => r.id);
await probe.close();
const ids = allIds.filter((_, i) => i % Math.max(1, Math.floor(allIds.length / 5000)) === 0).slice(0, 5000);
const readMs = new Map<string, number[]>(sides.map((s) => [s.label, []]));
const answers = new Map<string, Map<string, unknown>>();
for (let run = 0; run < RUNS + 1; run++) {
  for (const side of sides) {
    const store = new side.Store(paths.get(side.label)!, { readonly: true });
    const t0 = performance.now();
    const got = await store.getByIds(ids);
    const ms = performance.now() - t0;
    await store.close();
    if (run === 0) answers.set(side.label, got);
    else readMs.get(side.label)!.push(ms);
  }
}
for (const side of sides) console.log(`${side.label}: getByIds of ${ids.length} ids, median ${median(readMs.get(side.label)!).toFixed(1)} ms (min ${Math.min(...readMs.get(side.label)!).toFixed(1)})`);
if (!isDeepStrictEqual(answers.get(before.label), answers.get(now.label))) throw new Error('getByIds answers differ');
const digests = sides.map((side) => {
  const store = new now.Store(paths.get(side.label)!, { readonly: true });
  const digest = store.contentDigest();
  void store.close();
  return digest;
});
if (digests[0] !== digests[1]) throw new Error(`content digests differ: ${digests.join(' ')}`);
console.log(`same answers; same content digest ${digests[0]}; load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
