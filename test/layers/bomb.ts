/**
 * Decompression bombs for tests and bench/bombs.ts: a tar holding one file of
 * zeros, compressed into one zstd frame by the real `zstd` CLI or by
 * node:zlib gzip, streamed (never held in memory whole), with its diffID.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';

/** A module to preload (`node --import`) that writes the process's peak RSS in KiB (getrusage) to $MAX_RSS_FILE at exit. */
export const MAX_RSS_PRELOAD =
  "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.MAX_RSS_FILE, String(process.resourceUsage().maxRSS)));\n";

/** sha256 of the bytes passing through: the diffID of the tar being compressed. */
class Hasher extends Transform {
  readonly hash = createHash('sha256');
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }
}

/** Writes the bomb to `path` and answers its bytes and the tar's diffID. */
export async function zeroBomb(path: string, size: number, how: 'zstd' | 'gzip'): Promise<{ blob: Buffer; diffId: string }> {
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
