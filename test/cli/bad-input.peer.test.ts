/**
 * Every bad input of issue 2 gets one line on stderr naming the problem, a
 * documented exit code (docs/exit-codes.md), and leaves nothing half-written.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildLayout, compress, tarOf } from '../support/oci-builder.js';
import { runCli, type CliResult } from '../support/cli.js';
import { freePort, peerImages, startRegistry, type PeerImages, type RegistryPeer } from '../support/peers.js';
import { skopeoCopy } from '../support/skopeo.js';
import { startStub } from '../support/http-stub.js';

let images: PeerImages;
let registry: RegistryPeer;
let authRegistry: RegistryPeer;
let work: string;

before(async () => {
  images = await peerImages('tiny');
  registry = await startRegistry();
  authRegistry = await startRegistry({ auth: true });
  work = await mkdtemp(join(tmpdir(), 'portcullis-bad-'));
});

after(async () => {
  await registry?.stop();
  await authRegistry?.stop();
});

function assertFails(result: CliResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${result.stderr}`);
  assert.match(lines[0] ?? '', /^portcullis: /);
  assert.match(lines[0] ?? '', pattern);
}

/** inspect with --verify-layers: every layer is read, so hostile and broken layers are met. */
const inspect = (name: string, ...flags: string[]): Promise<CliResult> => runCli(['inspect', name, '-q', '--tls-verify=false', '--verify-layers', ...flags]);

describe('registry failures', () => {
  test('unreachable registry → 5', async () => {
    const port = await freePort();
    assertFails(await inspect(`docker://127.0.0.1:${port}/x/y:1`), 5, /127\.0\.0\.1/);
  });

  test('no credentials and wrong credentials → 4', async () => {
    await skopeoCopy(images.tinyOci, `docker://${authRegistry.host}/x/tiny:1`, [`--dest-creds=${authRegistry.user}:${authRegistry.password}`]);
    const empty = join(work, 'empty-auth.json');
    await writeFile(empty, '{"auths":{}}');
    assertFails(await inspect(`docker://${authRegistry.host}/x/tiny:1`, '--authfile', empty), 4, /unauthorized|authentication/i);
    const wrong = await inspect(`docker://${authRegistry.host}/x/tiny:1`, '--creds', `${authRegistry.user}:not-the-password`);
    assertFails(wrong, 4, /unauthorized|authentication/i);
    assert.doesNotMatch(wrong.stderr, /not-the-password/, 'the password is never echoed');
    const right = await inspect(`docker://${authRegistry.host}/x/tiny:1`, '--creds', `${authRegistry.user}:${authRegistry.password}`, '--no-measure');
    assert.equal(right.code, 0, right.stderr);
  });

  test('a registry that forbids the repository (403) → 4', async () => {
    const stub = await startStub((req, res) => {
      res.statusCode = req.url === '/v2/' ? 200 : 403;
      res.setHeader('Content-Type', 'application/json');
      res.end(req.url === '/v2/' ? '{}' : JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }));
    });
    try {
      assertFails(await inspect(`docker://${stub.host}/private/app:1`), 4, /denied/i);
    } finally {
      await stub.close();
    }
  });

  test('missing repository or tag → 3', async () => {
    assertFails(await inspect(`docker://${registry.host}/no/such:repo`), 3, /no\/such/);
    await skopeoCopy(images.tinyOci, `docker://${registry.host}/has/tiny:1`);
    assertFails(await inspect(`docker://${registry.host}/has/tiny:404`), 3, /404|not found|unknown/i);
  });

  test('a manifest whose bytes do not match the digest asked for → 6', async () => {
    await skopeoCopy(images.tinyOci, `docker://${registry.host}/tamper/manifest:1`);
    const ok = await runCli(['inspect', `docker://${registry.host}/tamper/manifest:1`, '--format', 'json', '--no-measure', '--tls-verify=false']);
    const digest = (JSON.parse(ok.stdout) as { digest: string }).digest;
    const hex = digest.slice('sha256:'.length);
    const data = join(registry.data, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const original = await readFile(data, 'utf8');
    await writeFile(data, original.replace('"schemaVersion":2', '"schemaVersion": 2'));
    try {
      assertFails(await inspect(`docker://${registry.host}/tamper/manifest@${digest}`, '--no-measure'), 6, /digest/i);
    } finally {
      await writeFile(data, original); // the blob store is shared by every repository of this registry
    }
  });

  test('a corrupted blob in the registry → 6', async () => {
    await skopeoCopy(images.tinyOci, `docker://${registry.host}/tamper/blob:1`);
    const ok = await runCli(['inspect', `docker://${registry.host}/tamper/blob:1`, '--format', 'json', '--no-measure', '--tls-verify=false']);
    const layer = (JSON.parse(ok.stdout) as { layers: Array<{ digest: string }> }).layers[2]?.digest ?? '';
    const hex = layer.slice('sha256:'.length);
    const data = join(registry.data, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const original = await readFile(data);
    const bytes = Buffer.from(original);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    await writeFile(data, bytes);
    const cache = await mkdtemp(join(tmpdir(), 'portcullis-cache-'));
    try {
      assertFails(await runCli(['inspect', `docker://${registry.host}/tamper/blob:1`, '-q', '--tls-verify=false', '--verify-layers'], { PORTCULLIS_CACHE_DIR: cache }), 6, /digest|corrupt|crc|checksum/i);
    } finally {
      await writeFile(data, original);
    }
    // Nothing unverified entered the cache.
    const cached = readdirSync(cache, { recursive: true }).map(String);
    assert.ok(!cached.some((p) => p.endsWith(hex)), 'the corrupted blob is not cached');
  });
});

