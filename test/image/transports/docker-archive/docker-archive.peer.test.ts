import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { sha256Digest } from '../../../../src/core/digest.js';
import { MediaType } from '../../../../src/core/media-types.js';
import { parseManifest } from '../../../../src/core/oci.js';
import { copyImage } from '../../../../src/image/copy.js';
import { DockerArchiveWriter } from '../../../../src/image/transports/docker-archive/destination.js';
import { dockerArchiveTransport, DockerArchiveReference } from '../../../../src/image/transports/docker-archive/transport.js';
import { ociLayoutTransport } from '../../../../src/image/transports/oci-layout/transport.js';
import { parseImageRef } from '../../../../src/core/reference.js';
import { peerImages, type PeerImages } from '../../../support/peers.js';
import { makeTar, MemorySource, readAll, rejectsWithCode, skopeo, tempDir } from '../local/helpers.js';

let images: PeerImages;
before(async () => {
  images = await peerImages('all');
});

/** A one-file layer tar, its diff_id, and a config naming it. */
async function tinyImage(content: string): Promise<{ layer: Buffer; diffId: string; config: Buffer }> {
  const layer = await makeTar([{ name: 'hello.txt', data: content }]);
  const diffId = sha256Digest(layer);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } }));
  return { layer, diffId, config };
}

