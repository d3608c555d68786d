import assert from 'node:assert/strict';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { before, describe, test } from 'node:test';
import { sha256Digest } from '../../../../src/core/digest.js';
import { parseManifest } from '../../../../src/core/oci.js';
import { copyImage } from '../../../../src/image/copy.js';
import { ociArchiveTransport } from '../../../../src/image/transports/oci-archive/transport.js';
import { ociLayoutTransport } from '../../../../src/image/transports/oci-layout/transport.js';
import { peerImages, type PeerImages } from '../../../support/peers.js';
import { makeTar, readAll, rejectsWithCode, skopeo, tempDir, umoci } from '../local/helpers.js';

let images: PeerImages;
before(async () => {
  images = await peerImages('all');
});

const LAYOUT = '{"imageLayoutVersion":"1.0.0"}';

describe('oci-archive: reading in place', () => {
  for (const which of ['tiny', 'debian'] as const) {
    test(`${which}: manifest and config equal skopeo's, every blob verifies`, async () => {
      const file = which === 'tiny' ? images.tinyOciArchive : images.debianOciArchive;
      const source = await ociArchiveTransport.parseReference(file).newSource({});
      try {
        const manifest = await source.getManifest();
        assert.equal(manifest.bytes.toString(), await skopeo(['inspect', '--raw', `oci-archive:${file}`]));
        const parsed = parseManifest(manifest.bytes);
        assert.equal((await readAll(await source.getBlob(parsed.config))).toString(), await skopeo(['inspect', '--config', '--raw', `oci-archive:${file}`]));
        for (const layer of parsed.layers) {
          let n = 0;
          for await (const chunk of await source.getBlob(layer)) n += (chunk as Buffer).length;
          assert.equal(n, layer.size);
        }
      } finally {
        await source.close();
      }
      // nothing was extracted beside the archive
      const dir = file.slice(0, file.lastIndexOf('/'));
      assert.ok((await readdir(dir)).every((name) => !name.includes('.tmp-')));
    });
  }

  test('REF selects by ref name; an unknown REF is NOT_FOUND', async () => {
    const source = await ociArchiveTransport.parseReference(`${images.tinyOciArchive}:latest`).newSource({});
    assert.equal((await source.getManifest()).digest.length, 71);
    await source.close();
    await rejectsWithCode(ociArchiveTransport.parseReference(`${images.tinyOciArchive}:nope`).newSource({}), 'NOT_FOUND');
  });
});

describe('oci-archive: hostile and broken archives', () => {
  const blob = Buffer.from('{"hello":"world"}');
  const digest = sha256Digest(blob);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: blob.length },
      layers: [],
    }),
  );
  const manifestDigest = sha256Digest(manifest);
  const index = JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length }],
  });
  const good = [
    { name: 'oci-layout', data: LAYOUT },
    { name: 'index.json', data: index },
    { name: `blobs/sha256/${manifestDigest.slice(7)}`, data: manifest },
    { name: `blobs/sha256/${digest.slice(7)}`, data: blob },
  ];

  test('a well-formed crafted archive reads', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'ok.tar');
    await writeFile(file, await makeTar(good));
    const source = await ociArchiveTransport.parseReference(file).newSource({});
    const m = await source.getManifest();
    assert.equal(m.digest, manifestDigest);
    assert.deepEqual(await readAll(await source.getBlob(parseManifest(m.bytes).config)), blob);
    await source.close();
  });

  test('names with .. or absolute paths are refused', async (t) => {
    const dir = await tempDir(t);
    for (const name of ['../x', 'blobs/../../etc/passwd', '/etc/passwd']) {
      const file = join(dir, 'evil.tar');
      const tar = await makeTar([...good, { name: 'placeholder-name-to-patch', data: 'x' }]);
      // tar-stream normalises some names, so patch the header in place (and its checksum).
      const at = tar.indexOf('placeholder-name-to-patch');
      tar.fill(0, at, at + 100);
      tar.write(name, at, 'latin1');
      const header = tar.subarray(at, at + 512);
      header.fill(0x20, 148, 156);
      let sum = 0;
      for (const b of header) sum += b;
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      await writeFile(file, tar);
      const error = await rejectsWithCode(ociArchiveTransport.parseReference(file).newSource({}), 'UNSAFE_PATH');
      assert.match(error.message, /refusing/);
    }
  });

  test('truncated, not a tar, missing index.json, malformed index.json', async (t) => {
    const dir = await tempDir(t);
    const truncated = join(dir, 'truncated.tar');
    await writeFile(truncated, await makeTar(good));
    const size = (await stat(truncated)).size;
    await truncate(truncated, size - 1024 - 512 - 10); // into the last entry's content
    await rejectsWithCode(ociArchiveTransport.parseReference(truncated).newSource({}), 'ARCHIVE_TRUNCATED');

    const notTar = join(dir, 'not.tar');
    await writeFile(notTar, Buffer.alloc(4096, 'x'));
    await rejectsWithCode(ociArchiveTransport.parseReference(notTar).newSource({}), 'ARCHIVE_INVALID');
    await writeFile(notTar, 'short');
    await rejectsWithCode(ociArchiveTransport.parseReference(notTar).newSource({}), 'ARCHIVE_INVALID');

    await rejectsWithCode(ociArchiveTransport.parseReference(join(dir, 'missing.tar')).newSource({}), 'NOT_FOUND');

    const noIndex = join(dir, 'noindex.tar');
    await writeFile(noIndex, await makeTar(good.filter((g) => g.name !== 'index.json')));
    await rejectsWithCode(ociArchiveTransport.parseReference(noIndex).newSource({}), 'NOT_FOUND');

    const badIndex = join(dir, 'badindex.tar');
    await writeFile(badIndex, await makeTar(good.map((g) => (g.name === 'index.json' ? { name: g.name, data: '{"manifests": 3' } : g))));
    await rejectsWithCode(ociArchiveTransport.parseReference(badIndex).newSource({}), 'MANIFEST_INVALID');
  });

  test('a corrupted blob is DIGEST_MISMATCH while streaming', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'corrupt.tar');
    const evil = Buffer.from('{"hello":"WORLD"}');
    await writeFile(file, await makeTar(good.map((g) => (g.data === blob ? { name: g.name, data: evil } : g))));
    const source = await ociArchiveTransport.parseReference(file).newSource({});
    await rejectsWithCode(readAll(await source.getBlob({ mediaType: 'x', digest, size: blob.length })), 'DIGEST_MISMATCH');
    await source.close();
  });
});

