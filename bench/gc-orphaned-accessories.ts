/**
 * What the cross-repository subject check costs a collection: N cosign signatures (`sha256-<hex>.sig`)
 * in one repository whose images no repository holds, past the untagged retention, collected by a real
 * run over SQLite. The plan names the N absent subjects (`absentEverywhere`) and the store looks each up
 * in the transaction that deletes; the same run without the check (the plan stripped of them by a
 * wrapped store) is the baseline. Alternating rounds on fresh stores; medians of the whole run, of the
 * applying transaction alone, and of a dry run (which applies nothing, so is unchanged).
 * `npm run build && node dist/bench/gc-orphaned-accessories.js [N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '../src/core/digest.js';
import { runGc } from '../src/server/gc/index.js';
import type { DeletionPlan, MetadataStore } from '../src/server/metadata/store.js';
import { SqliteMetadataStore } from '../src/server/metadata/sqlite.js';
import { FilesystemBlobStore } from '../src/server/storage/filesystem.js';

const N = Number(process.argv[2] ?? 5_000);
const ROUNDS = 3;
const DAY = 86_400_000;
const hex = (i: number): string => i.toString(16).padStart(64, '0');

/** The store, timing `applyDeletions`, and (without the check) dropping the plan's absent subjects. */
function timed(store: MetadataStore, check: boolean): { metadata: MetadataStore; applyMs: () => number } {
  let applyMs = 0;
  const metadata = new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== 'applyDeletions') return (value as (...args: unknown[]) => unknown).bind(target);
      return async (repository: string, plan: DeletionPlan, now: string): Promise<boolean> => {
        const started = performance.now();
        const applied = await target.applyDeletions(repository, check ? plan : { ...plan, absentEverywhere: [] }, now);
        applyMs += performance.now() - started;
        return applied;
      };
    },
  });
  return { metadata, applyMs: () => applyMs };
}

async function once(mode: 'check' | 'without' | 'dry'): Promise<{ runMs: number; applyMs: number; deleted: number }> {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-gc-acc-'));
  const store = new SqliteMetadataStore(join(work, 'registry.sqlite'));
  const blobs = new FilesystemBlobStore(join(work, 'blobs'));
  const pushedAt = new Date(Date.now() - 30 * DAY).toISOString();
  // Unrelated images elsewhere, so the lookups search a populated index.
  for (let i = 0; i < N; i++) {
    await store.putManifest({ repository: 'team/app', digest: `sha256:${hex(i + 5e7)}` as Digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, references: [], pushedAt }, `v${i}`);
    await store.putManifest({ repository: 'team/sigs', digest: `sha256:${hex(i + 1e7)}` as Digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, references: [], pushedAt }, `sha256-${hex(i)}.sig`);
  }
  const { metadata, applyMs } = timed(store, mode === 'check');
  const started = performance.now();
  const report = await runGc({ blobs, metadata }, { dryRun: mode === 'dry' });
  const runMs = performance.now() - started;
  await store.close();
  await blobs.close();
  rmSync(work, { recursive: true, force: true });
  if (report.manifestsDeleted !== N) throw new Error(`${mode}: ${report.manifestsDeleted} manifests deleted, expected ${N}`);
  return { runMs, applyMs: applyMs(), deleted: report.manifestsDeleted };
}

/** The check alone: a plan whose last absent subject is held somewhere is refused after N lookups, deleting nothing. */
async function checkAlone(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-gc-acc-'));
  const store = new SqliteMetadataStore(join(work, 'registry.sqlite'));
  const pushedAt = new Date().toISOString();
  for (let i = 0; i < N; i++) await store.putManifest({ repository: 'team/app', digest: `sha256:${hex(i)}` as Digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, references: [], pushedAt }, `v${i}`);
  await store.putManifest({ repository: 'team/sigs', digest: `sha256:${hex(1e7)}` as Digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, references: [], pushedAt }, 'x');
  const absentEverywhere = Array.from({ length: N }, (_, i) => `sha256:${hex(i + 2e7)}` as Digest);
  absentEverywhere[N - 1] = `sha256:${hex(N - 1)}` as Digest;
  const times: number[] = [];
  for (let run = 0; run < 6; run++) {
    const started = performance.now();
    if (await store.applyDeletions('team/sigs', { absentEverywhere, tags: [], manifests: [`sha256:${hex(1e7)}` as Digest] }, pushedAt)) throw new Error('applied');
    if (run > 0) times.push(performance.now() - started);
  }
  await store.close();
  rmSync(work, { recursive: true, force: true });
  return median(times);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = { check: [] as Array<{ runMs: number; applyMs: number }>, without: [] as Array<{ runMs: number; applyMs: number }>, dry: [] as Array<{ runMs: number; applyMs: number }> };
await once('check'); // warm-up
for (let round = 0; round < ROUNDS; round++) for (const mode of ['check', 'without', 'dry'] as const) results[mode].push(await once(mode));

console.log(`| ${N.toLocaleString('en')} orphaned signatures, one repository | whole run (median of ${ROUNDS}) | applying transaction |\n|---|---|---|`);
for (const mode of ['without', 'check', 'dry'] as const) {
  const label = mode === 'check' ? 'with the subject check' : mode === 'without' ? 'without it (baseline)' : 'dry run';
  console.log(`| ${label} | ${Math.round(median(results[mode].map((r) => r.runMs)))} ms | ${median(results[mode].map((r) => r.applyMs)).toFixed(1)} ms |`);
}
const ratio = median(results.check.map((r) => r.runMs)) / median(results.without.map((r) => r.runMs));
console.log(`\nwhole run, with / without: ${ratio.toFixed(2)}×; rounds: ${JSON.stringify(results)}`);
console.log(`the check alone, ${N.toLocaleString('en')} lookups in the applying transaction (a plan refused at its last subject, median of 5): ${(await checkAlone()).toFixed(1)} ms`);
console.log(`${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, load ${loadavg()[0]!.toFixed(1)}`);
