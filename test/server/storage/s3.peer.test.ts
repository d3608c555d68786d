/**
 * The S3 blob store against a real S3 API (Swift + s3api from ../shared/peers/s3.sh):
 * the driver-agnostic contract, then what only S3 has — multipart publishing of
 * a blob assembled from several PATCH chunks, nothing left after a digest
 * mismatch, errors that name the S3 code, and uploads shared between processes.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Digest } from '../../../src/core/digest.js';
import { ServeError } from '../../../src/server/errors.js';
import { S3BlobStore, type S3BlobStoreConfig } from '../../../src/server/storage/s3.js';
import { createS3Client } from '../../../src/server/storage/s3-client.js';
import { startS3, type S3Peer } from '../../support/s3.js';
import { blobStoreContract, digestOf, readAll } from './contract.js';

const MiB = 1024 * 1024;
let peer: S3Peer;

before(async () => {
  peer = await startS3();
});

after(async () => {
  await peer?.stop();
});

const config = (extra: Partial<S3BlobStoreConfig> = {}): S3BlobStoreConfig => ({
  ...peer.connection,
  bucket: peer.bucket,
  prefix: `t-${randomBytes(4).toString('hex')}`,
  ...extra,
});

const code = (expected: string) => (error: unknown) => error instanceof ServeError && error.code === expected;

blobStoreContract('s3 (swift s3api)', async () => new S3BlobStore(config()));

describe('S3 blob store specifics', () => {
  test('a ~12 MiB blob from 3 PATCH-sized chunks streams into multipart parts and is copied to its key once verified, byte-exact, ranges included', async () => {
    const cfg = config({ partBytes: 5 * MiB, readRangeBytes: 3 * MiB });
    const store = new S3BlobStore(cfg);
    const client = createS3Client(peer.connection);
    try {
      const chunks = [randomBytes(4 * MiB), randomBytes(4 * MiB), randomBytes(4 * MiB + 123)];
      const whole = Buffer.concat(chunks);
      const digest = digestOf(whole);
      const { id } = await store.startUpload();
      let offset = 0;
      for (const chunk of chunks) {
        const state = await store.appendUpload(id, offset, Readable.from([chunk]));
        offset += chunk.length;
        assert.equal(state.size, offset);
      }
      const uploadKeys = await peer.keys(`${cfg.prefix}/uploads/${id}/`);
      assert.equal(uploadKeys.length, 2, `the state and one tail object: ${uploadKeys.join(', ')}`);
      assert.ok(uploadKeys.includes(`${cfg.prefix}/uploads/${id}/state.json`));
      assert.match(uploadKeys.find((k) => !k.endsWith('state.json')) ?? '', /\/tail-[0-9a-f]+$/);
      const pending = await client.send(new ListMultipartUploadsCommand({ Bucket: peer.bucket, Prefix: cfg.prefix }));
      assert.deepEqual((pending.Uploads ?? []).map((u) => u.Key), [`${cfg.prefix}/uploads/${id}/data`], 'two 5 MiB parts went up while the chunks arrived');
      assert.equal(await store.stat(digest), undefined, 'not visible before finish');

      assert.deepEqual(await store.finishUpload(id, digest), { digest, size: whole.length });
      const blobKey = `${cfg.prefix}/blobs/sha256/${digest.slice('sha256:'.length)}`;
      assert.deepEqual(await peer.keys(cfg.prefix), [blobKey], 'only the blob is left');
      const after = await client.send(new ListMultipartUploadsCommand({ Bucket: peer.bucket, Prefix: cfg.prefix }));
      assert.deepEqual(after.Uploads ?? [], []);
      const head = await client.send(new HeadObjectCommand({ Bucket: peer.bucket, Key: blobKey }));
      assert.equal(head.ContentLength, whole.length);

      assert.ok((await readAll(await store.read(digest))).equals(whole), 'a whole read in 3 MiB ranges, reassembled in order');
      const across = { start: 5 * MiB - 100, end: 5 * MiB + 99 };
      assert.ok((await readAll(await store.read(digest, across))).equals(whole.subarray(across.start, across.end + 1)));
      const wide = { start: 1, end: whole.length - 2 };
      assert.ok((await readAll(await store.read(digest, wide))).equals(whole.subarray(1, whole.length - 1)), 'a range over several ranged GETs');
      const last = { start: whole.length - 1, end: whole.length - 1 };
      assert.ok((await readAll(await store.read(digest, last))).equals(whole.subarray(whole.length - 1)));
      await assert.rejects(store.read(digest, { start: whole.length - 1, end: whole.length }), code('RANGE_INVALID'));
    } finally {
      client.destroy();
      await store.close();
    }
  });

  test('a digest mismatch after parts went up aborts the multipart upload and leaves no object', async () => {
    const cfg = config({ partBytes: 5 * MiB });
    const store = new S3BlobStore(cfg);
    const client = createS3Client(peer.connection);
    try {
      const data = randomBytes(11 * MiB);
      const { id } = await store.startUpload();
      const pieces = (from: number, to: number): Readable => Readable.from(Array.from({ length: Math.ceil((to - from) / (256 * 1024)) }, (_, i) => data.subarray(from + i * 256 * 1024, Math.min(to, from + (i + 1) * 256 * 1024))));
      await store.appendUpload(id, 0, pieces(0, 6 * MiB));
      await store.appendUpload(id, 6 * MiB, pieces(6 * MiB, data.length));
      const pending = await client.send(new ListMultipartUploadsCommand({ Bucket: peer.bucket, Prefix: cfg.prefix }));
      assert.equal(pending.Uploads?.length, 1);
      const wrong = digestOf('not these bytes');
      await assert.rejects(store.finishUpload(id, wrong), code('DIGEST_INVALID'));
      assert.deepEqual(await peer.keys(cfg.prefix), []);
      assert.equal(await store.uploadState(id), undefined);
      const left = await client.send(new ListMultipartUploadsCommand({ Bucket: peer.bucket, Prefix: cfg.prefix }));
      assert.deepEqual(left.Uploads ?? [], [], 'no multipart upload left pending');
    } finally {
      client.destroy();
      await store.close();
    }
  });

  test('a 12 MiB upload started on one process and finished on another verifies from the saved hash state; sha512 is read back', async () => {
    const cfg = config({ partBytes: 5 * MiB });
    const first = new S3BlobStore(cfg);
    const second = new S3BlobStore(cfg);
    try {
      const data = randomBytes(12 * MiB + 7);
      for (const digest of [digestOf(data), `sha512:${createHash('sha512').update(data).digest('hex')}` as const]) {
        const { id } = await first.startUpload();
        await first.appendUpload(id, 0, Readable.from([data.subarray(0, 7 * MiB)]));
        await second.appendUpload(id, 7 * MiB, Readable.from([data.subarray(7 * MiB)]));
        assert.deepEqual(await first.finishUpload(id, digest), { digest, size: data.length });
        assert.ok((await readAll(await second.read(digest))).equals(data));
      }
      assert.equal((await peer.keys(cfg.prefix)).length, 2, 'the two blobs, nothing of the uploads');
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('a blob whose object was corrupted in the bucket is never read complete, and is reported', async () => {
    const told: unknown[] = [];
    const cfg = config({ readRangeBytes: 5 * MiB, onCorrupt: (blob) => told.push(blob) });
    const store = new S3BlobStore(cfg);
    const client = createS3Client(peer.connection);
    try {
      for (const size of [100, 12 * MiB]) {
        const data = randomBytes(size);
        const digest = digestOf(data);
        await store.putBytes(digest, data);
        const key = `${cfg.prefix}/blobs/sha256/${digest.slice('sha256:'.length)}`;
        const bad = Buffer.from(data);
        bad[size - 1] = bad[size - 1]! ^ 1; // the last byte: a reader that checked nothing would already have sent the rest
        await client.send(new PutObjectCommand({ Bucket: peer.bucket, Key: key, Body: bad }));
        const received: Buffer[] = [];
        await assert.rejects(
          (async () => {
            for await (const piece of await store.read(digest)) received.push(piece as Buffer);
          })(),
          (e: unknown) => e instanceof ServeError && /does not match its digest/.test(e.message),
        );
        assert.ok(Buffer.concat(received).length < size, 'the stream stopped short of the whole blob');
        assert.deepEqual(told.at(-1), { digest, key, actual: digestOf(bad), size });
      }
      assert.equal(told.length, 2);
    } finally {
      client.destroy();
      await store.close();
    }
  });

  test('another process (a second store on the same bucket) continues and finishes an upload', async () => {
    const cfg = config();
    const first = new S3BlobStore(cfg);
    const second = new S3BlobStore(cfg);
    try {
      const { id } = await first.startUpload();
      await first.appendUpload(id, 0, Readable.from([Buffer.from('machine one, ')]));
      assert.equal((await second.uploadState(id))?.size, 13);
      await second.appendUpload(id, 13, Readable.from([Buffer.from('machine two')]));
      const digest = digestOf('machine one, machine two');
      assert.deepEqual(await second.finishUpload(id, digest), { digest, size: 24 });
      assert.equal((await readAll(await first.read(digest))).toString(), 'machine one, machine two');
      // A re-push of an existing blob verifies and leaves one object.
      const again = await first.startUpload();
      await first.appendUpload(again.id, 0, Readable.from([Buffer.from('machine one, machine two')]));
      assert.deepEqual(await first.finishUpload(again.id, digest), { digest, size: 24 });
      assert.equal((await peer.keys(cfg.prefix)).length, 1);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('chunks left without a state (a crash, a lost append race) are stale at once, and cancel removes them', async () => {
    const cfg = config();
    const store = new S3BlobStore(cfg);
    try {
      const live = await store.startUpload();
      const orphan = 'ab'.repeat(16);
      const client = createS3Client(peer.connection);
      await client.send(new PutObjectCommand({ Bucket: peer.bucket, Key: `${cfg.prefix}/uploads/${orphan}/000000-deadbeef`, Body: Buffer.from('left over') }));
      client.destroy();
      assert.deepEqual(await store.staleUploads(new Date(Date.now() - 3_600_000)), [orphan]);
      assert.equal(await store.uploadState(orphan), undefined);
      await store.cancelUpload(orphan);
      assert.deepEqual(await store.staleUploads(new Date(Date.now() + 3_600_000)), [live.id]);
      await store.cancelUpload(live.id);
      assert.deepEqual(await peer.keys(cfg.prefix), []);
    } finally {
      await store.close();
    }
  });

  test('a wrong secret is a clear error that names the S3 code and never the secret', async () => {
    const secret = 'definitely-wrong-secret';
    const cfg = config({ secretAccessKey: secret });
    await assert.rejects(S3BlobStore.open(cfg), (e: unknown) => {
      assert.ok(e instanceof ServeError && e.code === 'CONFIG_INVALID', String(e));
      assert.match(e.message, /HTTP 403/);
      assert.ok(!e.message.includes(secret));
      return true;
    });
    const store = new S3BlobStore(cfg);
    try {
      await assert.rejects(store.read(digestOf('x')), (e: unknown) => {
        assert.ok(e instanceof ServeError && e.code === 'INTERNAL', String(e));
        assert.match(e.message, /SignatureDoesNotMatch \(HTTP 403\) — the secret access key is wrong/);
        assert.ok(!e.message.includes(secret));
        return true;
      });
      await assert.rejects(store.startUpload(), code('INTERNAL'));
    } finally {
      await store.close();
    }
    const good = await S3BlobStore.open(config());
    await good.close();
  });

  test('a missing bucket is INTERNAL (NoSuchBucket), not a missing blob', async () => {
    const store = new S3BlobStore(config({ bucket: `portcullis-absent-${randomBytes(4).toString('hex')}` }));
    try {
      await assert.rejects(store.read(digestOf('x')), (e: unknown) => e instanceof ServeError && e.code === 'INTERNAL' && /NoSuchBucket/.test(e.message));
      await assert.rejects(S3BlobStore.open(config({ bucket: `portcullis-absent-${randomBytes(4).toString('hex')}` })), code('CONFIG_INVALID'));
    } finally {
      await store.close();
    }
  });

  test('list pages through several ListObjectsV2 pages; sha512 blobs too', async () => {
    const store = new S3BlobStore(config({ listPageSize: 3 }));
    try {
      const digests = new Set<Digest>();
      const items = Array.from({ length: 10 }, (_, i) => Buffer.from(`blob ${i}`));
      await Promise.all(items.map(async (b) => digests.add((await store.putBytes(digestOf(b), b)).digest)));
      const data = Buffer.from('sha512 content');
      const sha512 = `sha512:${createHash('sha512').update(data).digest('hex')}` as const;
      const { id } = await store.startUpload();
      await store.appendUpload(id, 0, Readable.from([data]));
      await store.finishUpload(id, sha512);
      digests.add(sha512);
      const listed: Digest[] = [];
      for await (const blob of store.list()) listed.push(blob.digest);
      assert.equal(listed.length, digests.size);
      assert.deepEqual(new Set(listed), digests);
    } finally {
      await store.close();
    }
  });
});