describe('docker-archive: reading', () => {
  for (const which of ['tiny', 'debian'] as const) {
    test(`${which}: the synthesised manifest is byte-identical to skopeo's, config too; layers verify`, async () => {
      const file = which === 'tiny' ? images.tinyDockerArchive : images.debianDockerArchive;
      const source = await dockerArchiveTransport.parseReference(file).newSource({});
      try {
        const manifest = await source.getManifest();
        assert.equal(manifest.bytes.toString(), await skopeo(['inspect', '--raw', `docker-archive:${file}`]));
        const parsed = parseManifest(manifest.bytes);
        const config = await readAll(await source.getBlob(parsed.config));
        assert.equal(config.toString(), await skopeo(['inspect', '--config', '--raw', `docker-archive:${file}`]));
        const diffIds = (JSON.parse(config.toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
        assert.deepEqual(parsed.layers.map((l) => l.digest), diffIds);
        for (const layer of parsed.layers) {
          let n = 0;
          for await (const chunk of await source.getBlob(layer)) n += (chunk as Buffer).length;
          assert.equal(n, layer.size);
        }
        assert.equal((await source.getManifest(manifest.digest)).digest, manifest.digest);
        await rejectsWithCode(source.getManifest(sha256Digest('x')), 'NOT_FOUND');
      } finally {
        await source.close();
      }
    });
  }

  test('REF is matched against RepoTags the docker way; @N; a missing tag is NOT_FOUND naming it', async () => {
    const file = images.tinyDockerArchive;
    const digests = new Set<string>();
    for (const ref of ['peers/tiny:latest', 'docker.io/peers/tiny:latest', 'docker.io/peers/tiny', '@0']) {
      const source = await dockerArchiveTransport.parseReference(`${file}:${ref}`).newSource({});
      digests.add((await source.getManifest()).digest);
      await source.close();
    }
    assert.equal(digests.size, 1);
    const missing = await rejectsWithCode(dockerArchiveTransport.parseReference(`${file}:peers/tiny:nope`).newSource({}), 'NOT_FOUND');
    assert.equal(missing.message, `docker-archive ${file} has no image tagged peers/tiny:nope`);
    await rejectsWithCode(dockerArchiveTransport.parseReference(`${file}:@1`).newSource({}), 'NOT_FOUND');
    assert.throws(() => dockerArchiveTransport.parseReference(`${file}:peers/tiny@sha256:${'a'.repeat(64)}`), { code: 'REFERENCE_INVALID' });
    assert.throws(() => dockerArchiveTransport.parseReference(`${file}:@x`), { code: 'REFERENCE_INVALID' });
  });

  test('gzipped layers (older docker save): digest of the stored bytes; by diff_id it is served decompressed', async (t) => {
    const dir = await tempDir(t);
    const { layer, diffId, config } = await tinyImage('gzipped');
    const gz = gzipSync(layer);
    const configName = `${sha256Digest(config).slice(7)}.json`;
    const file = join(dir, 'old.tar');
    await writeFile(
      file,
      await makeTar([
        { name: 'abc/', type: 'directory' },
        { name: 'abc/layer.tar', data: gz },
        { name: configName, data: config },
        { name: 'manifest.json', data: JSON.stringify([{ Config: configName, RepoTags: ['old:1'], Layers: ['abc/layer.tar'] }]) },
      ]),
    );
    const source = await dockerArchiveTransport.parseReference(`${file}:old:1`).newSource({});
    const parsed = parseManifest((await source.getManifest()).bytes);
    assert.equal(parsed.layers[0]!.digest, sha256Digest(gz));
    assert.equal(parsed.layers[0]!.size, gz.length);
    assert.equal(parsed.layers[0]!.mediaType, MediaType.DockerLayerGzip);
    assert.deepEqual(await readAll(await source.getBlob(parsed.layers[0]!)), gz);
    assert.deepEqual(await readAll(await source.getBlob({ mediaType: MediaType.OciLayer, digest: diffId as `sha256:${string}`, size: layer.length })), layer);
    // copied into a new docker-archive the layer is stored uncompressed as <diffid>.tar, and skopeo reads it
    const out = join(dir, 'new.tar');
    const destination = await dockerArchiveTransport.parseReference(`${out}:old:2`).newDestination({});
    await copyImage(source, destination);
    await destination.close();
    await source.close();
    const listing = execFileSync('tar', ['tf', out]).toString();
    assert.match(listing, new RegExp(`^${diffId.slice(7)}\\.tar$`, 'm'));
    const skopeoManifest = parseManifest(Buffer.from(await skopeo(['inspect', '--raw', `docker-archive:${out}`])));
    assert.equal(skopeoManifest.layers[0]!.digest, diffId);
  });

  test('layers reached through symlinks resolve; symlink loops and escapes are refused', async (t) => {
    const dir = await tempDir(t);
    const { layer, config } = await tinyImage('linked');
    const configName = `${sha256Digest(config).slice(7)}.json`;
    const manifest = (layers: string[]): string => JSON.stringify([{ Config: configName, RepoTags: null, Layers: layers }]);
    const linked = join(dir, 'linked.tar');
    await writeFile(
      linked,
      await makeTar([
        { name: 'real.tar', data: layer },
        { name: 'id/layer.tar', type: 'symlink', linkname: '../real.tar' },
        { name: configName, data: config },
        { name: 'manifest.json', data: manifest(['id/layer.tar']) },
      ]),
    );
    const source = await dockerArchiveTransport.parseReference(linked).newSource({});
    const parsed = parseManifest((await source.getManifest()).bytes);
    assert.deepEqual(await readAll(await source.getBlob(parsed.layers[0]!)), layer);
    await source.close();

    const loop = join(dir, 'loop.tar');
    await writeFile(
      loop,
      await makeTar([
        { name: 'a/layer.tar', type: 'symlink', linkname: '../b/layer.tar' },
        { name: 'b/layer.tar', type: 'symlink', linkname: '../a/layer.tar' },
        { name: configName, data: config },
        { name: 'manifest.json', data: manifest(['a/layer.tar']) },
      ]),
    );
    await rejectsWithCode(dockerArchiveTransport.parseReference(loop).newSource({}), 'SYMLINK_LOOP');

    const escape = join(dir, 'escape.tar');
    await writeFile(
      escape,
      await makeTar([
        { name: 'a/layer.tar', type: 'symlink', linkname: '../../etc/passwd' },
        { name: configName, data: config },
        { name: 'manifest.json', data: manifest(['a/layer.tar']) },
      ]),
    );
    await rejectsWithCode(dockerArchiveTransport.parseReference(escape).newSource({}), 'UNSAFE_PATH');

    const unsafeManifest = join(dir, 'unsafe-manifest.tar');
    await writeFile(unsafeManifest, await makeTar([{ name: configName, data: config }, { name: 'manifest.json', data: manifest(['../real.tar']) }]));
    await rejectsWithCode(dockerArchiveTransport.parseReference(unsafeManifest).newSource({}), 'UNSAFE_PATH');
  });

  test('missing or malformed manifest.json, missing file', async (t) => {
    const dir = await tempDir(t);
    const none = join(dir, 'none.tar');
    await writeFile(none, await makeTar([{ name: 'x', data: 'y' }]));
    await rejectsWithCode(dockerArchiveTransport.parseReference(none).newSource({}), 'NOT_FOUND');
    const bad = join(dir, 'bad.tar');
    await writeFile(bad, await makeTar([{ name: 'manifest.json', data: '[{' }]));
    await rejectsWithCode(dockerArchiveTransport.parseReference(bad).newSource({}), 'MANIFEST_INVALID');
    await rejectsWithCode(dockerArchiveTransport.parseReference(join(dir, 'missing.tar')).newSource({}), 'NOT_FOUND');
  });
});

describe('docker-archive: writing', () => {
  test('from the OCI layout: gzip layers become <diffid>.tar; skopeo reads it with the same config and diff_ids', async (t) => {
    const dir = await tempDir(t);
    const out = join(dir, 'tiny.tar');
    const source = await ociLayoutTransport.parseReference(images.tinyOci.replace(/^oci:/, '')).newSource({});
    const destination = await dockerArchiveTransport.parseReference(`${out}:peers/tiny:copied`).newDestination({});
    await copyImage(source, destination);
    await destination.close();
    await source.close();
    assert.equal(await skopeo(['inspect', '--config', '--raw', `docker-archive:${out}`]), await skopeo(['inspect', '--config', '--raw', images.tinyOci]));
    // skopeo's own docker-archive of the same image yields the identical synthesised manifest
    assert.equal(await skopeo(['inspect', '--raw', `docker-archive:${out}:peers/tiny:copied`]), await skopeo(['inspect', '--raw', `docker-archive:${images.tinyDockerArchive}`]));
    const manifestJson = JSON.parse(execFileSync('tar', ['xOf', out, 'manifest.json']).toString()) as Array<{ RepoTags: string[] }>;
    assert.deepEqual(manifestJson[0]!.RepoTags, ['docker.io/peers/tiny:copied']);
    const repositories = JSON.parse(execFileSync('tar', ['xOf', out, 'repositories']).toString()) as Record<string, Record<string, string>>;
    assert.ok(repositories['docker.io/peers/tiny']?.copied);
    // writing to an existing file is refused
    const again = dockerArchiveTransport.parseReference(out).newDestination({});
    await rejectsWithCode(again, 'DESTINATION_EXISTS');
    // …unless asked to overwrite
    const reference = dockerArchiveTransport.parseReference(out) as DockerArchiveReference;
    const overwrite = await reference.newDestination({}, { overwrite: true });
    await overwrite.close();
    assert.deepEqual((await readdir(dir)).sort(), ['tiny.tar']);
  });

  test('a layer whose uncompressed digest is not the config diff_id is DIGEST_MISMATCH; nothing is left', async (t) => {
    const dir = await tempDir(t);
    const a = await tinyImage('a');
    const b = await tinyImage('b');
    const mem = new MemorySource(dockerArchiveTransport.parseReference(join(dir, 'x.tar')));
    const config = mem.addBlob(a.config, MediaType.OciConfig);
    const layer = mem.addBlob(gzipSync(b.layer), MediaType.OciLayerGzip);
    mem.addManifest({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer] }, MediaType.OciManifest, true);
    const destination = await dockerArchiveTransport.parseReference(join(dir, 'x.tar')).newDestination({});
    await rejectsWithCode(copyImage(mem, destination), 'DIGEST_MISMATCH');
    await destination.close();
    assert.deepEqual(await readdir(dir), []);
  });

  test('zstd layers are decompressed while writing', async (t) => {
    const dir = await tempDir(t);
    const img = await tinyImage('zstd!');
    const zst = execFileSync('zstd', ['-q', '-c'], { input: img.layer });
    const mem = new MemorySource(dockerArchiveTransport.parseReference(join(dir, 'z.tar')));
    const config = mem.addBlob(img.config, MediaType.OciConfig);
    const layer = mem.addBlob(zst, MediaType.OciLayerZstd);
    mem.addManifest({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer] }, MediaType.OciManifest, true);
    const destination = await dockerArchiveTransport.parseReference(join(dir, 'z.tar:zstd:1')).newDestination({});
    await copyImage(mem, destination);
    await destination.close();
    assert.deepEqual(execFileSync('tar', ['xOf', join(dir, 'z.tar'), `${img.diffId.slice(7)}.tar`]), img.layer);
  });

  test('multi-image archives: composed with DockerArchiveWriter, read by tag and by @N, skopeo agrees', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'multi.tar');
    const writer = await DockerArchiveWriter.create(file);
    const made = [];
    for (const [i, name] of ['one', 'two'].entries()) {
      const img = await tinyImage(name);
      const ref = dockerArchiveTransport.parseReference(file);
      const mem = new MemorySource(ref);
      const config = mem.addBlob(img.config, MediaType.DockerConfig);
      const layer = mem.addBlob(gzipSync(img.layer), MediaType.DockerLayerGzip);
      mem.addManifest({ schemaVersion: 2, mediaType: MediaType.DockerManifest, config, layers: [layer] }, MediaType.DockerManifest, true);
      await copyImage(mem, writer.destination(ref, [parseImageRef(`local/${name}:v${i}`)]));
      made.push(img);
    }
    await writer.finish();
    for (const [i, name] of ['one', 'two'].entries()) {
      for (const selector of [`local/${name}:v${i}`, `docker.io/local/${name}:v${i}`, `@${i}`]) {
        const source = await dockerArchiveTransport.parseReference(`${file}:${selector}`).newSource({});
        const parsed = parseManifest((await source.getManifest()).bytes);
        assert.equal(parsed.config.digest, sha256Digest(made[i]!.config), selector);
        assert.equal(parsed.layers[0]!.digest, made[i]!.diffId);
        await source.close();
      }
      const viaSkopeo = parseManifest(Buffer.from(await skopeo(['inspect', '--raw', `docker-archive:${file}:local/${name}:v${i}`])));
      assert.equal(viaSkopeo.config.digest, sha256Digest(made[i]!.config));
    }
    const ambiguous = await rejectsWithCode(dockerArchiveTransport.parseReference(file).newSource({}), 'REFERENCE_AMBIGUOUS');
    assert.match(ambiguous.message, /docker\.io\/local\/one:v0/);
    assert.match(ambiguous.message, /docker\.io\/local\/two:v1/);
  });

  test('multi-tag archives from skopeo copy --additional-tag: both tags read', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'tags.tar');
    await skopeo(['copy', '--additional-tag', 'peers/extra:two', images.tinyOci, `docker-archive:${file}:peers/tiny:one`]);
    const digests = new Set<string>();
    for (const ref of ['peers/tiny:one', 'peers/extra:two', '@0']) {
      const source = await dockerArchiveTransport.parseReference(`${file}:${ref}`).newSource({});
      const manifest = await source.getManifest();
      assert.equal(manifest.bytes.toString(), await skopeo(['inspect', '--raw', `docker-archive:${file}:${ref}`]));
      digests.add(manifest.digest);
      await source.close();
    }
    assert.equal(digests.size, 1);
  });
});
