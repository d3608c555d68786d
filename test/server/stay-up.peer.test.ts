/**
 * `portcullis serve` stays up: attacks that once took it down, replayed on
 * loopback against the real server (configured from its flags), each now
 * failing safe.
 *
 * - 200 clients trickling headers and 200 trickling bodies, each from its own
 *   loopback address: the registry keeps answering GET /v2/ (within 2 s,
 *   the issue's contract), and the tricklers are cut by the header timeout
 *   and the body-rate floor;
 * - 100 connections from one address: those past the per-address cap are
 *   refused at accept, logged once, and other addresses are not affected;
 * - a full disk: uploads and manifest PUTs answer 507 with a clear message,
 *   a `storage.full` log line names the cause, and pushes work again once
 *   space returns (a 2 MiB tmpfs, mounted by the test: CI runs as root);
 * - a port already in use: exit code 2 and a message saying what to do;
 * - wrong passwords: an `auth.failed` line with the user and reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { buildConfig } from '../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../src/server/open.js';
import { runCliProcess } from '../support/cli.js';
import { runCommand } from '../support/peers.js';
import { jsonLineSink } from '../support/registry-log.js';
import { missingPeer } from '../support/require-peer.js';

/** GET /v2/ must answer within `deadlineMs`: the availability contract, as an outcome. */
async function answersWithin(url: string, deadlineMs: number): Promise<number> {
  const r = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(deadlineMs) });
  await r.arrayBuffer();
  return r.status;
}

/** Each client its own loopback address, so the per-address cap is not what stops them. */
function loopbackAddress(i: number): string {
  return `127.0.${10 + Math.floor(i / 250)}.${(i % 250) + 2}`;
}

