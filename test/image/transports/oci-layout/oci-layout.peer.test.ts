import assert from 'node:assert/strict';
import { cp, readdir, readFile, writeFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { before, describe, test } from 'node:test';
import { sha256Digest } from '../../../../src/core/digest.js';
import { MediaType } from '../../../../src/core/media-types.js';
import { parseIndex, parseManifest } from '../../../../src/core/oci.js';
import { copyImage } from '../../../../src/image/copy.js';
import { ociLayoutTransport } from '../../../../src/image/transports/oci-layout/transport.js';
import { peerImages, type PeerImages } from '../../../support/peers.js';
import { readAll, rejectsWithCode, skopeo, tempDir, umoci } from '../local/helpers.js';

let images: PeerImages;
const within = (ref: string): string => ref.replace(/^oci:/, '');
const layoutDir = (ref: string): string => within(ref).split(':')[0] as string;

before(async () => {
  images = await peerImages('all');
});

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    out.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name).slice(dir.length));
  }
  return out.sort();
}

describe('oci: reading', () => {
  for (const which of ['tiny', 'debian'] as const) {
    test(`${which}: manifest and config match skopeo inspect, every blob verifies`, async () => {
      const ref = which === 'tiny' ? images.tinyOci : images.debianOci;
      const source = await ociLayoutTransport.parseReference(within(ref)).newSource({});
      try {
        const manifest = await source.getManifest();
        const raw = await skopeo(['inspect', '--raw', ref]);
        assert.equal(manifest.bytes.toString('utf8'), raw);
        assert.equal(manifest.digest, sha256Digest(Buffer.from(raw)));
        const parsed = parseManifest(manifest.bytes);
        const config = await readAll(await source.getBlob(parsed.config));
        assert.equal(config.toString('utf8'), await skopeo(['inspect', '--config', '--raw', ref]));
        for (const layer of parsed.layers) {
          const bytes = await readAll(await source.getBlob(layer));
          assert.equal(bytes.length, layer.size);
          assert.equal(sha256Digest(bytes), layer.digest);
        }
        assert.equal(parsed.layers.length, which === 'tiny' ? 4 : 1);
        // by digest as well
        assert.deepEqual((await source.getManifest(manifest.digest)).bytes, manifest.bytes);
      } finally {
        await source.close();
      }
    });
  }

  test('without REF and one entry, the entry is taken; an unknown REF is NOT_FOUND; a digest REF is refused', async () => {
    const dir = layoutDir(images.tinyOci);
    const source = await ociLayoutTransport.parseReference(dir).newSource({});
    const withRef = await ociLayoutTransport.parseReference(within(images.tinyOci)).newSource({});
    assert.equal((await source.getManifest()).digest, (await withRef.getManifest()).digest);
    await source.close();
    await withRef.close();
    await rejectsWithCode(ociLayoutTransport.parseReference(`${dir}:nope`).newSource({}), 'NOT_FOUND');
    assert.throws(() => ociLayoutTransport.parseReference(`${dir}:@sha256:${'a'.repeat(64)}`), { code: 'REFERENCE_INVALID' });
    assert.throws(() => ociLayoutTransport.parseReference(':x'), { code: 'REFERENCE_INVALID' });
  });

  test('bad inputs: missing dir, missing index.json, malformed JSON, a file instead of a dir', async (t) => {
    const dir = await tempDir(t);
    await rejectsWithCode(ociLayoutTransport.parseReference(join(dir, 'missing')).newSource({}), 'NOT_FOUND');
    const layout = join(dir, 'layout');
    await mkdir(layout);
    await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const noIndex = await rejectsWithCode(ociLayoutTransport.parseReference(layout).newSource({}), 'NOT_FOUND');
    assert.match(noIndex.message, /index\.json/);
    await writeFile(join(layout, 'index.json'), '{"schemaVersion":2,"manifests":[');
    const bad = await rejectsWithCode(ociLayoutTransport.parseReference(layout).newSource({}), 'MANIFEST_INVALID');
    assert.doesNotMatch(bad.message, /\n/);
    await writeFile(join(dir, 'file'), 'x');
    await rejectsWithCode(ociLayoutTransport.parseReference(join(dir, 'file')).newSource({}), 'ARCHIVE_INVALID');
    await rejectsWithCode(ociLayoutTransport.parseReference(dir).newSource({}), 'ARCHIVE_INVALID'); // no oci-layout
  });

  test('a corrupted blob fails with DIGEST_MISMATCH while streaming', async (t) => {
    const dir = await tempDir(t);
    const layout = join(dir, 'tiny');
    await cp(layoutDir(images.tinyOci), layout, { recursive: true });
    const source = await ociLayoutTransport.parseReference(`${layout}:latest`).newSource({});
    const manifest = parseManifest((await source.getManifest()).bytes);
    const layer = manifest.layers[2]!;
    const path = join(layout, 'blobs', 'sha256', layer.digest.slice(7));
    const bytes = await readFile(path);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10]! ^ 0xff) & 0xff;
    await writeFile(path, bytes);
    await rejectsWithCode(readAll(await source.getBlob(layer)), 'DIGEST_MISMATCH');
    await source.close();
  });
});

