/**
 * Registry deadlines as a user meets them (issue "Fail closed, stay up"): a
 * registry that trickles a manifest one byte a second, or sends headers and
 * then nothing, fails `inspect` with the TIMEOUT exit code (5) and a message
 * naming the request, under `--timeout 2s`; a blob whose bytes keep coming
 * is not cut by that small deadline (only an idle blob is).
 *
 * The CLI runs as a child process with a kill timer far above what the
 * command may take: a regression fails the test instead of hanging it. The
 * test asserts outcomes, not elapsed time.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import { buildLayout, type BuiltLayout } from '../support/oci-builder.js';
import { startStub, type Stub } from '../support/http-stub.js';
import { CLI } from '../support/paths.js';
import { runCommand } from '../support/peers.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHILD_TIMEOUT_MS = 90_000;
let layout: BuiltLayout;
let manifestBytes: Buffer;
let configDigest: string;
let layerDigest: string;
const stubs: Stub[] = [];
const timers = new Set<NodeJS.Timeout>();

before(async () => {
  layout = await buildLayout({ layers: [{ entries: [{ name: 'etc/hostname', body: 'trickle\n' }, { name: 'big.bin', body: Buffer.alloc(64 * 1024, 1) }] }] });
  manifestBytes = readFileSync(layout.blobPath(layout.manifestDigest));
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
  configDigest = manifest.config.digest;
  layerDigest = manifest.layers[0]?.digest ?? '';
});

after(async () => {
  for (const t of timers) clearInterval(t);
  await Promise.all(stubs.map((s) => s.close()));
});

function inspect(host: string, ...flags: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(process.execPath, [CLI, 'inspect', `docker://${host}/x/app:1`, '--tls-verify=false', '-q', '--retries', '0', '--verify-layers', ...flags], {
    // A fresh blob cache per run: every layer comes from the stub, never from an earlier test's cache.
    env: { ...process.env, NO_COLOR: '1', PORTCULLIS_CACHE_DIR: mkdtempSync(join(tmpdir(), 'portcullis-timeouts-cache-')) },
    timeoutMs: CHILD_TIMEOUT_MS,
  });
}

/** Writes `bytes` in pieces of `size`, one piece every `everyMs`. */
function trickle(res: ServerResponse, bytes: Buffer, size: number, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (res.destroyed) {
      clearInterval(timer);
      timers.delete(timer);
      return;
    }
    res.write(bytes.subarray(at, at + size));
    at += size;
    if (at >= bytes.length) {
      clearInterval(timer);
      timers.delete(timer);
      res.end();
    }
  }, everyMs);
  timers.add(timer);
}

type BlobBehaviour = 'normal' | 'stall' | 'slow-but-flowing';

async function registry(manifest: 'normal' | 'trickle' | 'stall', blob: BlobBehaviour = 'normal'): Promise<Stub> {
  const stub = await startStub((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (url.startsWith('/v2/x/app/manifests/')) {
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'content-length': String(manifestBytes.length),
        'docker-content-digest': layout.manifestDigest,
      });
      if (req.method === 'HEAD') return void res.end();
      if (manifest === 'trickle') return trickle(res, manifestBytes, 1, 1000);
      if (manifest === 'stall') return void res.flushHeaders();
      return void res.end(manifestBytes);
    }
    const digest = url.startsWith('/v2/x/app/blobs/') ? url.slice('/v2/x/app/blobs/'.length) : '';
    if (digest === configDigest || digest === layerDigest) {
      const bytes = readFileSync(layout.blobPath(digest));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length), 'docker-content-digest': digest });
      if (digest === layerDigest && blob === 'stall') return void res.write(bytes.subarray(0, 10));
      // Four seconds in all, a piece every 400 ms: longer than a 2 s deadline, never idle for 2 s.
      if (digest === layerDigest && blob === 'slow-but-flowing') return trickle(res, bytes, Math.ceil(bytes.length / 10), 400);
      return void res.end(bytes);
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"unknown"}]}');
  });
  stubs.push(stub);
  return stub;
}

function assertTimeout(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 5, `exit code 5 (network/timeout); stderr: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0] ?? '', pattern);
}

test('the stub serves a working image (the control case)', async () => {
  const stub = await registry('normal');
  const r = await inspect(stub.host, '--timeout', '2s');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(layout.manifestDigest));
});

test('a manifest trickled one byte a second fails within --timeout 2s: TIMEOUT, exit 5', async () => {
  const stub = await registry('trickle');
  const r = await inspect(stub.host, '--timeout', '2s');
  assertTimeout(r, new RegExp(`^portcullis: manifest ${stub.host}/x/app:1: no complete answer from http://${stub.host}/v2/x/app/manifests/1 within the 2 s timeout$`));
});

test('a manifest whose headers come and then nothing: TIMEOUT, exit 5', async () => {
  const stub = await registry('stall');
  const r = await inspect(stub.host, '--timeout', '2s');
  assertTimeout(r, new RegExp(`^portcullis: manifest ${stub.host}/x/app:1: .*2 s`));
});

test('a token endpoint that trickles its answer: TIMEOUT, exit 5', async () => {
  const realm = await startStub((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    trickle(res, Buffer.from(JSON.stringify({ token: 'x'.repeat(200), expires_in: 300 })), 1, 1000);
  });
  stubs.push(realm);
  const stub = await startStub((req, res) => {
    if (req.headers.authorization === undefined) {
      return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm.url}/token",service="stub"` }).end();
    }
    res.writeHead(404).end();
  });
  stubs.push(stub);
  const r = await inspect(stub.host, '--timeout', '2s');
  assertTimeout(r, new RegExp(`^portcullis: token request to http://${realm.host}/token: no complete answer from http://${realm.host}/token\\S* within the 2 s timeout$`));
});

test('a layer blob that stalls after its headers fails on the idle timeout: TIMEOUT, exit 5', async () => {
  const stub = await registry('normal', 'stall');
  const r = await inspect(stub.host, '--timeout', '2s');
  assertTimeout(r, new RegExp(`^portcullis: blob ${stub.host}/x/app@${layerDigest}: http://${stub.host}/v2/x/app/blobs/${layerDigest} stopped sending data for 2 s \\(UND_ERR_BODY_TIMEOUT\\)$`));
});

test('a layer blob slower than the deadline but never idle is downloaded whole', async () => {
  const stub = await registry('normal', 'slow-but-flowing');
  const r = await inspect(stub.host, '--timeout', '2s');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /213 B\s+66\.5 KiB/, 'the layer was downloaded and measured');
});

test('--timeout takes a duration; 0 and garbage are usage errors', async () => {
  const stub = await registry('normal');
  for (const bad of ['0', '-1', 'soon', '2x']) {
    const r = await inspect(stub.host, '--timeout', bad);
    assert.equal(r.code, 2, `--timeout ${bad}: ${r.stderr}`);
    assert.match(r.stderr, /--timeout takes a duration such as 30s/);
  }
  for (const good of ['5', '5s', '1500ms', '1m']) {
    const r = await inspect(stub.host, '--timeout', good);
    assert.equal(r.code, 0, `--timeout ${good}: ${r.stderr}`);
  }
});
