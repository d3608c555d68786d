/**
 * Scan figures (`npx tsx bench/scan.ts`; env BENCH_RUNS, default 5, median kept):
 *
 * 1. matching 10,000 packages against a database of all of ../shared/vulndata
 *    (built once into $BENCH_DIR, default /tmp/portcullis-bench-scan-v<schema>; target < 200 ms),
 *    alternately through the match table (`findEntriesBatch`, the default) and through
 *    `findAffectedBatch` (every advisory loaded with its entries: the path before schema v5);
 *    and `dbStatus` with the counts an import keeps against a copy of the database without
 *    them (counted live, as before);
 * 2. a full `scan` of the real Debian image with that warm database against the
 *    floor `gzip -dc LAYER | tar -t > /dev/null` of the same blob and the plain
 *    layer walk of the same image (decompress + tar walk, no selection), in the
 *    same run (target ≤ 1.3× the floor); and the same scan with every layer in
 *    the layer analysis cache (target ≤ 0.2× the floor).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryLayerCache } from '../src/engine/layer-cache.js';
import { performance } from 'node:perf_hooks';
import { layerInputs } from '../src/engine/layer-inputs.js';
import { openSource } from '../src/engine/open.js';
import { scanTarget } from '../src/engine/scan.js';
import { resolveImage } from '../src/image/image.js';
import { walkLayers } from '../src/layers/index.js';
import { importPaths } from '../src/vuln/db.js';
import { matchInventory } from '../src/vuln/match/index.js';
import { SCHEMA_VERSION, SqliteAdvisoryStore } from '../src/vuln/store/sqlite.js';
import { COUNTS_META } from '../src/vuln/store/status.js';
import { dbStatus } from '../src/vuln/db/status.js';
import type { MatchStore } from '../src/vuln/match/index.js';
import { peerImages } from '../test/support/peers.js';
import { benchInventory } from './match-inventory.js';
import { VULNDATA } from '../test/support/paths.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
// One directory per schema version: a database built by older code is left to it (a writable open would migrate it).
const DIR = process.env.BENCH_DIR ?? `/tmp/portcullis-bench-scan-v${SCHEMA_VERSION}`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** The range of a figure's runs, for the README's spread. */
const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