describe('oci: multi-platform index', () => {
  test('getManifest() returns the index, getManifest(digest) each instance; skopeo agrees', async (t) => {
    const dir = await tempDir(t);
    const layout = join(dir, 'multi');
    await cp(layoutDir(images.tinyOci), layout, { recursive: true });
    const blobs = join(layout, 'blobs', 'sha256');
    const index = parseIndex(await readFile(join(layout, 'index.json')));
    const amd64 = index.manifests[0]!;
    const amdManifest = parseManifest(await readFile(join(blobs, amd64.digest.slice(7))));
    // A second platform: same layers, a config that says arm64.
    const config = JSON.parse((await readFile(join(blobs, amdManifest.config.digest.slice(7)))).toString('utf8')) as Record<string, unknown>;
    config.architecture = 'arm64';
    config.variant = 'v8';
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDigest = sha256Digest(configBytes);
    await writeFile(join(blobs, configDigest.slice(7)), configBytes);
    const armManifestBytes = Buffer.from(
      JSON.stringify({ ...amdManifest, config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configBytes.length } }),
    );
    const armDigest = sha256Digest(armManifestBytes);
    await writeFile(join(blobs, armDigest.slice(7)), armManifestBytes);
    const indexBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [
          { mediaType: MediaType.OciManifest, digest: amd64.digest, size: amd64.size, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: MediaType.OciManifest, digest: armDigest, size: armManifestBytes.length, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
        ],
      }),
    );
    const indexDigest = sha256Digest(indexBytes);
    await writeFile(join(blobs, indexDigest.slice(7)), indexBytes);
    const top = {
      schemaVersion: 2,
      manifests: [
        index.manifests[0],
        { mediaType: MediaType.OciIndex, digest: indexDigest, size: indexBytes.length, annotations: { 'org.opencontainers.image.ref.name': 'multi' } },
      ],
    };
    await writeFile(join(layout, 'index.json'), JSON.stringify(top));

    const source = await ociLayoutTransport.parseReference(`${layout}:multi`).newSource({});
    const got = await source.getManifest();
    assert.equal(got.mediaType, MediaType.OciIndex);
    assert.equal(got.digest, indexDigest);
    assert.equal(got.bytes.toString(), await skopeo(['inspect', '--raw', `oci:${layout}:multi`]));
    const arm = await source.getManifest(armDigest);
    assert.equal(arm.mediaType, MediaType.OciManifest);
    assert.deepEqual(arm.bytes, armManifestBytes);
    assert.equal((await source.getManifest(amd64.digest)).digest, amd64.digest);
    const armConfig = await readAll(await source.getBlob(parseManifest(arm.bytes).config));
    assert.equal(JSON.parse(armConfig.toString()).architecture, 'arm64');
    // skopeo picks the arm64 instance the same way
    const skopeoArm = await skopeo(['--override-arch', 'arm64', '--override-variant', 'v8', 'inspect', '--raw', `oci:${layout}:multi`]);
    assert.ok(skopeoArm.length > 0);
    // an instance digest that is not there
    await rejectsWithCode(source.getManifest(sha256Digest('nothing')), 'NOT_FOUND');
    await source.close();
    // two entries and no REF
    const ambiguous = await rejectsWithCode(ociLayoutTransport.parseReference(layout).newSource({}), 'REFERENCE_AMBIGUOUS');
    assert.match(ambiguous.message, /latest, multi/);
  });
});

