import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { sha256Digest, type Digest } from '../../../src/core/digest.js';
import type { Descriptor } from '../../../src/core/oci.js';
import { BlobCache, defaultCacheRoot } from '../../../src/image/cache/blob-cache.js';
import { withBlobCache } from '../../../src/image/cache/with-cache.js';
import { ImageError } from '../../../src/image/errors.js';
import { ociLayoutTransport } from '../../../src/image/transports/oci-layout/transport.js';
import type { ImageSource } from '../../../src/image/types.js';
import { readAll, rejectsWithCode, tempDir } from '../transports/local/helpers.js';
import { REPO_ROOT } from '../../support/paths.js';

const SIZE = 3 * 1024 * 1024 + 17;
function generated(seed: number, size = SIZE): { descriptor: Descriptor; stream: () => Readable } {
  const chunk = Buffer.alloc(64 * 1024, seed);
  const hash = createHash('sha256');
  for (let left = size; left > 0; left -= chunk.length) hash.update(left >= chunk.length ? chunk : chunk.subarray(0, left));
  const digest = `sha256:${hash.digest('hex')}` as Digest;
  return {
    descriptor: { mediaType: 'application/octet-stream', digest, size },
    stream: () =>
      Readable.from(
        (function* () {
          for (let left = size; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
        })(),
      ),
  };
}

async function blobFiles(root: string): Promise<string[]> {
  try {
    return (await readdir(join(root, 'blobs', 'sha256'))).sort();
  } catch {
    return [];
  }
}

describe('BlobCache', () => {
  test('root: cacheDir, then XDG_CACHE_HOME, then ~/.cache', () => {
    assert.equal(defaultCacheRoot({ cacheDir: '/x/y' }), '/x/y');
    assert.equal(defaultCacheRoot({ env: { XDG_CACHE_HOME: '/xdg', HOME: '/home/u' } }), '/xdg/portcullis');
    assert.equal(defaultCacheRoot({ env: { HOME: '/home/u' } }), '/home/u/.cache/portcullis');
    assert.equal(new BlobCache({ env: { HOME: '/home/u' } }).path(sha256Digest('a')), `/home/u/.cache/portcullis/blobs/sha256/${sha256Digest('a').slice(7)}`);
    assert.equal(BlobCache.fromContext({ cacheDir: '/c' }).root, '/c');
  });

  test('put then get; a miss is undefined; a wrong blob stores nothing', async (t) => {
    const root = await tempDir(t);
    const cache = new BlobCache({ root });
    const blob = generated(1);
    assert.equal(await cache.get(blob.descriptor), undefined);
    await cache.put(blob.descriptor, blob.stream());
    assert.ok(await cache.has(blob.descriptor));
    const back = await readAll((await cache.get(blob.descriptor))!);
    assert.equal(sha256Digest(back), blob.descriptor.digest);
    const other = generated(2);
    await rejectsWithCode(cache.put(other.descriptor, blob.stream()), 'DIGEST_MISMATCH');
    assert.deepEqual(await blobFiles(root), [blob.descriptor.digest.slice(7)]);
  });

  test('a corrupted cached file is deleted and treated as a miss', async (t) => {
    const root = await tempDir(t);
    const cache = new BlobCache({ root });
    const bytes = Buffer.from('cached content');
    const descriptor: Descriptor = { mediaType: 'x', digest: sha256Digest(bytes), size: bytes.length };
    await cache.put(descriptor, Readable.from([bytes]));
    await writeFile(cache.path(descriptor.digest), 'cached CONTENT');
    assert.equal(await cache.get(descriptor), undefined);
    assert.deepEqual(await blobFiles(root), []);
    // a truncated one too
    await cache.put(descriptor, Readable.from([bytes]));
    await writeFile(cache.path(descriptor.digest), 'cached');
    assert.equal(await cache.get(descriptor), undefined);
    assert.deepEqual(await blobFiles(root), []);
  });

  test('two concurrent writers of one digest in this process', async (t) => {
    const root = await tempDir(t);
    const blob = generated(3);
    await Promise.all([new BlobCache({ root }).put(blob.descriptor, blob.stream()), new BlobCache({ root }).put(blob.descriptor, blob.stream())]);
    assert.deepEqual(await blobFiles(root), [blob.descriptor.digest.slice(7)]);
    assert.equal(sha256Digest(await readFile(new BlobCache({ root }).path(blob.descriptor.digest))), blob.descriptor.digest);
  });

  test('two concurrent writers of one digest in two child processes', async (t) => {
    const root = await tempDir(t);
    const blob = generated(4, 8 * 1024 * 1024 + 5);
    // Under tsx the sources run as .ts; the compiled suite (dist/) has .js beside it.
    const compiled = !import.meta.url.endsWith('.ts');
    const child = fileURLToPath(new URL(compiled ? './put-child.js' : './put-child.ts', import.meta.url));
    const run = (): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve, reject) => {
        const p = spawn(process.execPath, [...(compiled ? [] : ['--import', 'tsx']), child, root, blob.descriptor.digest, String(blob.descriptor.size), '4'], {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.on('error', reject);
        p.on('close', (code) => resolve({ code, out }));
      });
    const results = await Promise.all([run(), run()]);
    assert.deepEqual(results, [
      { code: 0, out: 'stored\n' },
      { code: 0, out: 'stored\n' },
    ]);
    assert.deepEqual(await blobFiles(root), [blob.descriptor.digest.slice(7)]);
    const cached = await new BlobCache({ root }).get(blob.descriptor);
    assert.ok(cached);
    assert.equal(sha256Digest(await readAll(cached)), blob.descriptor.digest);
  });
});

describe('withBlobCache', () => {
  function countingSource(inner: ImageSource): ImageSource & { blobReads: number } {
    const wrapped = {
      reference: inner.reference,
      blobReads: 0,
      getManifest: inner.getManifest.bind(inner),
      async getBlob(descriptor: Descriptor) {
        wrapped.blobReads++;
        return inner.getBlob(descriptor);
      },
      close: inner.close.bind(inner),
    };
    return wrapped;
  }

  test('a blob read through it is cached once fully verified, then served from the cache', async (t) => {
    const root = await tempDir(t);
    const layout = await tempDir(t);
    const blob = generated(5);
    // a one-blob OCI layout as the "remote"
    const destination = await ociLayoutTransport.parseReference(layout).newDestination({});
    await destination.putBlob(blob.descriptor, blob.stream());
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: blob.descriptor, layers: [] }));
    await destination.putManifest({ bytes: manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest(manifest) });
    await destination.commit();
    await destination.close();

    const remote = countingSource(await ociLayoutTransport.parseReference(layout).newSource({}));
    const cache = new BlobCache({ root });
    const cached = withBlobCache(remote, cache);
    assert.equal((await cached.getManifest()).digest, sha256Digest(manifest));

    // a reader that stops early leaves nothing in the cache
    const early = await cached.getBlob(blob.descriptor);
    for await (const _chunk of early) break;
    if (!early.closed) await new Promise((resolve) => early.once('close', resolve));
    assert.deepEqual(await blobFiles(root), []);

    const first = await readAll(await cached.getBlob(blob.descriptor));
    assert.equal(sha256Digest(first), blob.descriptor.digest);
    assert.deepEqual(await blobFiles(root), [blob.descriptor.digest.slice(7)]);
    assert.equal(cached.stats.stored, 1);
    const second = await readAll(await cached.getBlob(blob.descriptor));
    assert.equal(sha256Digest(second), blob.descriptor.digest);
    assert.equal(remote.blobReads, 2);
    assert.equal(cached.stats.hits, 1);
    await cached.close();
  });

  test('a corrupt remote blob fails the reader with DIGEST_MISMATCH and is not cached', async (t) => {
    const root = await tempDir(t);
    const good = Buffer.from('the real bytes');
    const descriptor: Descriptor = { mediaType: 'x', digest: sha256Digest(good), size: good.length };
    const lying: ImageSource = {
      reference: ociLayoutTransport.parseReference('/nonexistent'),
      getManifest: async () => {
        throw new ImageError('NOT_FOUND', 'none');
      },
      getBlob: async () => Readable.from([Buffer.from('the fake bytes')]),
      close: async () => undefined,
    };
    const cached = withBlobCache(lying, new BlobCache({ root }));
    const stream = await cached.getBlob(descriptor);
    await rejectsWithCode(readAll(stream), 'DIGEST_MISMATCH');
    if (!stream.closed) await new Promise((resolve) => stream.once('close', resolve));
    assert.deepEqual(await blobFiles(root), []);
  });
});
