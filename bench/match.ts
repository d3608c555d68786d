/**
 * Matching alone (`npx tsx bench/match.ts`, or `node --expose-gc dist/bench/match.js`
 * after `npm run build`, e.g. under `--cpu-prof`): bench/match-inventory.ts's
 * 10,000 packages matched against the database bench/scan.ts builds, each run
 * with a freshly opened read-only store (as one `portcullis scan` process has;
 * the process itself is warmed by one match first). Wall and CPU time (user +
 * system) per run, and the main thread's garbage-collection pauses during it
 * (`perf_hooks` gc entries); medians, spreads and the load average before and after.
 * With `--expose-gc` the heap is collected before each run (not timed), so a
 * run does not also pay for the garbage of the runs before it.
 *
 * env BENCH_RUNS (default 15), BENCH_DB (default: bench/scan.ts's database),
 * BENCH_OTHER: the root of another build of this project (a `git archive` copy
 * of an earlier commit: its `src/` under tsx, or its `dist/` under node) whose
 * matcher and store run alternately with this one, in the same process, on
 * BENCH_OTHER_DB (default BENCH_DB; an older schema needs its own database),
 * for a same-run A/B; the findings of both are compared byte for byte.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { Finding, Inventory } from '../src/core/index.js';
import { matchInventory } from '../src/vuln/match/index.js';
import { SCHEMA_VERSION, SqliteAdvisoryStore } from '../src/vuln/store/sqlite.js';
import { benchInventory } from './match-inventory.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const DB = process.env.BENCH_DB ?? join(process.env.BENCH_DIR ?? `/tmp/portcullis-bench-scan-v${SCHEMA_VERSION}`, 'all.sqlite');
if (!existsSync(DB)) throw new Error(`no database at ${DB}: run bench/scan.ts once (it builds it) or set BENCH_DB`);

interface Side {
  readonly label: string;
  readonly db: string;
  readonly match: (inventory: Inventory, db: string) => Promise<Finding[]>;
}

interface ReadOnlyStore {
  close(): Promise<void>;
}
type Matcher = (inventory: Inventory, store: ReadOnlyStore, options: { onWarning: () => void }) => Promise<Finding[]>;
type StoreClass = new (path: string, options: { readonly: boolean }) => ReadOnlyStore;

const sideOf = (label: string, db: string, matchFn: Matcher, Store: StoreClass): Side => ({
  label,
  db,
  match: async (inventory, path) => {
    const store = new Store(path, { readonly: true });
    try {
      return await matchFn(inventory, store, { onWarning: () => undefined });
    } finally {
      await store.close();
    }
  },
});

const sides: Side[] = [sideOf('this tree', DB, matchInventory as unknown as Matcher, SqliteAdvisoryStore as unknown as StoreClass)];
const other = process.env.BENCH_OTHER;
if (other) {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const m = (await import(join(other, `src/vuln/match/index.${ext}`))) as { matchInventory: Matcher };
  const s = (await import(join(other, `src/vuln/store/sqlite.${ext}`))) as { SqliteAdvisoryStore: StoreClass };
  sides.push(sideOf(`other (${other})`, process.env.BENCH_OTHER_DB ?? DB, m.matchInventory, s.SqliteAdvisoryStore));
}

const probe = new SqliteAdvisoryStore(DB, { readonly: true });
const { inventory, names } = benchInventory(probe.db);
await probe.close();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

const loadBefore = load();
const expected = new Map<Side, string>();
for (const side of sides) expected.set(side, JSON.stringify(await side.match(inventory, side.db))); // warm-up
const findings = JSON.parse(expected.get(sides[0]!)!) as unknown[];
for (const side of sides.slice(1)) if (expected.get(side) !== expected.get(sides[0]!)) throw new Error(`${side.label}: findings differ from this tree's`);
expected.clear();

const collect = (globalThis as { gc?: () => void }).gc;
let gcMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });
/** The gc entries of a run arrive asynchronously: wait a turn of the event loop before reading them. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
const gcPause = new Map<Side, number[]>(sides.map((s) => [s, []]));
const wall = new Map<Side, number[]>(sides.map((s) => [s, []]));
const cpu = new Map<Side, number[]>(sides.map((s) => [s, []]));
for (let i = 0; i < RUNS; i++) {
  for (const side of sides) {
    // Under --expose-gc every run starts from a collected heap, as a scan process starts from a small one:
    // otherwise a run also pays, at random, for collecting the runs before it.
    collect?.();
    await settle();
    gcMs = 0;
    const c = process.cpuUsage();
    const t = performance.now();
    await side.match(inventory, side.db);
    wall.get(side)!.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.get(side)!.push((used.user + used.system) / 1000);
    await settle();
    gcPause.get(side)!.push(gcMs);
  }
}
gcObserver.disconnect();
console.log(`${inventory.packages.length} packages (${names} distinct DB names), ${findings.length} findings, ${RUNS} fresh-store runs per side${collect ? ', heap collected before each' : ''}`);
for (const side of sides) {
  const w = wall.get(side)!;
  const c = cpu.get(side)!;
  const g = gcPause.get(side)!;
  console.log(`${side.label}: wall ${median(w).toFixed(0)} ms (runs ${spread(w)}), CPU ${median(c).toFixed(0)} ms (runs ${spread(c)}), GC pauses ${median(g).toFixed(0)} ms (runs ${spread(g)})`);
}
if (sides.length === 2) {
  const [a, b] = sides as [Side, Side];
  console.log(`this / other: wall ${(median(wall.get(a)!) / median(wall.get(b)!)).toFixed(2)}×, CPU ${(median(cpu.get(a)!) / median(cpu.get(b)!)).toFixed(2)}×`);
}
console.log(`load average before ${loadBefore}, after ${load()}; ${cpus().length} cores ${cpus()[0]?.model ?? ''}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}`);
