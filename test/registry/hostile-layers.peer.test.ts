/**
 * `portcullis serve`, run as the real command in its own process, scanning
 * hostile layers pushed over HTTP:
 *
 * - a zstd bomb and a gzip bomb (a tar holding one 1 GiB file of zeros,
 *   compressed to a few hundred KB or a few MB): the scan finishes and the
 *   server's peak RSS (VmHWM from /proc) stays under 600 MB. bench/ measures
 *   the same with 10 GiB;
 * - one tar entry with 80,000 path components (once 17 s of blocked event
 *   loop): GET /v2/ keeps answering within 2 s while it is scanned, the scan
 *   fails with the path named, and the image is refused.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createGzip } from 'node:zlib';
import { importPaths } from '../../src/vuln/db.js';
import { tarOf } from '../support/oci-builder.js';
import { TINY_IMAGE_ADVISORIES, writeAdvisories } from '../support/osv.js';
import { CLI, REPO_ROOT } from '../support/paths.js';

const GIB = 1024 * 1024 * 1024;
const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A tar header block for one regular file of `size` bytes (ustar, size in octal). */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('15000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** The uncompressed tar of the bomb, as a stream: header, `size` zeros, end blocks. Also returns its digest. */
function bombTar(size: number): { stream: Readable; diffId: Promise<string> } {
  const hash = createHash('sha256');
  let resolveDigest!: (d: string) => void;
  const diffId = new Promise<string>((r) => (resolveDigest = r));
  const zeros = Buffer.alloc(1024 * 1024);
  async function* generate(): AsyncGenerator<Buffer> {
    const header = tarHeader('zeros.bin', size);
    hash.update(header);
    yield header;
    for (let left = size; left > 0; left -= zeros.length) {
      const chunk = left >= zeros.length ? zeros : zeros.subarray(0, left);
      hash.update(chunk);
      yield chunk;
    }
    const end = Buffer.alloc(1024);
    hash.update(end);
    yield end;
    resolveDigest(`sha256:${hash.digest('hex')}`);
  }
  return { stream: Readable.from(generate()), diffId };
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function gzipBomb(size: number): Promise<{ blob: Buffer; diffId: string }> {
  const { stream, diffId } = bombTar(size);
  const blob = await collect(stream.pipe(createGzip({ level: 1 })));
  return { blob, diffId: await diffId };
}

async function zstdBomb(size: number): Promise<{ blob: Buffer; diffId: string }> {
  const { stream, diffId } = bombTar(size);
  const zstd = spawn('zstd', ['-q', '-3', '-c', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  stream.pipe(zstd.stdin);
  const blob = await collect(zstd.stdout);
  return { blob, diffId: await diffId };
}

interface Served {
  readonly process: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
}

/** `portcullis serve` as a user starts it, on a free port; resolves once it listens. */
async function serveProcess(args: readonly string[]): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--addr', '127.0.0.1:0', '--log-level', 'warn', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return {
    process: child,
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

/** Monolithic pushes of the blobs, then the manifest; returns its digest. */
async function pushImage(base: string, name: string, layer: { blob: Buffer; diffId: string; mediaType: string }): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
  for (const blob of [config, layer.blob]) {
    const r = await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob });
    assert.equal(r.status, 201, await r.text());
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: layer.mediaType, digest: sha256(layer.blob), size: layer.blob.length }],
    }),
  );
  const r = await fetch(`${base}/v2/${name}/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(r.status, 201, await r.text());
  return sha256(manifest);
}

/** Polls the manifest until the policy's answer no longer says "waiting" or "being scanned" (bounded). */
async function settled(base: string, name: string): Promise<{ status: number; message: string }> {
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${base}/v2/${name}/manifests/v1`);
    const text = await r.text();
    const message = r.status === 200 ? '' : ((JSON.parse(text) as { errors: Array<{ message: string }> }).errors[0]?.message ?? '');
    if (!/waiting to be scanned|being scanned/.test(message)) return { status: r.status, message };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} was still not scanned after 120 s`);
}

describe('serve scanning hostile layers', () => {
  let work: string;
  let served: Served;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'portcullis-hostile-'));
    const db = join(work, 'advisories.sqlite');
    await importPaths(db, [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
    served = await serveProcess(['--root', join(work, 'data'), '--db', db, '--rescan-interval', '0', '--deny-severity', 'CRITICAL']);
  });
  after(async () => {
    await served?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('a 1 GiB zstd bomb and a 1 GiB gzip bomb are scanned in bounded memory (server peak RSS < 600 MB)', async () => {
    const zstd = await zstdBomb(GIB);
    const gzip = await gzipBomb(GIB);
    assert.ok(zstd.blob.length < 2 * 1024 * 1024, `zstd bomb is ${zstd.blob.length} bytes`);
    await pushImage(served.url, 'bomb/zstd', { ...zstd, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' });
    await pushImage(served.url, 'bomb/gzip', { ...gzip, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
    for (const name of ['bomb/zstd', 'bomb/gzip']) {
      const result = await settled(served.url, name);
      assert.equal(result.status, 200, `${name}: a bomb of zeros has no packages and no findings once fully read: ${result.message}`);
    }
    const peak = await peakRssMb(served.process.pid!);
    assert.ok(peak < 600, `server peak RSS ${peak.toFixed(0)} MB`);
  });

  test('a layer with an 80,000-component path: GET /v2/ answers within 2 s throughout, the scan fails naming the path, the image is refused', async () => {
    const deep = `${'d/'.repeat(80_000)}f`;
    const tar = await tarOf([{ name: deep, body: 'x' }]);
    const blob = await collect(Readable.from([tar]).pipe(createGzip()));
    await pushImage(served.url, 'hostile/deep', { blob, diffId: sha256(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
    let answered = 0;
    for (;;) {
      const r = await fetch(`${served.url}/v2/`, { signal: AbortSignal.timeout(2_000) });
      await r.arrayBuffer();
      assert.equal(r.status, 200);
      answered++;
      const m = await fetch(`${served.url}/v2/hostile/deep/manifests/v1`);
      const text = await m.text();
      if (!/waiting to be scanned|being scanned/.test(text)) {
        assert.equal(m.status, 403);
        assert.match(text, /could not be scanned/);
        // The layer reader names the entry and the cap it broke (LAYER_PATH_TOO_LONG: 16,384 characters before 1,024 components).
        assert.match(text, /entry \\"d\/d\/d.* is 160001 characters long, over the 16384-character limit/);
        break;
      }
      assert.ok(answered < 600, 'scan did not finish within 600 polls');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
