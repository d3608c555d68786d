/**
 * The registry client against a real docker-registry 2.8 (anonymous, plain
 * HTTP with tlsVerify false): push and pull of the peers' tiny image checked
 * with skopeo, HEAD/GET/DELETE of manifests, tag pagination, chunked upload,
 * cross-repository mount, the referrers tag-schema fallback, 404s, and
 * tampering with the registry's stored blobs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { digestHex, sha256Digest, type Digest } from '../../../../src/core/digest.js';
import { MediaType } from '../../../../src/core/media-types.js';
import { DockerTransport } from '../../../../src/image/transports/docker/transport.js';
import { RegistryClient } from '../../../../src/image/transports/docker/client.js';
import { DockerImageDestination } from '../../../../src/image/transports/docker/destination.js';
import { referrersTag } from '../../../../src/image/transports/docker/referrers.js';
import type { SystemContext } from '../../../../src/image/types.js';
import { peerImages, runCommand, startRegistry, type RegistryPeer } from '../../../support/peers.js';
import { blobPath, caught, drain, pushLayout, readLayout, type Layout } from './helpers.js';

let peer: RegistryPeer;
let layout: Layout;
let home: string;
let context: SystemContext;
const transport = new DockerTransport();

async function client(onAttempt?: (method: string, url: URL) => void): Promise<RegistryClient> {
  return RegistryClient.create({ registry: peer.host, tlsVerify: false, ...(onAttempt ? { onAttempt } : {}) });
}

function storedBlob(digest: Digest): string {
  const hex = digestHex(digest);
  return join(peer.data, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

before(async () => {
  const images = await peerImages('tiny');
  layout = await readLayout(images.tinyOci);
  peer = await startRegistry();
  home = await mkdtemp(join(tmpdir(), 'portcullis-reg-'));
  context = { tlsVerify: false, env: { HOME: home, PATH: process.env.PATH ?? '' } };
  const pushed = await runCommand('skopeo', ['copy', '--dest-tls-verify=false', images.tinyOci, `docker://${peer.host}/peers/tiny:latest`]);
  assert.equal(pushed.code, 0, pushed.stderr);
});

after(async () => {
  await peer?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('docker transport against docker-registry', () => {
  it('pulls an image skopeo pushed, every blob verified and byte-identical', async () => {
    const source = await transport.parseReference(`${peer.host}/peers/tiny:latest`).newSource(context);
    try {
      const manifest = await source.getManifest();
      assert.equal(manifest.digest, layout.manifest.digest);
      assert.equal(manifest.mediaType, MediaType.OciManifest);
      assert.deepEqual(manifest.bytes, layout.manifest.bytes);
      const byDigest = await source.getManifest(layout.manifest.digest);
      assert.deepEqual(byDigest.bytes, layout.manifest.bytes);
      for (const blob of layout.blobs) {
        const bytes = await drain(await source.getBlob(blob));
        assert.equal(bytes.length, blob.size);
        assert.deepEqual(bytes, await readFile(blobPath(layout.dir, blob.digest)));
      }
    } finally {
      await source.close();
    }
  });

  it('pushes an image that skopeo then reads back and copies (verifying every blob)', async () => {
    const ref = transport.parseReference(`${peer.host}/ours/tiny:v1`);
    const destination = await ref.newDestination(context);
    try {
      await pushLayout(destination, layout);
    } finally {
      await destination.close();
    }
    const raw = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${peer.host}/ours/tiny:v1`]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, layout.manifest.bytes.toString('utf8'));
    const out = await mkdtemp(join(tmpdir(), 'portcullis-skopeo-'));
    try {
      const copy = await runCommand('skopeo', ['copy', '--src-tls-verify=false', `docker://${peer.host}/ours/tiny:v1`, `oci:${out}:x`]);
      assert.equal(copy.code, 0, copy.stderr);
      for (const blob of layout.blobs) assert.equal((await stat(blobPath(out, blob.digest))).size, blob.size);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('skips blobs the registry already has (HEAD) and starts no upload', async () => {
    const attempts: string[] = [];
    const c = await client((method, url) => attempts.push(`${method} ${url.pathname}`));
    const ref = transport.parseReference(`${peer.host}/ours/tiny:v2`);
    const destination = new DockerImageDestination(ref, ref.ref, c);
    try {
      await pushLayout(destination, layout);
    } finally {
      await destination.close();
    }
    assert.equal(attempts.filter((a) => a.startsWith('POST')).length, 0, attempts.join('\n'));
    assert.equal(attempts.filter((a) => a.startsWith('HEAD') && a.includes('/blobs/')).length, layout.blobs.length);
    assert.ok(attempts.includes(`PUT /v2/ours/tiny/manifests/v2`));
  });

  it('HEADs, fetches by digest and deletes a manifest', async () => {
    const c = await client();
    try {
      const head = await c.headManifest('ours/tiny', 'v1');
      assert.equal(head?.digest, layout.manifest.digest);
      assert.equal(head?.size, layout.manifest.bytes.length);
      assert.equal(await c.headManifest('ours/tiny', 'nope'), undefined);
      await c.putManifest('ours/gone', 'x', layout.manifest).catch(() => undefined); // blobs unknown there: rejected
      const del = await c.putManifest('ours/tiny', 'to-delete', layout.manifest);
      assert.equal(del.digest, layout.manifest.digest);
      await c.deleteManifest('ours/tiny', layout.manifest.digest);
      const error = await caught(() => c.getManifest('ours/tiny', layout.manifest.digest));
      assert.equal(error.code, 'MANIFEST_UNKNOWN');
      // Put it back for the other tests.
      await c.putManifest('ours/tiny', 'v1', layout.manifest);
    } finally {
      await c.close();
    }
  });

  it('rejects a manifest whose blobs the repository lacks (REJECTED, from MANIFEST_BLOB_UNKNOWN)', async () => {
    const c = await client();
    try {
      const error = await caught(() => c.putManifest('ours/empty', 'x', layout.manifest));
      assert.equal(error.code, 'REJECTED');
      assert.match(error.message, /MANIFEST_BLOB_UNKNOWN/);
    } finally {
      await c.close();
    }
  });

  it('lists all tags, and pages the catalog with n=2 following Link', async () => {
    const attempts: string[] = [];
    const c = await client((method, url) => attempts.push(`${method} ${url.pathname}${url.search}`));
    try {
      const tags = ['t1', 't2', 't3', 't4', 't5'];
      for (const tag of tags) await c.putManifest('peers/tiny', tag, layout.manifest);
      // docker-registry 2.8 ignores n= on tags/list (no Link): the client still gets every tag.
      const all = await c.listTags('peers/tiny', { pageSize: 2 });
      assert.deepEqual([...all].sort(), ['latest', ...tags].sort());
      assert.ok(attempts.includes('GET /v2/peers/tiny/tags/list?n=2'));
      // Its catalog does paginate: follow Link until it stops. Tag pagination is proven against a stub in http.test.ts.
      for (const repo of ['cat/a', 'cat/b', 'cat/c']) await c.putBlob(repo, layout.blobs[0]!, await readFile(blobPath(layout.dir, layout.blobs[0]!.digest)));
      for (const repo of ['cat/a', 'cat/b', 'cat/c']) await c.putManifest(repo, 'x', { ...layout.manifest }).catch(() => undefined);
      const pages: string[][] = [];
      for await (const page of c.catalogPages({ pageSize: 2 })) pages.push(page);
      assert.ok(pages.length >= 3, JSON.stringify(pages));
      for (const page of pages) assert.ok(page.length <= 2, JSON.stringify(pages));
      const repos = pages.flat();
      assert.equal(new Set(repos).size, repos.length, 'no repository twice');
      for (const repo of ['peers/tiny', 'ours/tiny', 'cat/a', 'cat/b', 'cat/c']) assert.ok(repos.includes(repo), `${repo} in ${JSON.stringify(repos)}`);
      assert.ok(attempts.some((a) => a.startsWith('GET /v2/_catalog?last=')), attempts.join('\n'));
    } finally {
      await c.close();
    }
  });

  it('uploads a blob in PATCH chunks with Content-Range, then PUT', async () => {
    const methods: string[] = [];
    const c = await client((method) => methods.push(method));
    const data = randomBytes(300 * 1024 + 17);
    const descriptor = { mediaType: 'application/octet-stream', digest: sha256Digest(data), size: data.length };
    try {
      await c.putBlob('ours/chunked', descriptor, data, { chunkSize: 64 * 1024 });
      assert.equal(methods.filter((m) => m === 'PATCH').length, 5);
      assert.equal(methods.filter((m) => m === 'PUT').length, 1);
      assert.equal((await c.headBlob('ours/chunked', descriptor.digest))?.size, data.length);
      assert.deepEqual(await drain(await c.getBlob('ours/chunked', descriptor)), data);
      assert.deepEqual(await readFile(storedBlob(descriptor.digest)), data);
    } finally {
      await c.close();
    }
  });

  it('fails an upload whose bytes do not match the descriptor and stores nothing', async () => {
    const c = await client();
    const data = randomBytes(4096);
    const descriptor = { mediaType: 'application/octet-stream', digest: sha256Digest('something else'), size: data.length };
    try {
      const error = await caught(() => c.putBlob('ours/bad', descriptor, data));
      assert.equal(error.code, 'DIGEST_MISMATCH');
      const streamed = await caught(() => c.putBlob('ours/bad', descriptor, Readable.from([data])));
      assert.equal(streamed.code, 'DIGEST_MISMATCH', streamed.message);
      assert.equal(await c.headBlob('ours/bad', descriptor.digest), undefined);
    } finally {
      await c.close();
    }
  });

  it('mounts a blob from another repository (201) without uploading it', async () => {
    const methods: string[] = [];
    const c = await client((method, url) => methods.push(`${method} ${url.pathname}${url.search}`));
    const layer = layout.parsed.layers[0]!;
    try {
      assert.equal(await c.headBlob('mounted/here', layer.digest), undefined);
      assert.equal(await c.mountBlob('mounted/here', layer.digest, 'peers/tiny'), true);
      assert.equal((await c.headBlob('mounted/here', layer.digest))?.size, layer.size);
      assert.equal(methods.filter((m) => m.startsWith('PUT') || m.startsWith('PATCH')).length, 0, methods.join('\n'));
      assert.ok(methods.some((m) => m.startsWith('POST /v2/mounted/here/blobs/uploads/') && m.includes('mount=') && m.includes('from=peers%2Ftiny')));
      // Mounting from a repository without the blob: no mount, and the upload session is cancelled.
      assert.equal(await c.mountBlob('mounted/other', sha256Digest('absent'), 'peers/tiny'), false);
    } finally {
      await c.close();
    }
  });

  it('lists referrers through the tag-schema fallback after pushing a manifest with a subject', async () => {
    const c = await client();
    const empty = Buffer.from('{}');
    const emptyDesc = { mediaType: MediaType.OciEmpty, digest: sha256Digest(empty), size: empty.length };
    const payload = Buffer.from('{"predicate":"signed-ish"}');
    const payloadDesc = { mediaType: 'application/vnd.example.payload+json', digest: sha256Digest(payload), size: payload.length };
    const subject = { mediaType: layout.manifest.mediaType, digest: layout.manifest.digest, size: layout.manifest.bytes.length };
    const artifact = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType: 'application/vnd.example.sig',
        config: emptyDesc,
        layers: [payloadDesc],
        subject,
        annotations: { 'org.example.note': 'hello' },
      }),
    );
    const artifactDigest = sha256Digest(artifact);
    try {
      assert.deepEqual(await c.referrers('peers/tiny', layout.manifest.digest), []);
      await c.putBlob('peers/tiny', emptyDesc, empty);
      await c.putBlob('peers/tiny', payloadDesc, payload);
      const put = await c.putManifest('peers/tiny', artifactDigest, { bytes: artifact, mediaType: MediaType.OciManifest });
      assert.equal(put.subjectHandled, false, 'docker-registry 2.8 has no referrers support');
      const listed = await c.referrers('peers/tiny', layout.manifest.digest);
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.digest, artifactDigest);
      assert.equal(listed[0]?.artifactType, 'application/vnd.example.sig');
      assert.equal(listed[0]?.annotations?.['org.example.note'], 'hello');
      assert.equal((await c.referrers('peers/tiny', layout.manifest.digest, { artifactType: 'application/vnd.example.sig' })).length, 1);
      assert.equal((await c.referrers('peers/tiny', layout.manifest.digest, { artifactType: 'application/vnd.other' })).length, 0);
      // Pushing it again does not list it twice.
      await c.putManifest('peers/tiny', artifactDigest, { bytes: artifact, mediaType: MediaType.OciManifest });
      assert.equal((await c.referrers('peers/tiny', layout.manifest.digest)).length, 1);
      const raw = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${peer.host}/peers/tiny:${referrersTag(layout.manifest.digest)}`]);
      assert.equal(raw.code, 0, raw.stderr);
      assert.equal((JSON.parse(raw.stdout) as { manifests: { digest: string }[] }).manifests[0]?.digest, artifactDigest);
    } finally {
      await c.close();
    }
  });

  it('speaks only https when tlsVerify is on: a plain-http registry is a TLS failure that says so', async () => {
    const c = await RegistryClient.create({ registry: peer.host, retries: 0, tlsVerify: true });
    try {
      const error = await caught(() => c.getManifest('peers/tiny', 'latest'));
      assert.equal(error.code, 'TLS');
      assert.equal(error.message, `registry ${peer.host}: the server answered HTTP to an HTTPS request; use --tls-verify=false for this registry`);
    } finally {
      await c.close();
    }
  });

  it('tlsVerify unset on a loopback registry: https first, plain http when answered in http, with one warning', async () => {
    const warnings: string[] = [];
    const c = await RegistryClient.create({ registry: peer.host, retries: 0, onWarning: (m) => warnings.push(m) });
    try {
      const manifest = await c.getManifest('peers/tiny', 'latest');
      assert.equal(manifest.digest, layout.manifest.digest);
      assert.equal((await c.baseUrl()).protocol, 'http:');
      await c.getManifest('peers/tiny', 'latest');
      assert.deepEqual(warnings, [`registry ${peer.host} answered HTTP, not HTTPS: using plain HTTP, as for every loopback registry (--tls-verify=true refuses it)`]);
    } finally {
      await c.close();
    }
  });

  it('answers 404s with NOT_FOUND / MANIFEST_UNKNOWN / BLOB_UNKNOWN', async () => {
    const c = await client();
    try {
      const missingTag = await caught(() => c.getManifest('peers/tiny', 'no-such-tag'));
      assert.equal(missingTag.code, 'MANIFEST_UNKNOWN');
      const missingRepo = await caught(() => c.getManifest('no/such/repo', 'latest'));
      assert.ok(missingRepo.code === 'NOT_FOUND' || missingRepo.code === 'MANIFEST_UNKNOWN', missingRepo.code);
      const tags = await caught(() => c.listTags('no/such/repo'));
      assert.equal(tags.code, 'NOT_FOUND');
      const blob = await caught(() => c.getBlob('peers/tiny', { digest: sha256Digest('nothing'), size: 7 }));
      assert.equal(blob.code, 'BLOB_UNKNOWN');
      const viaTransport = await caught(async () => {
        const source = await transport.parseReference(`${peer.host}/peers/tiny:missing`).newSource(context);
        try {
          await source.getManifest();
        } finally {
          await source.close();
        }
      });
      assert.equal(viaTransport.code, 'MANIFEST_UNKNOWN');
    } finally {
      await c.close();
    }
  });

  it('fails with DIGEST_MISMATCH when a stored layer was tampered with (same size)', async () => {
    const layer = layout.parsed.layers[1]!; // small layer, its own repo copy is shared storage
    const file = storedBlob(layer.digest);
    const original = await readFile(file);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0xff;
    await writeFile(file, tampered);
    const c = await client();
    try {
      const stream = await c.getBlob('peers/tiny', layer);
      const error = await caught(() => drain(stream));
      assert.equal(error.code, 'DIGEST_MISMATCH');
    } finally {
      await writeFile(file, original);
      await c.close();
    }
  });

  it('fails when a stored layer was cut short or has bytes prepended', async () => {
    const layer = layout.parsed.layers[2]!;
    const file = storedBlob(layer.digest);
    const original = await readFile(file);
    const c = await client();
    try {
      await writeFile(file, original.subarray(0, original.length - 10));
      const short = await caught(async () => drain(await c.getBlob('peers/tiny', layer)));
      assert.equal(short.code, 'TRUNCATED', short.message);
      await writeFile(file, Buffer.concat([Buffer.from('junk'), original]));
      const longer = await caught(async () => drain(await c.getBlob('peers/tiny', layer)));
      assert.ok(['DIGEST_MISMATCH', 'SIZE_MISMATCH'].includes(longer.code ?? ''), `${longer.code}: ${longer.message}`);
    } finally {
      await writeFile(file, original);
      await c.close();
    }
  });

  it('fails with DIGEST_MISMATCH for a tampered manifest, by digest and by tag', async () => {
    const file = storedBlob(layout.manifest.digest);
    const original = await readFile(file);
    await writeFile(file, Buffer.from(original.toString('utf8').replace('"schemaVersion":2', '"schemaVersion":2 ')));
    const c = await client();
    try {
      const byDigest = await caught(() => c.getManifest('peers/tiny', layout.manifest.digest));
      assert.equal(byDigest.code, 'DIGEST_MISMATCH');
      const byTag = await caught(() => c.getManifest('peers/tiny', 'latest'));
      assert.equal(byTag.code, 'DIGEST_MISMATCH');
    } finally {
      await writeFile(file, original);
      await c.close();
    }
  });
});
