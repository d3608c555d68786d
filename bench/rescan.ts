/**
 * Registry rescans from the kept inventory against full rescans of the same
 * images, in the same run (`npx tsx bench/rescan.ts`; env BENCH_RUNS, default
 * 5, median kept; BENCH_DIR as bench/scan.ts, which builds the database).
 *
 * The images are real: the Debian 12 peer image (../shared/peers/image.sh),
 * the tiny peer image and the bundled examples/hello, stored the way the push
 * API leaves them. One ScanService rescans all three (`rescan`, then `idle`)
 * with an InventoryStore (kept: no blob read) and one without (full: manifest,
 * config and every layer read, cataloguers run), alternating, against the same
 * database of all of ../shared/vulndata. Both paths save their results the
 * same way, so the figure is what a rescan after `db update` costs per image.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManifestClassifier } from '../src/server/artifact.js';
import { SqliteInventoryStore } from '../src/server/metadata/inventory-sqlite.js';
import { SqliteMetadataStore } from '../src/server/metadata/sqlite.js';
import { ScanService } from '../src/server/scan/service.js';
import { FilesystemBlobStore } from '../src/server/storage/filesystem.js';
import { importPaths } from '../src/vuln/db.js';
import { SCHEMA_VERSION } from '../src/vuln/store/schema.js';
import { peerImages } from '../test/support/peers.js';
import { REPO_ROOT, VULNDATA } from '../test/support/paths.js';
import { storeOciLayout } from '../test/support/registry-content.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
// One directory per schema version: a database built by older code is left to it (a writable open would migrate it).
const DIR = process.env.BENCH_DIR ?? `/tmp/portcullis-bench-scan-v${SCHEMA_VERSION}`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const db = join(DIR, 'all.sqlite');
if (!existsSync(db)) {
  await importPaths(db, [join(VULNDATA, 'osv'), join(VULNDATA, 'alpine-secdb'), join(VULNDATA, 'debian-tracker/tracker-json'), join(VULNDATA, 'nvd')]);
}

const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-rescan-'));
try {
  const blobs = new FilesystemBlobStore(join(work, 'blobs'));
  const metadata = new SqliteMetadataStore(join(work, 'registry.sqlite'));
  const inventories = new SqliteInventoryStore(join(work, 'registry.sqlite'));
  const images = await peerImages();
  const stored = [
    await storeOciLayout({ blobs, metadata }, 'bench/debian', images.debianOci, 'latest'),
    await storeOciLayout({ blobs, metadata }, 'bench/tiny', images.tinyOci, 'latest'),
    await storeOciLayout({ blobs, metadata }, 'bench/hello', join(REPO_ROOT, 'examples', 'hello'), 'latest'),
  ];
  const service = (kept: boolean): ScanService =>
    new ScanService({ blobs, metadata, classifier: new ManifestClassifier(blobs), dbPath: db, rescanIntervalMs: 0, ...(kept ? { inventories } : {}) });
  const rescanAll = async (scanner: ScanService): Promise<number> => {
    const t = performance.now();
    for (const r of stored) await scanner.rescan(r.repository, r.digest);
    await scanner.idle();
    return performance.now() - t;
  };
  const full = service(false);
  const kept = service(true);
  await full.start();
  await kept.start();
  await full.idle();
  await kept.idle();
  await rescanAll(kept); // keeps the inventories (and warms both)
  await rescanAll(full);
  const findings = (await Promise.all(stored.map((r) => metadata.getScan(r.digest)))).map((s) => `${s?.state} ${s?.result?.findings.length}`);
  const sizes = await Promise.all(stored.map(async (r) => inventories.db.prepare<[string], { bytes: number; json: number }>('SELECT length(data) AS bytes, json_bytes AS json FROM inventories WHERE manifest_digest = ?').get(r.digest)));
  const fullTimes: number[] = [];
  const keptTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    fullTimes.push(await rescanAll(full));
    keptTimes.push(await rescanAll(kept));
  }
  await full.close();
  await kept.close();
  const f = median(fullTimes);
  const k = median(keptTimes);
  console.log(`| full rescan (layers read), debian + tiny + hello | ${f.toFixed(0)} ms | 1.00× |`);
  console.log(`| rescan from the kept inventory (no blob read) | ${k.toFixed(0)} ms | ${(k / f).toFixed(3)}× (${(f / k).toFixed(1)}× faster) |`);
  console.log(`results: ${findings.join(', ')}; kept entries (gzip / JSON bytes): ${sizes.map((s) => `${s?.bytes} / ${s?.json}`).join(', ')}`);
  console.log(`runs ${RUNS}, median; ${cpus().length} cores ${cpus()[0]?.model ?? ''}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${loadavg()[0]!.toFixed(1)}, Node.js ${process.version}`);
  await inventories.close();
  await metadata.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
