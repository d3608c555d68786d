/**
 * Blob push/pull throughput of the registry's two storage drivers in the
 * same run: the filesystem store (a temp folder) against the S3 store on a
 * real S3 API (Swift + s3api from ../shared/peers/s3.sh, loopback). Measured
 * at the BlobStore interface, as the registry's upload and blob routes drive
 * it: push = startUpload + PATCH-sized appends + finishUpload (digest check,
 * publish), pull = one full read. Prints MiB/s per driver and S3/filesystem
 * ratios (1.0 = as fast as the local folder).
 * Run: npx tsx bench/registry-backends.ts   (env BENCH_RUNS, default 3; BENCH_MIB per large blob, default 32)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { Digest } from '../src/core/digest.js';
import type { BlobStore } from '../src/server/storage/blob-store.js';
import { FilesystemBlobStore } from '../src/server/storage/filesystem.js';
import { S3BlobStore } from '../src/server/storage/s3.js';
import { startS3 } from '../test/support/s3.js';
import { median } from './stats.js';

const MiB = 1024 * 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LARGE_MIB = Number(process.env.BENCH_MIB ?? 32);
/** docker/containerd push a layer in one PATCH; chunked clients use a few MiB per PATCH. */
const PATCH_BYTES = 5 * MiB;

interface Blob {
  readonly bytes: Buffer;
  readonly digest: Digest;
}

function blob(size: number): Blob {
  const bytes = randomBytes(size);
  return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

/** 3 large layers, 20 small blobs (configs, small layers): the shape of a typical image set. */
function workload(): Blob[] {
  return [...Array.from({ length: 3 }, () => blob(LARGE_MIB * MiB)), ...Array.from({ length: 20 }, () => blob(16 * 1024))];
}

async function push(store: BlobStore, b: Blob): Promise<void> {
  const { id } = await store.startUpload();
  for (let offset = 0; offset < b.bytes.length; offset += PATCH_BYTES) {
    const piece = b.bytes.subarray(offset, Math.min(offset + PATCH_BYTES, b.bytes.length));
    // Feed in 64 KiB slices, as an HTTP request body arrives.
    const slices = Array.from({ length: Math.ceil(piece.length / (64 * 1024)) }, (_, i) => piece.subarray(i * 64 * 1024, (i + 1) * 64 * 1024));
    await store.appendUpload(id, offset, Readable.from(slices));
  }
  await store.finishUpload(id, b.digest);
}

async function pull(store: BlobStore, b: Blob): Promise<void> {
  let size = 0;
  for await (const chunk of await store.read(b.digest)) size += (chunk as Buffer).length;
  if (size !== b.bytes.length) throw new Error(`short read of ${b.digest}: ${size}`);
}

async function timed(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}


async function measure(name: string, makeStore: () => Promise<BlobStore>, blobs: Blob[]): Promise<{ push: number; pull: number }> {
  const total = blobs.reduce((n, b) => n + b.bytes.length, 0) / MiB;
  const pushes: number[] = [];
  const pulls: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const store = await makeStore();
    try {
      // Sequential, as one client pushes one layer after another; layers in parallel would measure the server's concurrency instead.
      pushes.push(total / (await timed(async () => { for (const b of blobs) await push(store, b); })));
      pulls.push(total / (await timed(async () => { for (const b of blobs) await pull(store, b); })));
    } finally {
      await store.close();
    }
  }
  const result = { push: median(pushes), pull: median(pulls) };
  console.log(`${name.padEnd(12)} push ${result.push.toFixed(1).padStart(7)} MiB/s   pull ${result.pull.toFixed(1).padStart(7)} MiB/s   (median of ${RUNS}, ${total.toFixed(1)} MiB per run)`);
  return result;
}

async function main(): Promise<void> {
  const blobs = workload();
  const folders: string[] = [];
  const s3 = await startS3();
  try {
    const fs = await measure('filesystem', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'bench-blobs-'));
      folders.push(dir);
      return new FilesystemBlobStore(dir);
    }, blobs);
    const viaS3 = await measure('s3 (swift)', async () => new S3BlobStore({ ...s3.connection, bucket: s3.bucket, prefix: `bench-${randomBytes(4).toString('hex')}` }), blobs);
    console.log(`ratio s3/filesystem: push ${(viaS3.push / fs.push).toFixed(2)}×, pull ${(viaS3.pull / fs.pull).toFixed(2)}×`);
  } finally {
    await s3.stop();
    for (const dir of folders) await rm(dir, { recursive: true, force: true });
  }
}

await main();
