/**
 * Decompression bombs through the real CLI: a layer of a few KB (zstd) or a
 * few MB (gzip) that expands to 1 GiB of zeros, built at test time, read by
 * `portcullis inspect` and `portcullis cat` (the walker) in a child process
 * whose peak RSS (getrusage maxrss, written at exit by a preloaded module) must
 * stay under 400 MB. Before the zstd decoder honoured back-pressure, inspect
 * of such a zstd layer took the process past 1 GB.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { buildLayout, type Compression } from '../support/oci-builder.js';
import { CLI, REPO_ROOT } from '../support/paths.js';
import { runCommand } from '../support/peers.js';

const GIB = 1024 ** 3;
const RSS_LIMIT_KB = 400 * 1024;

let work: string;
let preload: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'layers-bombs-'));
  preload = join(work, 'max-rss.mjs');
  // Written at exit: the kernel's peak resident set of this process, in KiB (Linux getrusage).
  writeFileSync(
    preload,
    "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.MAX_RSS_FILE, String(process.resourceUsage().maxRSS)));\n",
  );
});
after(() => rmSync(work, { recursive: true, force: true }));

/** sha256 of the bytes passing through: the diffID of the tar being compressed. */
class Hasher extends Transform {
  readonly hash = createHash('sha256');
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }
}

/** A tar holding one file of `size` zero bytes, compressed (one zstd frame by the `zstd` CLI, or node:zlib gzip); the blob and the tar's diffID. */
async function zeroBomb(size: number, how: Exclude<Compression, 'none'>): Promise<{ blob: Buffer; diffId: string }> {
  const path = join(work, `bomb.${how}`);
  const tar = pack();
  const hasher = new Hasher();
  let writing: Promise<unknown>;
  if (how === 'gzip') {
    writing = pipeline(tar, hasher, createGzip({ level: 1 }), createWriteStream(path));
  } else {
    const zstd = spawn('zstd', ['-q', '-f', '-3', '-o', path], { stdio: ['pipe', 'ignore', 'inherit'] });
    const exited = new Promise<void>((resolve, reject) => {
      zstd.on('error', reject);
      zstd.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`zstd exited ${code}`))));
    });
    writing = Promise.all([pipeline(tar, hasher, zstd.stdin), exited]);
  }
  const zeros = Buffer.alloc(1 << 20);
  const entry = tar.entry({ name: 'zeros', size, mode: 0o644, mtime: new Date(0) });
  for (let left = size; left > 0; left -= zeros.length) {
    if (!entry.write(zeros.subarray(0, Math.min(left, zeros.length)))) await new Promise<void>((resolve) => entry.once('drain', () => resolve()));
  }
  entry.end(null);
  tar.finalize();
  await writing;
  return { blob: readFileSync(path), diffId: `sha256:${hasher.hash.digest('hex')}` };
}

async function runMeasured(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string; maxRssKb: number }> {
  const rssFile = join(work, `rss-${args[0]}-${Date.now()}`);
  const r = await runCommand(process.execPath, ['--import', preload, CLI, ...args], {
    env: { ...process.env, NO_COLOR: '1', MAX_RSS_FILE: rssFile },
    cwd: REPO_ROOT,
    timeoutMs: 600_000,
  });
  return { ...r, maxRssKb: Number(readFileSync(rssFile, 'utf8')) };
}

for (const how of ['zstd', 'gzip'] as const) {
  test(`a 1 GiB ${how} bomb streams through inspect and the walker in under 400 MB`, async (t) => {
    const { blob, diffId } = await zeroBomb(GIB, how);
    assert.ok(blob.length < (how === 'zstd' ? 256 * 1024 : 8 * 1024 * 1024), `${how} bomb is ${blob.length} bytes`);
    const layout = await buildLayout({ dir: join(work, `layout-${how}`), layers: [{ raw: blob, compression: how, diffId }] });

    const inspect = await runMeasured(['inspect', layout.name]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /\(1\.0 GiB uncompressed\)/);
    assert.ok(inspect.maxRssKb < RSS_LIMIT_KB, `inspect peaked at ${Math.round(inspect.maxRssKb / 1024)} MB`);

    // cat walks every layer with the merged view; the file it asks for is not there.
    const cat = await runMeasured(['cat', layout.name, '/etc/passwd']);
    assert.equal(cat.code, 3, cat.stderr);
    assert.ok(cat.maxRssKb < RSS_LIMIT_KB, `cat peaked at ${Math.round(cat.maxRssKb / 1024)} MB`);
    t.diagnostic(`${how}: ${blob.length} bytes → 1 GiB; peak RSS inspect ${Math.round(inspect.maxRssKb / 1024)} MB, cat ${Math.round(cat.maxRssKb / 1024)} MB`);
  });
}