describe('oci: writing', () => {
  test('copying tiny into a new layout: umoci and skopeo read it, digests kept', async (t) => {
    const dir = await tempDir(t);
    const target = join(dir, 'new', 'layout');
    const source = await ociLayoutTransport.parseReference(within(images.tinyOci)).newSource({});
    const destination = await ociLayoutTransport.parseReference(`${target}:v1`).newDestination({});
    const result = await copyImage(source, destination);
    await destination.close();
    const original = await source.getManifest();
    assert.equal(result.digest, original.digest);
    assert.equal(await readFile(join(target, 'oci-layout'), 'utf8'), '{"imageLayoutVersion":"1.0.0"}');
    assert.equal(await skopeo(['inspect', '--raw', `oci:${target}:v1`]), original.bytes.toString());
    const stat = await umoci(['stat', '--image', `${target}:v1`, '--json']);
    assert.equal(stat, await umoci(['stat', '--image', `${layoutDir(images.tinyOci)}:latest`, '--json']));
    assert.ok((JSON.parse(stat) as { history: unknown[] }).history.length >= 4);
    assert.equal((await listTree(target)).filter((p) => p.includes('.tmp-')).length, 0);

    // a second ref is added beside the first; the same ref again replaces its entry
    for (const ref of ['v2', 'v1']) {
      const again = await ociLayoutTransport.parseReference(`${target}:${ref}`).newDestination({});
      await copyImage(source, again);
      await again.close();
    }
    const index = parseIndex(await readFile(join(target, 'index.json')));
    assert.deepEqual(
      index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).sort(),
      ['v1', 'v2'],
    );
    await source.close();
    // umoci can unpack what we wrote
    await umoci(['unpack', '--rootless', '--image', `${target}:v2`, join(dir, 'bundle')]);
    await assert.rejects(stat_(join(dir, 'bundle', 'rootfs', 'etc', 'secret.conf')));
    assert.equal((await readdir(join(dir, 'bundle', 'rootfs', 'opt', 'data'))).join(','), 'new.txt');
  });

  test('a blob that does not match its digest stores nothing; close without commit leaves the layout as it was', async (t) => {
    const dir = await tempDir(t);
    const layout = join(dir, 'tiny');
    await cp(layoutDir(images.tinyOci), layout, { recursive: true });
    const before = await listTree(layout);
    const indexBefore = await readFile(join(layout, 'index.json'));
    const destination = await ociLayoutTransport.parseReference(`${layout}:other`).newDestination({});
    const good = Buffer.from('good bytes');
    await destination.putBlob({ mediaType: 'application/octet-stream', digest: sha256Digest(good), size: good.length }, Readable.from([good]));
    await rejectsWithCode(
      destination.putBlob({ mediaType: 'application/octet-stream', digest: sha256Digest('other'), size: good.length }, Readable.from([good])),
      'DIGEST_MISMATCH',
    );
    await rejectsWithCode(
      destination.putBlob({ mediaType: 'application/octet-stream', digest: sha256Digest(good), size: 3 }, Readable.from([good])),
      'SIZE_MISMATCH',
    );
    await destination.close();
    assert.deepEqual(await listTree(layout), before);
    assert.deepEqual(await readFile(join(layout, 'index.json')), indexBefore);

    // a destination in a missing directory that is never committed leaves no directory behind
    const fresh = join(dir, 'fresh', 'deeper');
    const aborted = await ociLayoutTransport.parseReference(fresh).newDestination({});
    await aborted.putBlob({ mediaType: 'application/octet-stream', digest: sha256Digest(good), size: good.length }, Readable.from([good]));
    await aborted.close();
    await assert.rejects(stat(join(dir, 'fresh')));
  });
});

function stat_(path: string): Promise<unknown> {
  return stat(path);
}
