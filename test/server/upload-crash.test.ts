/**
 * What a crash leaves, and what the next start does with it: `portcullis
 * serve` runs as a real process, receives half of a PATCH body, and is killed
 * with SIGKILL mid-request, so the upload's partial bytes stay on disk. Aged
 * (utimes) past `--upload-purge-age`, they are removed by the purge that runs
 * when the registry starts again, which logs `upload.purged`; an upload
 * touched recently survives the same start.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';

const work = await mkdtemp(join(tmpdir(), 'portcullis-upload-crash-'));
after(async () => {
  for (const s of servers) if (s.process.exitCode === null && s.process.signalCode === null) s.process.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

const servers: ServeProcess[] = [];

function serve(extra: readonly string[]): Promise<ServeProcess> {
  return startServeProcess(['--root', join(work, 'root'), '--no-scan', '--no-notary', '--no-ui', ...extra], { logLevel: 'info' }).then((s) => {
    servers.push(s);
    return s;
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

test('kill -9 mid-PATCH leaves partial bytes; the next start purges them once older than --upload-purge-age, and keeps a fresh upload', async () => {
  const first = await serve([]);
  const start = async (): Promise<string> => {
    const res = await fetch(`${first.url}/v2/crash/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(res.status, 202);
    return res.headers.get('docker-upload-uuid')!;
  };
  const abandoned = await start();
  const fresh = await start();

  // Half of a 1 MiB body, then nothing: the server is killed while it waits for the rest.
  const half = Buffer.alloc(512 * 1024, 7);
  const patch = request(`${first.url}/v2/crash/app/blobs/uploads/${abandoned}`, { method: 'PATCH', headers: { 'content-type': 'application/octet-stream', 'content-length': String(2 * half.length) } });
  patch.on('error', () => undefined);
  patch.write(half);
  const data = join(work, 'root', 'blobs', 'uploads', abandoned, 'data');
  await until('the first half on disk', async () => ((await stat(data)).size === half.length ? true : undefined));
  first.process.kill('SIGKILL');
  await new Promise((resolve) => first.process.once('exit', resolve));
  patch.destroy();
  assert.equal((await stat(data)).size, half.length, 'the killed process left the partial bytes');

  // Two hours untouched, as far as the file system can tell.
  const old = new Date(Date.now() - 2 * 3_600_000);
  await utimes(data, old, old);
  await utimes(join(work, 'root', 'blobs', 'uploads', abandoned), old, old);

  const second = await serve(['--upload-purge-age', '1h']);
  const purged = await until('upload.purged', () => second.lines.find((l) => l.event === 'upload.purged'));
  assert.equal(purged.count, 1);
  assert.deepEqual(await readdir(join(work, 'root', 'blobs', 'uploads')), [fresh], 'the abandoned upload and its bytes are gone; the fresh one stays');
  assert.equal((await fetch(`${second.url}/v2/crash/app/blobs/uploads/${abandoned}`)).status, 404);
  assert.equal((await fetch(`${second.url}/v2/crash/app/blobs/uploads/${fresh}`)).status, 204);
  await second.stop();
});