describe('local files', () => {
  test('a truncated blob → 6', async () => {
    const layout = await buildLayout({ layers: [{ entries: [{ name: 'a.txt', body: 'x'.repeat(5000) }] }] });
    const layer = (layout.manifest.layers as Array<{ digest: string; size: number }>)[0];
    await truncate(layout.blobPath(layer?.digest ?? ''), 10);
    assertFails(await inspect(layout.name), 6, /truncated|digest|size/i);
  });

  test('truncated gzip and zstd streams → 6', async () => {
    for (const how of ['gzip', 'zstd'] as const) {
      const tar = await tarOf([{ name: 'big.bin', body: Buffer.alloc(200_000, 7) }]);
      const full = compress(tar, how);
      const layout = await buildLayout({ layers: [{ raw: full.subarray(0, Math.floor(full.length / 2)), compression: how }] });
      assertFails(await inspect(layout.name), 6, new RegExp(`${how}|truncated|unexpected end`, 'i'));
    }
  });

  test('tar entries with .. or absolute paths → 6', async () => {
    for (const name of ['../escape.txt', 'etc/../../escape.txt', '/etc/absolute.txt']) {
      const layout = await buildLayout({ layers: [{ entries: [{ name, body: 'x' }] }] });
      assertFails(await inspect(layout.name), 6, /unsafe|\.\.|absolute/i);
    }
  });

  test('a hard link escaping the root → 6', async () => {
    const layout = await buildLayout({
      layers: [{ entries: [{ name: 'ok.txt', body: 'x' }, { name: 'link', type: 'link', linkname: '../../etc/shadow' }] }],
    });
    assertFails(await inspect(layout.name), 6, /link|unsafe|escape/i);
  });

  test('a diffID that does not match the layer → 6', async () => {
    const layout = await buildLayout({ layers: [{ entries: [{ name: 'a', body: 'a' }], diffId: `sha256:${'0'.repeat(64)}` }] });
    assertFails(await inspect(layout.name), 6, /diff/i);
  });

  test('a symlink loop → 6; a file over the cap → 7; a missing or deleted file → 3', async () => {
    const layout = await buildLayout({
      layers: [
        {
          entries: [
            { name: 'loop/a', type: 'symlink', linkname: 'b' },
            { name: 'loop/b', type: 'symlink', linkname: '/loop/a' },
            { name: 'big.bin', body: Buffer.alloc(300_000, 1) },
            { name: 'gone.txt', body: 'deleted later' },
            { name: 'escape', type: 'symlink', linkname: '../../../../etc/hostname' },
          ],
        },
        { entries: [{ name: '.wh.gone.txt', body: '' }] },
      ],
    });
    assertFails(await runCli(['cat', layout.name, '/loop/a', '-q']), 6, /loop/i);
    assertFails(await runCli(['cat', layout.name, '/big.bin', '--max-size', '100k', '-q']), 7, /300000|cap|large/i);
    assertFails(await runCli(['cat', layout.name, '/gone.txt', '-q']), 3, /does not exist/);
    // A link that climbs out of the root stays inside it (chroot semantics): the host's file is never read.
    assertFails(await runCli(['cat', layout.name, '/escape', '-q']), 3, /does not exist/);
    const big = await runCli(['cat', layout.name, '/big.bin', '-q']);
    assert.equal(big.code, 0, big.stderr);
    assert.equal(big.stdout.length, 300_000);
  });

  test('an oversized manifest (> 4 MiB) → 7', async () => {
    const big = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [], annotations: { pad: 'x'.repeat(4 * 1024 * 1024 + 10) } }));
    const layout = await buildLayout({ layers: [], rawManifest: big });
    assertFails(await inspect(layout.name), 7, /4194304|too large|limit/i);
  });

  test('a schema 1 manifest → 7 with "unsupported"', async () => {
    const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [], history: [] }));
    const layout = await buildLayout({ layers: [], rawManifest: schema1, manifestMediaType: 'application/vnd.docker.distribution.manifest.v1+json' });
    assertFails(await inspect(layout.name), 7, /schema 1.*unsupported|unsupported.*schema 1/i);
  });

  test('unknown manifest and layer media types → 7', async () => {
    const odd = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example.thing.v1+json', items: [] }));
    const layout = await buildLayout({ layers: [], rawManifest: odd, manifestMediaType: 'application/vnd.example.thing.v1+json' });
    assertFails(await inspect(layout.name), 7, /media type/i);
    const oddLayer = await buildLayout({ layers: [{ entries: [{ name: 'a', body: 'a' }], mediaType: 'application/vnd.example.blob' }] });
    assertFails(await inspect(oddLayer.name), 7, /application\/vnd\.example\.blob/);
  });

  test('malformed references → 2', async () => {
    for (const name of ['docker://UPPER.example/Bad/Name', 'docker:/missing-slashes', 'alpine:', 'nosuchtransport:/tmp/x']) {
      assertFails(await inspect(name), 2, /invalid|unknown transport/i);
    }
  });

  test('a docker-archive without the requested tag → 3', async () => {
    assertFails(await inspect(`docker-archive:${images.tinyDockerArchive}:peers/tiny:nope`), 3, /nope/);
  });

  test('malformed JSON in a layout → 7', async () => {
    const layout = await buildLayout({ layers: [{ entries: [{ name: 'a', body: 'a' }] }] });
    await writeFile(join(layout.dir, 'index.json'), '{"schemaVersion": 2, "manifests": [');
    assertFails(await inspect(layout.name), 7, /json/i);
  });

  test('a copy that fails leaves no destination behind', async () => {
    const layout = await buildLayout({ layers: [{ entries: [{ name: 'a.txt', body: 'y'.repeat(3000) }] }] });
    const layer = (layout.manifest.layers as Array<{ digest: string }>)[0];
    const path = layout.blobPath(layer?.digest ?? '');
    const bytes = await readFile(path);
    bytes[bytes.length - 12] = (bytes[bytes.length - 12] ?? 0) ^ 0xff;
    await writeFile(path, bytes);
    for (const dest of [`oci-archive:${join(work, 'half.tar')}`, `docker-archive:${join(work, 'half-docker.tar')}`]) {
      const result = await runCli(['copy', layout.name, dest, '-q']);
      assert.equal(result.code, 6, result.stderr);
      assert.deepEqual(readdirSync(work).filter((f) => f.startsWith('half')), [], 'no partial archive');
    }
    const target = join(work, 'half-layout');
    const result = await runCli(['copy', layout.name, `oci:${target}:x`, '-q']);
    assert.equal(result.code, 6, result.stderr);
    const leftovers = existsSync(target)
      ? readdirSync(target, { recursive: true }).map(String).filter((p) => statSync(join(target, p)).isFile() && p.startsWith('blobs'))
      : [];
    assert.ok(!leftovers.some((p) => p.endsWith(layer?.digest.slice(7) ?? 'none')), 'the bad blob was not stored');
    await rm(target, { recursive: true, force: true });
  });
});