function open(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('slow clients and connection floods', () => {
  let work: string;
  let registry: RunningRegistry;
  let log: ReturnType<typeof jsonLineSink>;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'portcullis-stayup-'));
    log = jsonLineSink();
    const config = await buildConfig(
      { addr: '127.0.0.1:0', root: join(work, 'data'), scan: false, headersTimeout: '2s', minBodyRate: '1KiB' },
      { stdout: log.stream, stderr: new PassThrough(), env: process.env },
    );
    // The body-rate window has no flag (20 s); 2 s keeps the test short.
    registry = await startRegistry({ ...config, connections: { ...config.connections, bodyRateWindowMs: 2_000 } });
  });
  after(async () => {
    await registry?.close();
    await rm(work, { recursive: true, force: true });
  });

  test('200 header tricklers and 200 body tricklers: GET /v2/ keeps answering, and every trickler is cut', async () => {
    const sockets: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        const socket = await open(registry.port, loopbackAddress(i));
        socket.on('error', () => undefined);
        socket.write('GET /v2/ HTTP/1.1\r\nHost: registry\r\n');
        sockets.push(socket);
      }
      for (let i = 200; i < 400; i++) {
        const socket = await open(registry.port, loopbackAddress(i));
        socket.on('error', () => undefined);
        socket.write(`POST /v2/slow/app/blobs/uploads/?digest=sha256:${'0'.repeat(64)} HTTP/1.1\r\nHost: registry\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n`);
        sockets.push(socket);
      }
      // One byte every 250 ms on every socket: headers that never end, bodies at 4 bytes/s.
      timers.push(
        setInterval(() => {
          for (const [i, s] of sockets.entries()) if (!s.destroyed) s.write(i < 200 ? 'X' : 'x');
        }, 250),
      );
      for (let round = 0; round < 5; round++) {
        assert.equal(await answersWithin(registry.url, 2_000), 200, `round ${round}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      // The header timeout (2 s) and the body-rate floor (2 s window) close them all.
      await Promise.all(sockets.map(closed));
      assert.ok(sockets.every((s) => s.destroyed));
      assert.equal(await answersWithin(registry.url, 2_000), 200);
    } finally {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
    }
  });

  test('connections past the per-address cap are refused at accept, logged once; other addresses still get in', async () => {
    const sockets: Socket[] = [];
    try {
      const results = await Promise.allSettled(Array.from({ length: 100 }, () => open(registry.port, '127.0.0.9')));
      for (const r of results) if (r.status === 'fulfilled') sockets.push(r.value);
      for (const s of sockets) s.on('error', () => undefined);
      // Refused sockets are destroyed by the server right after accept.
      await new Promise((r) => setTimeout(r, 500));
      const open64 = sockets.filter((s) => !s.destroyed).length;
      assert.equal(open64, 64, 'the default cap is 64 per address');
      assert.equal(await answersWithin(registry.url, 2_000), 200, 'another address is served');
      const refused = log.lines.filter((l) => l.event === 'connection.refused' && l.address === '127.0.0.9');
      assert.equal(refused.length, 1, 'one line per address per minute, not one per connection');
      assert.equal(refused[0]?.reason, 'per-address');
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

test('a full disk: 507 with a clear message, a storage.full log line, and pushes work again once space returns', async (t) => {
  const mountpoint = await mkdtemp(join(tmpdir(), 'portcullis-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountpoint]);
  } catch (error) {
    return missingPeer(t, `needs root to mount a small tmpfs (${(error as Error).message})`);
  }
  const log = jsonLineSink();
  let registry: RunningRegistry | undefined;
  try {
    const config = await buildConfig({ addr: '127.0.0.1:0', root: join(mountpoint, 'data'), scan: false }, { stdout: log.stream, stderr: new PassThrough(), env: process.env });
    registry = await startRegistry(config);
    const base = registry.url;
    // A 3 MiB upload into 2 MiB.
    const big = randomBytes(3 * 1024 * 1024);
    const digest = `sha256:${(await import('node:crypto')).createHash('sha256').update(big).digest('hex')}`;
    const upload = await fetch(`${base}/v2/full/app/blobs/uploads/?digest=${digest}`, { method: 'POST', body: big });
    assert.equal(upload.status, 507);
    const body = (await upload.json()) as { errors: Array<{ code: string; message: string }> };
    assert.match(body.errors[0]?.message ?? '', /storage is full/);

    // Fill what is left, then push a manifest: its PUT cannot store the bytes.
    const config1 = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const configDigest = `sha256:${(await import('node:crypto')).createHash('sha256').update(config1).digest('hex')}`;
    assert.equal((await fetch(`${base}/v2/full/app/blobs/uploads/?digest=${configDigest}`, { method: 'POST', body: config1 })).status, 201);
    const filler = join(mountpoint, 'filler');
    await writeFile(filler, Buffer.alloc(0));
    await runCommand('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k', 'count=64']);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config1.length }, layers: [] });
    const put = await fetch(`${base}/v2/full/app/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(put.status, 507, await put.clone().text());
    const full = log.lines.filter((l) => l.event === 'storage.full');
    assert.ok(full.length >= 2, JSON.stringify(log.lines.filter((l) => l.level === 'error')));
    assert.match(JSON.stringify(full[0]?.err), /ENOSPC|SQLITE_FULL/);

    // Space returns: the same push goes through, nothing half-written is visible before.
    await rm(filler);
    const again = await fetch(`${base}/v2/full/app/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(again.status, 201, await again.clone().text());
    const get = await fetch(`${base}/v2/full/app/manifests/v1`);
    assert.equal(await get.text(), manifest);
  } finally {
    await registry?.close();
    execFileSync('umount', [mountpoint]);
    await rm(mountpoint, { recursive: true, force: true });
  }
});

test('a port already in use: exit code 2 and what to do, not an internal error', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  const root = await mkdtemp(join(tmpdir(), 'portcullis-port-'));
  try {
    const r = await runCliProcess(['serve', '--addr', `127.0.0.1:${port}`, '--root', root, '--no-scan']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use .*choose another --addr`));
    assert.doesNotMatch(r.stderr, /internal error|this is a bug/);
  } finally {
    holder.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('wrong passwords are logged as auth.failed with the user and reason; the password never is', async () => {
  const work = await mkdtemp(join(tmpdir(), 'portcullis-authlog-'));
  const log = jsonLineSink();
  const htpasswd = join(work, 'htpasswd');
  await mkdir(work, { recursive: true });
  const made = await runCommand('htpasswd', ['-B', '-C', '4', '-b', '-c', htpasswd, 'alice', 'alice-secret']);
  assert.equal(made.code, 0, made.stderr);
  const config = await buildConfig({ addr: '127.0.0.1:0', root: join(work, 'data'), scan: false, htpasswd }, { stdout: log.stream, stderr: new PassThrough(), env: process.env });
  const registry = await startRegistry(config);
  try {
    const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    assert.equal((await fetch(`${registry.url}/v2/`)).status, 401, 'no credentials: the normal challenge');
    assert.equal((await fetch(`${registry.url}/v2/`, { headers: { authorization: basic('alice', 'hunter2-wrong') } })).status, 401);
    assert.equal((await fetch(`${registry.url}/v2/`, { headers: { authorization: basic('alice', 'alice-secret') } })).status, 200);
    const failed = log.lines.filter((l) => l.event === 'auth.failed');
    assert.equal(failed.length, 1, 'a missing-credentials challenge is not a failure');
    assert.equal(failed[0]?.user, 'alice');
    assert.equal(failed[0]?.reason, 'invalid');
    assert.equal(failed[0]?.level, 'warn');
    assert.ok(!log.lines.some((l) => JSON.stringify(l).includes('hunter2')), 'passwords never reach the log');
    const ok = log.lines.find((l) => l.event === 'request' && l.status === 200 && l.route === 'base');
    assert.equal(ok?.principal, 'alice');
  } finally {
    await registry.close();
    await rm(work, { recursive: true, force: true });
  }
});
