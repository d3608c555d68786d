/**
 * `portcullis serve` against real clients: skopeo pushes and pulls the peer
 * images (OCI and Docker schema 2, a multi-arch index), with basic auth from
 * an `htpasswd -B` file; portcullis' own client copies in and out; curl
 * observes mounts, ranges and error bodies on the wire.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HtpasswdAuthenticator } from '../../../src/server/auth/htpasswd.js';
import { runCli } from '../../support/cli.js';
import { buildLayout, writeBlob } from '../../support/oci-builder.js';
import { peerImages, runCommand, type PeerImages } from '../../support/peers.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../../support/registry-server.js';
import { skopeo, skopeoCopy, skopeoInspect, skopeoRaw } from '../../support/skopeo.js';

const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Every blob file of an OCI layout, by digest. */
async function layoutBlobs(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const hex of await readdir(join(dir, 'blobs', 'sha256'))) out.set(`sha256:${hex}`, await readFile(join(dir, 'blobs', 'sha256', hex)));
  return out;
}

/** curl with the last response's status, headers (lower-cased) and body. */
async function curl(args: readonly string[]): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-curl-'));
  const result = await runCommand('curl', ['-s', '-D', join(dir, 'headers'), '-o', join(dir, 'body'), ...args]);
  assert.equal(result.code, 0, result.stderr);
  const blocks = (await readFile(join(dir, 'headers'), 'utf8')).trim().split('\r\n\r\n');
  const [statusLine = '', ...lines] = (blocks[blocks.length - 1] ?? '').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = await readFile(join(dir, 'body'), 'utf8').catch(() => '');
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('real clients against portcullis serve', () => {
  let images: PeerImages;
  let registry: PortcullisRegistry;
  let work: string;
  before(async () => {
    images = await peerImages('all');
    registry = await startPortcullisRegistry();
    work = await mkdtemp(join(tmpdir(), 'portcullis-serve-clients-'));
  });
  after(() => registry?.close());

  test('skopeo: tiny OCI image in and back out, same manifest digest and layer bytes; inspect and list-tags', async () => {
    const source = images.tinyOci;
    const sourceDir = source.slice('oci:'.length, source.lastIndexOf(':'));
    const remote = `docker://${registry.host}/tiny/app:v1`;
    await skopeoCopy(source, remote);
    const raw = await skopeoRaw(remote);
    assert.equal(raw, await skopeoRaw(source), 'manifest bytes unchanged');
    const inspected = await skopeoInspect(remote);
    assert.equal(inspected.Digest, (await skopeoInspect(source)).Digest);
    const out = join(work, 'tiny-back');
    await skopeoCopy(remote, `oci:${out}:back`);
    assert.equal((await skopeoInspect(`oci:${out}:back`)).Digest, inspected.Digest);
    const original = await layoutBlobs(sourceDir);
    const back = await layoutBlobs(out);
    const manifest = JSON.parse(raw) as { config: { digest: string }; layers: Array<{ digest: string }> };
    for (const digest of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      assert.ok(back.get(digest)?.equals(original.get(digest) ?? Buffer.alloc(0)), `blob ${digest} identical`);
      assert.equal(sha256(back.get(digest) ?? ''), digest);
    }
    await skopeoCopy(source, `docker://${registry.host}/tiny/app:v2`);
    const tags = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', `docker://${registry.host}/tiny/app`])) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['v1', 'v2']);
  });

  test('skopeo: the real Debian image (OCI and Docker schema 2) round-trips with the same digests', async () => {
    const remote = `docker://${registry.host}/library/debian:bookworm`;
    await skopeoCopy(images.debianOci, remote);
    const original = await skopeoInspect(images.debianOci);
    assert.equal((await skopeoInspect(remote)).Digest, original.Digest);
    const out = join(work, 'debian-back');
    await skopeoCopy(remote, `oci:${out}:bookworm`);
    const back = await skopeoInspect(`oci:${out}:bookworm`);
    assert.equal(back.Digest, original.Digest);
    assert.deepEqual(back.Layers, original.Layers);
    const sourceDir = images.debianOci.slice('oci:'.length, images.debianOci.lastIndexOf(':'));
    const layer = original.Layers[0] ?? '';
    const hex = layer.slice('sha256:'.length);
    assert.ok((await readFile(join(out, 'blobs', 'sha256', hex))).equals(await readFile(join(sourceDir, 'blobs', 'sha256', hex))), 'layer bytes identical');

    const dockerRemote = `docker://${registry.host}/library/debian:docker`;
    await skopeoCopy(`docker-archive:${images.debianDockerArchive}`, dockerRemote);
    const raw = JSON.parse(await skopeoRaw(dockerRemote)) as { mediaType: string };
    assert.equal(raw.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    const dockerBack = join(work, 'debian-docker-back');
    await skopeoCopy(dockerRemote, `oci:${dockerBack}:x`, ['--preserve-digests']);
    // skopeo 1.9 cannot inspect a Docker-typed manifest in an OCI layout; its index names the digest.
    const backIndex = JSON.parse(await readFile(join(dockerBack, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    assert.equal(backIndex.manifests[0]?.digest, (await skopeoInspect(dockerRemote)).Digest);
    assert.equal(backIndex.manifests[0]?.digest, sha256(await skopeoRaw(dockerRemote)));
  });

  test('skopeo --all: a multi-arch OCI index is pushed and pulled whole', async () => {
    const dir = join(work, 'multi-src');
    const arches = ['amd64', 'arm64'];
    const children: Array<{ mediaType: string; digest: string; size: number; platform: { os: string; architecture: string } }> = [];
    for (const arch of arches) {
      const built = await buildLayout({
        dir,
        ref: arch,
        layers: [{ entries: [{ name: `etc/${arch}`, body: `built for ${arch}\n` }] }],
        config: { architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
      });
      const bytes = await readFile(built.blobPath(built.manifestDigest));
      children.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: built.manifestDigest, size: bytes.length, platform: { os: 'linux', architecture: arch } });
    }
    const indexBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: children }));
    const index = await writeBlob(dir, indexBytes);
    await writeFile(
      join(dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...index, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }] }),
    );
    const remote = `docker://${registry.host}/multi/arch:latest`;
    await skopeoCopy(`oci:${dir}:multi`, remote, ['--all']);
    const raw = await skopeoRaw(remote);
    assert.equal(sha256(raw), index.digest);
    const out = join(work, 'multi-back');
    await skopeoCopy(remote, `oci:${out}:multi`, ['--all']);
    const outIndex = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    assert.equal(outIndex.manifests[0]?.digest, index.digest);
    for (const child of children) assert.ok((await readdir(join(out, 'blobs', 'sha256'))).includes(child.digest.slice(7)));
    for (const arch of arches) {
      const picked = JSON.parse(await skopeo(['--override-arch', arch, '--override-os', 'linux', 'inspect', '--tls-verify=false', remote])) as { Architecture: string; Digest: string };
      assert.equal(picked.Architecture, arch);
      assert.equal(picked.Digest, index.digest, 'skopeo reports the index digest');
    }
  });

  test('portcullis copy pushes to and pulls from portcullis serve', async () => {
    const remote = `docker://${registry.host}/own/client:1`;
    const push = await runCli(['copy', images.tinyOci, remote, '--dest-tls-verify=false', '-q', '--format', 'json']);
    assert.equal(push.code, 0, push.stderr);
    const pushed = (JSON.parse(push.stdout) as { digest: string }).digest;
    assert.equal(pushed, (await skopeoInspect(images.tinyOci)).Digest);
    const out = join(work, 'own-back');
    const pull = await runCli(['copy', remote, `oci:${out}:1`, '--src-tls-verify=false', '-q', '--format', 'json']);
    assert.equal(pull.code, 0, pull.stderr);
    assert.equal((JSON.parse(pull.stdout) as { digest: string }).digest, pushed);
    assert.equal((await skopeoInspect(`oci:${out}:1`)).Digest, pushed);
  });

  test('curl: cross-repository mount, ranges, error bodies', async () => {
    await skopeoCopy(images.tinyOci, `docker://${registry.host}/mount/src:1`);
    const manifest = JSON.parse(await skopeoRaw(`docker://${registry.host}/mount/src:1`)) as { layers: Array<{ digest: string; size: number }> };
    const layer = manifest.layers[0];
    assert.ok(layer);
    const mount = await curl(['-X', 'POST', `${registry.url}/v2/mount/dst/blobs/uploads/?mount=${layer.digest}&from=mount/src`]);
    assert.equal(mount.status, 201);
    assert.equal(mount.headers.location, `/v2/mount/dst/blobs/${layer.digest}`);
    assert.equal(mount.headers['docker-content-digest'], layer.digest);
    const head = await curl(['-I', `${registry.url}/v2/mount/dst/blobs/${layer.digest}`]);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(layer.size));
    const fallback = await curl(['-X', 'POST', `${registry.url}/v2/mount/other/blobs/uploads/?mount=${layer.digest}&from=not/there`]);
    assert.equal(fallback.status, 202);
    assert.match(fallback.headers.location ?? '', /^\/v2\/mount\/other\/blobs\/uploads\/[A-Za-z0-9_-]+$/);

    const ranged = await runCommand('curl', ['-s', '-r', '0-9', '-D', '-', '-o', join(work, 'range.bin'), `${registry.url}/v2/mount/src/blobs/${layer.digest}`]);
    assert.match(ranged.stdout, /^HTTP\/1\.1 206/);
    assert.match(ranged.stdout, new RegExp(`content-range: bytes 0-9/${layer.size}`, 'i'));
    const part = await readFile(join(work, 'range.bin'));
    const whole = await runCommand('curl', ['-s', '-o', join(work, 'whole.bin'), `${registry.url}/v2/mount/src/blobs/${layer.digest}`]);
    assert.equal(whole.code, 0);
    const wholeBytes = await readFile(join(work, 'whole.bin'));
    assert.equal(sha256(wholeBytes), layer.digest);
    assert.ok(part.equals(wholeBytes.subarray(0, 10)));
    const bad = await curl(['-H', `Range: bytes=${layer.size}-`, `${registry.url}/v2/mount/src/blobs/${layer.digest}`]);
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], `bytes */${layer.size}`);
    assert.equal((JSON.parse(bad.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'RANGE_INVALID');

    const unknown = await curl([`${registry.url}/v2/mount/src/manifests/nope`]);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers['docker-distribution-api-version'], 'registry/2.0');
    const body = JSON.parse(unknown.body) as { errors: Array<{ code: string; message: string; detail: unknown }> };
    assert.equal(body.errors[0]?.code, 'MANIFEST_UNKNOWN');
    const badName = await curl([`${registry.url}/v2/UPPER/tags/list`]);
    assert.equal(badName.status, 400);
    assert.equal((JSON.parse(badName.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'NAME_INVALID');
    const huge = join(work, 'huge.json');
    await writeFile(huge, `{"schemaVersion":2,"pad":"${'x'.repeat(5 * 1024 * 1024)}"}`);
    const tooBig = await curl(['-X', 'PUT', '-H', 'Content-Type: application/vnd.oci.image.manifest.v1+json', '--data-binary', `@${huge}`, `${registry.url}/v2/mount/src/manifests/huge`]);
    assert.equal(tooBig.status, 413);
    assert.equal((JSON.parse(tooBig.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'SIZE_INVALID');
  });

  test('a truncated upload body (client hangs up before Content-Length) stores nothing', async () => {
    const started = await curl(['-X', 'POST', `${registry.url}/v2/trunc/app/blobs/uploads/`]);
    const location = started.headers.location ?? '';
    const { port } = new URL(registry.url);
    await new Promise<void>((resolveDone, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`PATCH ${location} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n`);
        socket.write(Buffer.alloc(5000, 1));
        setImmediate(() => socket.destroy());
      });
      socket.on('close', () => resolveDone());
      socket.on('error', reject);
    });
    // The server notices the hang-up and puts the upload back as it was.
    let range = '';
    for (let i = 0; i < 50; i++) {
      range = (await curl([`${registry.url}${location}`])).headers.range ?? '';
      if (range === '0-0') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(range, '0-0');
    const wrongLength = await curl(['-X', 'POST', '-H', 'Content-Type: application/octet-stream', '--data-binary', 'short', `${registry.url}/v2/trunc/app/blobs/uploads/?digest=${sha256('longer content')}`]);
    assert.equal(wrongLength.status, 400);
    assert.equal((JSON.parse(wrongLength.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'DIGEST_INVALID');
    const head = await curl(['-I', `${registry.url}/v2/trunc/app/blobs/${sha256('short')}`]);
    assert.equal(head.status, 404);
  });
});

describe('basic auth from an htpasswd -B file', () => {
  let registry: PortcullisRegistry;
  let images: PeerImages;
  before(async () => {
    images = await peerImages('tiny');
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-serve-auth-'));
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'htpasswd');
    const made = await runCommand('htpasswd', ['-B', '-C', '5', '-b', '-c', file, 'alice', 'alice-secret']);
    assert.equal(made.code, 0, made.stderr);
    registry = await startPortcullisRegistry({ auth: await HtpasswdAuthenticator.load(file, { anonymousPull: true }) });
  });
  after(() => registry?.close());

  test('skopeo pushes with --dest-creds; without credentials the push is refused; anonymous pull works', async () => {
    const remote = `docker://${registry.host}/secure/app:1`;
    const refused = await runCommand('skopeo', ['copy', '-q', '--dest-tls-verify=false', images.tinyOci, remote]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /unauthorized|authentication required/i);
    const wrong = await runCommand('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-creds', 'alice:wrong', images.tinyOci, remote]);
    assert.notEqual(wrong.code, 0);
    await skopeoCopy(images.tinyOci, remote, ['--dest-creds', 'alice:alice-secret']);
    assert.equal((await skopeoInspect(remote)).Digest, (await skopeoInspect(images.tinyOci)).Digest);
    const challenge = await curl(['-X', 'POST', `${registry.url}/v2/secure/app/blobs/uploads/`]);
    assert.equal(challenge.status, 401);
    assert.equal(challenge.headers['www-authenticate'], 'Basic realm="portcullis"');
    assert.equal((JSON.parse(challenge.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNAUTHORIZED');
  });
});
