/**
 * `inspect` of a registry image reads the manifest and the config only
 * (as `skopeo inspect`), layers only with --verify-layers; the blob cache
 * that commands fill is shown by `cache info`, emptied by `cache clean`
 * (all, by age, down to a size) and held under PORTCULLIS_CACHE_MAX_SIZE by
 * evicting the least recently used blobs. Against a loopback registry stub
 * that records every request. The layer analysis cache beside it: filled by
 * `scan`, shown and emptied by the same commands, 0600 files in a 0700
 * folder, off with PORTCULLIS_LAYER_CACHE=off.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ScanResult } from '../../src/core/finding.js';
import { importPaths } from '../../src/vuln/db.js';
import { runCli } from '../support/cli.js';
import { VULNDATA } from '../support/paths.js';
import { startStub, type Stub } from '../support/http-stub.js';
import { buildLayout, sha256, type BuiltLayout } from '../support/oci-builder.js';

let layout: BuiltLayout;
let stub: Stub;
let work: string;
let manifestBytes: Buffer;
let configDigest: string;
let layerDigest: string;
let blobBytes: number;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-cache-cli-'));
  layout = await buildLayout({ layers: [{ entries: [{ name: 'etc/os-release', body: 'ID=alpine\nVERSION_ID=3.20.0\n' }, { name: 'big.bin', body: Buffer.alloc(200_000, 3) }] }] });
  manifestBytes = readFileSync(layout.blobPath(layout.manifestDigest));
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: { digest: string; size: number }; layers: Array<{ digest: string; size: number }> };
  configDigest = manifest.config.digest;
  layerDigest = manifest.layers[0]!.digest;
  blobBytes = manifest.config.size + manifest.layers[0]!.size;
  stub = await startStub((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (url.startsWith('/v2/x/app/manifests/')) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(manifestBytes.length), 'docker-content-digest': layout.manifestDigest });
      return void res.end(req.method === 'HEAD' ? undefined : manifestBytes);
    }
    const digest = url.startsWith('/v2/x/app/blobs/') ? url.slice('/v2/x/app/blobs/'.length) : '';
    if (digest === configDigest || digest === layerDigest) {
      const bytes = readFileSync(layout.blobPath(digest));
      return void res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) }).end(bytes);
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"unknown"}]}');
  });
});
after(async () => {
  await stub?.close();
  rmSync(work, { recursive: true, force: true });
});

const image = (): string => `docker://${stub.host}/x/app:1`;
const blobRequests = (): string[] => stub.requests.filter((r) => r.url.startsWith('/v2/x/app/blobs/')).map((r) => r.url.slice('/v2/x/app/blobs/'.length));
const cacheEnv = (dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PORTCULLIS_CACHE_DIR: dir, ...extra });
const cachedDigests = (dir: string): string[] => (existsSync(join(dir, 'blobs', 'sha256')) ? readdirSync(join(dir, 'blobs', 'sha256')).filter((n) => !n.startsWith('.')).map((n) => `sha256:${n}`).sort() : []);

test('inspect of a registry image reads the manifest and the config, not the layers; --verify-layers reads and checks them', async () => {
  const cache = join(work, 'inspect-cache');
  stub.requests.length = 0;
  const quick = await runCli(['inspect', image(), '--tls-verify=false', '--format', 'json', '-q'], cacheEnv(cache));
  assert.equal(quick.code, 0, quick.stderr);
  assert.deepEqual(blobRequests(), [configDigest]);
  const report = JSON.parse(quick.stdout) as { layers: Array<{ digest: string; uncompressedSize?: number }> };
  assert.equal(report.layers[0]?.digest, layerDigest);
  assert.equal(report.layers[0]?.uncompressedSize, undefined);
  stub.requests.length = 0;
  const verified = await runCli(['inspect', image(), '--tls-verify=false', '--format', 'json', '-q', '--verify-layers'], cacheEnv(join(work, 'inspect-cache-2')));
  assert.equal(verified.code, 0, verified.stderr);
  assert.deepEqual(blobRequests().sort(), [configDigest, layerDigest].sort());
  assert.ok(((JSON.parse(verified.stdout) as typeof report).layers[0]?.uncompressedSize ?? 0) > 200_000);
});

test('cache info and cache clean: what a command cached, by age, all', async () => {
  const cache = join(work, 'info-cache');
  const empty = await runCli(['cache', 'info', '--format', 'json'], cacheEnv(cache));
  assert.equal(empty.code, 0, empty.stderr);
  assert.deepEqual((JSON.parse(empty.stdout) as { entries: number; bytes: number }).entries, 0);
  const sbom = await runCli(['sbom', image(), '--tls-verify=false', '-q', '--format', 'json'], cacheEnv(cache));
  assert.equal(sbom.code, 0, sbom.stderr);
  assert.deepEqual(cachedDigests(cache), [configDigest, layerDigest].sort());
  const info = await runCli(['cache', 'info', '--format', 'json'], cacheEnv(cache));
  const parsed = JSON.parse(info.stdout) as { location: string; entries: number; bytes: number; maxBytes: number };
  assert.deepEqual([parsed.location, parsed.entries, parsed.bytes, parsed.maxBytes], [join(cache, 'blobs'), 2, blobBytes, 2 * 1024 ** 3]);
  const table = await runCli(['cache', 'info'], cacheEnv(cache, { PORTCULLIS_CACHE_MAX_SIZE: '500M' }));
  assert.match(table.stdout, new RegExp(`^Location:   ${join(cache, 'blobs').replace(/[.]/g, '\\.')}\\n`));
  assert.match(table.stdout, /^Size: +\d+(\.\d)? (B|KiB) in 2 blobs \(limit 500 MiB, from PORTCULLIS_CACHE_MAX_SIZE\)$/m);
  assert.match(table.stdout, /not part of the blob cache; kept by "cache clean"/);

  // The layer unused for 10 days goes with --older-than 7d; the config, just used, stays.
  const old = new Date(Date.now() - 10 * 86_400_000);
  utimesSync(join(cache, 'blobs', 'sha256', layerDigest.slice(7)), old, old);
  const aged = await runCli(['cache', 'clean', '--older-than', '7d'], cacheEnv(cache));
  assert.equal(aged.code, 0, aged.stderr);
  assert.match(aged.stdout, /^Removed 1 blob \(\d+ B\) from .*; 1 left \(\d+ B\)\nRemoved 0 layer analyses \(0 B\) from .*; 0 left \(0 B\)\n$/);
  assert.deepEqual(cachedDigests(cache), [configDigest]);
  const all = await runCli(['cache', 'clean', '--format', 'json'], cacheEnv(cache));
  assert.deepEqual(JSON.parse(all.stdout), {
    location: cache,
    removed: 1,
    bytes: readFileSync(layout.blobPath(configDigest)).length,
    left: { entries: 0, bytes: 0 },
    layers: { location: join(cache, 'layers'), removed: 0, bytes: 0, left: { entries: 0, bytes: 0 } },
  });
  assert.deepEqual(cachedDigests(cache), []);
});

test('the size bound: past PORTCULLIS_CACHE_MAX_SIZE the least recently used blobs are evicted after the command', async () => {
  const cache = join(work, 'bounded-cache');
  // An older blob that a previous command left (valid content, named by its digest).
  const stale = Buffer.alloc(100_000, 9);
  const staleHex = sha256(stale);
  mkdirSync(join(cache, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(cache, 'blobs', 'sha256', staleHex), stale);
  const old = new Date(Date.now() - 86_400_000);
  utimesSync(join(cache, 'blobs', 'sha256', staleHex), old, old);
  // Room for this image's blobs, not for the stale one too.
  const r = await runCli(['sbom', image(), '--tls-verify=false', '-q', '--format', 'json'], cacheEnv(cache, { PORTCULLIS_CACHE_MAX_SIZE: String(blobBytes + 1000) }));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(cachedDigests(cache), [configDigest, layerDigest].sort());
  // cache clean --max-size trims the same way, on demand.
  const half = await runCli(['cache', 'clean', '--max-size', String(blobBytes - 1), '--format', 'json'], cacheEnv(cache));
  assert.equal(half.code, 0, half.stderr);
  assert.equal((JSON.parse(half.stdout) as { removed: number }).removed, 1);
  assert.equal(cachedDigests(cache).length, 1);
  const none = await runCli(['cache', 'clean', '--max-size', '0', '--format', 'json'], cacheEnv(cache));
  assert.deepEqual((JSON.parse(none.stdout) as { left: unknown }).left, { entries: 0, bytes: 0 });
  assert.deepEqual(cachedDigests(cache), []);
});

test('bad sizes, ages and flag mixes are usage errors (exit 2)', async () => {
  const cache = join(work, 'usage-cache');
  const size = await runCli(['inspect', image(), '--tls-verify=false', '-q'], cacheEnv(cache, { PORTCULLIS_CACHE_MAX_SIZE: 'lots' }));
  assert.equal(size.code, 2);
  assert.equal(size.stderr, 'portcullis: PORTCULLIS_CACHE_MAX_SIZE takes a size such as 500M, 2G or 2GiB, not "lots"\n');
  const age = await runCli(['cache', 'clean', '--older-than', 'yesterday'], cacheEnv(cache));
  assert.equal(age.code, 2);
  assert.match(age.stderr, /--older-than takes an age such as 12h, 7d or 2w, not "yesterday"/);
  const mix = await runCli(['cache', 'clean', '--all', '--older-than', '7d'], cacheEnv(cache));
  assert.equal(mix.code, 2);
});

test('the layer analysis cache: scan fills it (0600 files, 0700 folder), the next scan gives the same result, cache info and clean cover it', async () => {
  const db = join(work, 'alpine.sqlite');
  await importPaths(db, [join(VULNDATA, 'alpine-secdb/yaml/v3.4')]);
  const apk = readFileSync(join(VULNDATA, 'pkgdb/apk/trivy-testdata/lib/apk/db/installed'));
  const app = await buildLayout({
    layers: [
      { entries: [{ name: 'etc/os-release', body: 'ID=alpine\nVERSION_ID=3.4.6\n' }, { name: 'lib/apk/db/installed', body: apk }] },
      { entries: [{ name: 'app/readme', body: 'hello' }] },
    ],
  });
  const cache = join(work, 'layer-cache');
  const env = cacheEnv(cache, { PORTCULLIS_LAYER_CACHE: 'on' });
  const scan = async (extra: NodeJS.ProcessEnv = env): Promise<ScanResult> => {
    const r = await runCli(['scan', app.name, '--db', db, '--format', 'json', '-q'], extra);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as ScanResult;
  };
  const off = await scan(cacheEnv(cache, { PORTCULLIS_LAYER_CACHE: 'off' }));
  assert.equal(existsSync(join(cache, 'layers')), false, 'off: nothing written');
  const first = await scan();
  const files = readdirSync(join(cache, 'layers'));
  assert.equal(files.length, 2);
  assert.equal(statSync(join(cache, 'layers')).mode & 0o777, 0o700);
  for (const f of files) assert.equal(statSync(join(cache, 'layers', f)).mode & 0o777, 0o600);
  const second = await scan();
  const same = (r: ScanResult): string => JSON.stringify({ ...r, scannedAt: '' });
  assert.ok(off.findings.length > 10);
  assert.equal(same(first), same(off));
  assert.equal(same(second), same(off));
  const info = JSON.parse((await runCli(['cache', 'info', '--format', 'json'], env)).stdout) as { layers: { location: string; entries: number; bytes: number } };
  assert.equal(info.layers.location, join(cache, 'layers'));
  assert.equal(info.layers.entries, 2);
  assert.ok(info.layers.bytes > apk.length);
  const table = await runCli(['cache', 'info'], env);
  assert.match(table.stdout, /^Layers: +.*: .* in 2 layer analyses \(limit 512 MiB\)$/m);
  const clean = JSON.parse((await runCli(['cache', 'clean', '--format', 'json'], env)).stdout) as { layers: { removed: number; left: unknown } };
  assert.equal(clean.layers.removed, 2);
  assert.deepEqual(readdirSync(join(cache, 'layers')), []);

  // sbom uses the same cache: it fills it, and an SBOM made from the cache is the SBOM made without it.
  const sbom = async (extra: NodeJS.ProcessEnv): Promise<string> => {
    const r = await runCli(['sbom', app.name, '--format', 'cyclonedx', '-q'], extra);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { serialNumber?: string; metadata?: { timestamp?: string } };
    return JSON.stringify({ ...doc, serialNumber: '', metadata: { ...doc.metadata, timestamp: '' } });
  };
  const plain = await sbom(cacheEnv(cache, { PORTCULLIS_LAYER_CACHE: 'off' }));
  assert.equal(await sbom(env), plain);
  assert.equal(readdirSync(join(cache, 'layers')).length, 2, 'sbom recorded both layers');
  assert.equal(await sbom(env), plain, 'and the SBOM from the cache is the same');
});
