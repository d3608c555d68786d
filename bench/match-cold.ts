/**
 * One match in a new process, as one `portcullis scan` matches: bench/match-inventory.ts's
 * 10,000 packages against bench/scan.ts's database, in a fresh `node` (cold JIT, a heap
 * that starts small), one process per run (`npm run build && node dist/bench/match-cold.js`).
 * Each child times the match alone (open the read-only store, match, close; the modules
 * and the inventory are loaded before): wall, CPU (user + system) and its main thread's
 * GC pauses. bench/match.ts measures the same work in a warmed process.
 *
 * env BENCH_RUNS (default 9 processes per side), BENCH_DB (default: bench/scan.ts's
 * database), BENCH_OTHER: the root of another build (a `git archive` copy of an earlier
 * commit built with tsc; its `dist/`) run alternately with this one, on BENCH_OTHER_DB
 * (default BENCH_DB); both sides' findings are compared by digest.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Finding, Inventory } from '../src/core/index.js';
import { SCHEMA_VERSION } from '../src/vuln/store/sqlite.js';
import { benchInventory } from './match-inventory.js';

interface ChildResult {
  readonly wall: number;
  readonly cpu: number;
  readonly gc: number;
  readonly findings: number;
  readonly digest: string;
}

type Matcher = (inventory: Inventory, store: unknown, options: { onWarning: () => void }) => Promise<Finding[]>;
interface ReadOnlyStore {
  readonly db: Parameters<typeof benchInventory>[0];
  close(): Promise<void>;
}
type StoreClass = new (path: string, options: { readonly: boolean }) => ReadOnlyStore;

/** In the child: load the build at `root` (a directory holding `src/`), then time one match. */
async function child(root: string, db: string): Promise<void> {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const { matchInventory } = (await import(join(root, `src/vuln/match/index.${ext}`))) as { matchInventory: Matcher };
  const { SqliteAdvisoryStore } = (await import(join(root, `src/vuln/store/sqlite.${ext}`))) as { SqliteAdvisoryStore: StoreClass };
  const probe = new SqliteAdvisoryStore(db, { readonly: true });
  const { inventory } = benchInventory(probe.db);
  await probe.close();
  let gc = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gc += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const c = process.cpuUsage();
  const t = performance.now();
  const store = new SqliteAdvisoryStore(db, { readonly: true });
  let findings: Finding[];
  try {
    findings = await matchInventory(inventory, store, { onWarning: () => undefined });
  } finally {
    await store.close();
  }
  const wall = performance.now() - t;
  const used = process.cpuUsage(c);
  await new Promise((resolve) => setTimeout(resolve, 20)); // the gc entries arrive asynchronously
  observer.disconnect();
  const digest = createHash('sha256').update(JSON.stringify(findings)).digest('hex');
  const result: ChildResult = { wall, cpu: (used.user + used.system) / 1000, gc, findings: findings.length, digest };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const here = dirname(fileURLToPath(import.meta.url));
const DB = process.env.BENCH_DB ?? join(process.env.BENCH_DIR ?? `/tmp/portcullis-bench-scan-v${SCHEMA_VERSION}`, 'all.sqlite');

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!);
} else {
  if (!existsSync(DB)) throw new Error(`no database at ${DB}: run bench/scan.ts once (it builds it) or set BENCH_DB`);
  const RUNS = Number(process.env.BENCH_RUNS ?? 9);
  const sides: { label: string; root: string; db: string }[] = [{ label: 'this tree', root: join(here, '..'), db: DB }];
  if (process.env.BENCH_OTHER) sides.push({ label: `other (${process.env.BENCH_OTHER})`, root: process.env.BENCH_OTHER, db: process.env.BENCH_OTHER_DB ?? DB });
  const results = new Map(sides.map((s) => [s, [] as ChildResult[]]));
  const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
  for (let i = 0; i < RUNS; i++) {
    for (const side of sides) {
      const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', side.root, side.db], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${side.label}: child exited ${run.status}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      results.get(side)!.push(JSON.parse(run.stdout.trim().split('\n').pop()!) as ChildResult);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  const digests = new Set([...results.values()].flat().map((r) => r.digest));
  if (digests.size !== 1) throw new Error(`findings differ between runs or sides (${digests.size} digests)`);
  console.log(`one match per new process: ${RUNS} processes per side, ${[...results.values()][0]![0]!.findings} findings (the same digest on every run)`);
  for (const side of sides) {
    const r = results.get(side)!;
    const pick = (k: 'wall' | 'cpu' | 'gc'): number[] => r.map((x) => x[k]);
    console.log(`${side.label}: wall ${median(pick('wall')).toFixed(0)} ms (runs ${spread(pick('wall'))}), CPU ${median(pick('cpu')).toFixed(0)} ms (runs ${spread(pick('cpu'))}), GC pauses ${median(pick('gc')).toFixed(0)} ms`);
  }
  if (sides.length === 2) {
    const [a, b] = sides.map((s) => results.get(s)!) as [ChildResult[], ChildResult[]];
    const ratio = (k: 'wall' | 'cpu'): string => (median(a.map((x) => x[k])) / median(b.map((x) => x[k]))).toFixed(2);
    console.log(`this / other: wall ${ratio('wall')}×, CPU ${ratio('cpu')}×`);
  }
  console.log(`load average before ${loadBefore}, after ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${cpus().length} cores, Node.js ${process.version}`);
}