mkdirSync(DIR, { recursive: true });
const db = join(DIR, 'all.sqlite');
if (!existsSync(db)) {
  const t = performance.now();
  await importPaths(db, [join(VULNDATA, 'osv'), join(VULNDATA, 'alpine-secdb'), join(VULNDATA, 'debian-tracker/tracker-json'), join(VULNDATA, 'nvd')]);
  console.error(`built ${db} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

// 10,000 packages: names the database knows (with versions from its own ranges, so many match) and names it does not.
const store = new SqliteAdvisoryStore(db, { readonly: true });
const { inventory, names: distinctNames } = benchInventory(store.db);
let findingsCount = 0;
await matchInventory(inventory, store); // warm-up (and fills this store's advisory memo)
// Cold: a fresh store each run, as one `portcullis scan` process has. Warm: the same store again, as a
// long-running server rescanning has.
// The path before the match table, on the same database: entries and their advisories loaded together.
const oldPath = (s: SqliteAdvisoryStore): MatchStore => ({
  findAffected: (e, n) => s.findAffected(e, n),
  getById: (id) => s.getById(id),
  findAffectedBatch: (q) => s.findAffectedBatch(q),
  getByIds: (ids) => s.getByIds(ids),
});
const matchTimes: number[] = [];
const oldPathTimes: number[] = [];
// CPU time (user + system) of the same runs: moves less than wall time on a machine shared with other jobs.
const matchCpu: number[] = [];
const oldPathCpu: number[] = [];
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};
let oldFindings = '';
let newFindings = '';
for (let i = 0; i < RUNS; i++) {
  const fresh = new SqliteAdvisoryStore(db, { readonly: true });
  let cpu = process.cpuUsage();
  matchTimes.push(
    await timeIt(async () => {
      const found = await matchInventory(inventory, fresh, { onWarning: () => undefined });
      findingsCount = found.length;
      if (i === 0) newFindings = JSON.stringify(found);
    }),
  );
  matchCpu.push(cpuMs(cpu));
  await fresh.close();
  const freshOld = new SqliteAdvisoryStore(db, { readonly: true });
  cpu = process.cpuUsage();
  oldPathTimes.push(
    await timeIt(async () => {
      const found = await matchInventory(inventory, oldPath(freshOld), { onWarning: () => undefined });
      if (i === 0) oldFindings = JSON.stringify(found);
    }),
  );
  oldPathCpu.push(cpuMs(cpu));
  await freshOld.close();
}
if (oldFindings !== newFindings) throw new Error('the two matching paths disagree');
newFindings = oldFindings = '';

// dbStatus with kept counts, against a copy of the database whose counts are counted live.
const liveDb = join(DIR, 'live-counts.sqlite');
copyFileSync(db, liveDb);
{
  const w = new SqliteAdvisoryStore(liveDb);
  w.db.prepare('DELETE FROM meta WHERE key = ?').run(COUNTS_META);
  await w.close();
}
const statusTimes: number[] = [];
const liveStatusTimes: number[] = [];
for (let i = 0; i < RUNS * 2; i++) {
  statusTimes.push(await timeIt(() => dbStatus(db)));
  liveStatusTimes.push(await timeIt(() => dbStatus(liveDb)));
}
rmSync(liveDb, { force: true });
const warmTimes: number[] = [];
for (let i = 0; i < RUNS; i++) warmTimes.push(await timeIt(() => matchInventory(inventory, store, { onWarning: () => undefined })));
await store.close();

// Full scan vs plain layer walk of the Debian image.
const images = await peerImages();
const name = images.debianOci;
const plainWalk = async (): Promise<void> => {
  const source = await openSource(name, {});
  try {
    const image = await resolveImage(source);
    await walkLayers(layerInputs(image), { wants: () => false });
  } finally {
    await source.close();
  }
};
// The floor: the layer blobs through gzip -dc into tar -t, as a shell would.
const layoutDir = name.replace(/^oci:/, '').replace(/:[^:/]*$/, '');
const index = JSON.parse(readFileSync(join(layoutDir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
const blobPath = (d: string): string => join(layoutDir, 'blobs', 'sha256', d.slice('sha256:'.length));
const layerBlobs = (JSON.parse(readFileSync(blobPath(index.manifests[0]!.digest), 'utf8')) as { layers: Array<{ digest: string }> }).layers.map((l) => blobPath(l.digest));
const floor = async (): Promise<void> => {
  for (const blob of layerBlobs) {
    const r = spawnSync('bash', ['-c', 'gzip -dc "$1" | tar -t > /dev/null', 'floor', blob]);
    if (r.status !== 0) throw new Error(`floor failed: ${r.stderr.toString()}`);
  }
};
const cacheDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-layer-cache-'));
const layerCache = new DirectoryLayerCache({ dir: cacheDir });
await plainWalk();
await floor();
await scanTarget({ kind: 'image', name }, { dbPath: db });
await scanTarget({ kind: 'image', name }, { dbPath: db, layerCache }); // records every layer
const walkTimes: number[] = [];
const scanTimes: number[] = [];
const floorTimes: number[] = [];
const cachedTimes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  floorTimes.push(await timeIt(floor));
  walkTimes.push(await timeIt(plainWalk));
  scanTimes.push(await timeIt(() => scanTarget({ kind: 'image', name }, { dbPath: db })));
  cachedTimes.push(await timeIt(() => scanTarget({ kind: 'image', name }, { dbPath: db, layerCache })));
}
rmSync(cacheDir, { recursive: true, force: true });
const m = median(matchTimes);
const w = median(walkTimes);
const s = median(scanTimes);
const f = median(floorTimes);
const c = median(cachedTimes);
console.log(`| matching 10,000 packages${process.env.BENCH_DENSE === '1' ? ' (dense: all ancient)' : ''} (${distinctNames} distinct DB names sampled, ${findingsCount} findings), fresh store | ${m.toFixed(0)} ms (runs ${spread(matchTimes)}; CPU ${median(matchCpu).toFixed(0)} ms, runs ${spread(matchCpu)}) | < 200 ms |`);
console.log(`| same, through findAffectedBatch (the path before the match table), fresh store | ${median(oldPathTimes).toFixed(0)} ms (runs ${spread(oldPathTimes)}; CPU ${median(oldPathCpu).toFixed(0)} ms, runs ${spread(oldPathCpu)}; new / old: wall ${(m / median(oldPathTimes)).toFixed(2)}×, CPU ${(median(matchCpu) / median(oldPathCpu)).toFixed(2)}×) | |`);
console.log(`| same, warm store (advisories already loaded) | ${median(warmTimes).toFixed(0)} ms | < 200 ms |`);
console.log(`| dbStatus, counts kept at import / counted live | ${median(statusTimes).toFixed(1)} / ${median(liveStatusTimes).toFixed(1)} ms | |`);
console.log(`| floor: gzip -dc LAYER \\| tar -t, Debian 12 image | ${f.toFixed(0)} ms | |`);
console.log(`| plain layer walk, Debian 12 image | ${w.toFixed(0)} ms (${(w / f).toFixed(2)}× the floor) | |`);
console.log(`| full scan, Debian 12 image, warm DB | ${s.toFixed(0)} ms (${(s / f).toFixed(2)}× the floor, ${(s / w).toFixed(2)}× the walk) | ≤ 1.3× the floor |`);
console.log(`| same, every layer in the layer cache | ${c.toFixed(0)} ms (${(c / f).toFixed(2)}× the floor; runs ${spread(cachedTimes)}) | ≤ 0.2× the floor |`);
console.log(`runs ${RUNS}, median; ${cpus().length} cores ${cpus()[0]?.model ?? ''}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}`);