describe('oci-archive: writing', () => {
  test('tiny from the OCI layout: skopeo and umoci read the archive, the manifest digest is kept', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'out.tar');
    const layout = images.tinyOci.replace(/^oci:/, '');
    const source = await ociLayoutTransport.parseReference(layout).newSource({});
    const destination = await ociArchiveTransport.parseReference(`${file}:v1`).newDestination({});
    const result = await copyImage(source, destination);
    await destination.close();
    const original = await source.getManifest();
    await source.close();
    assert.equal(result.digest, original.digest);
    assert.equal(await skopeo(['inspect', '--raw', `oci-archive:${file}:v1`]), original.bytes.toString());
    assert.equal(await skopeo(['inspect', '--config', '--raw', `oci-archive:${file}`]), await skopeo(['inspect', '--config', '--raw', images.tinyOci]));
    // skopeo copies it out to a layout umoci reads
    await skopeo(['copy', `oci-archive:${file}:v1`, `oci:${join(dir, 'layout')}:v1`]);
    await umoci(['stat', '--image', `${join(dir, 'layout')}:v1`]);
    assert.deepEqual((await readdir(dir)).sort(), ['layout', 'out.tar']);
  });

  test('close without commit deletes the temp file; a bad blob is cut back out', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'never.tar');
    const destination = await ociArchiveTransport.parseReference(file).newDestination({});
    const bytes = Buffer.from('some blob');
    await rejectsWithCode(
      destination.putBlob({ mediaType: 'x', digest: sha256Digest('else'), size: bytes.length }, Readable.from([bytes])),
      'DIGEST_MISMATCH',
    );
    await destination.putBlob({ mediaType: 'x', digest: sha256Digest(bytes), size: bytes.length }, Readable.from([bytes]));
    assert.equal((await readdir(dir)).length, 1); // the temp file
    await destination.close();
    assert.deepEqual(await readdir(dir), []);
  });

  test('an existing FILE is replaced on commit, and stays until then', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'a.tar');
    await writeFile(file, 'old');
    const source = await ociArchiveTransport.parseReference(images.tinyOciArchive).newSource({});
    const destination = await ociArchiveTransport.parseReference(file).newDestination({});
    assert.equal(await readFile(file, 'utf8'), 'old');
    await copyImage(source, destination);
    await destination.close();
    await source.close();
    assert.ok((await stat(file)).size > 1000);
    assert.match(await skopeo(['inspect', '--raw', `oci-archive:${file}`]), /schemaVersion/);
  });
});
