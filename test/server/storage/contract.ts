/**
 * The BlobStore contract, run against every driver (filesystem here, S3
 * elsewhere). Only the BlobStore interface is used, so a driver passes or
 * fails on behaviour alone.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { ServeError } from '../../../src/server/errors.js';
import type { BlobStore } from '../../../src/server/storage/blob-store.js';

export const digestOf = (data: Buffer | string): Digest => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

const code = (expected: string) => (error: unknown) => error instanceof ServeError && error.code === expected;

/** A stream of `total` pseudo-random bytes produced in chunks, never held whole. */
function generated(total: number, seed: number, chunk = 64 * 1024): Readable {
  let sent = 0;
  let state = seed;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, total - sent);
      const buf = Buffer.alloc(n);
      for (let i = 0; i < n; i++) {
        state = (state * 1103515245 + 12345) & 0x7fffffff;
        buf[i] = state & 0xff;
      }
      sent += n;
      this.push(buf);
    },
  });
}

/** A stream that sends `head` then fails, like a client hanging up mid-body. */
function failing(head: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(head);
      } else this.destroy(new Error('client went away'));
    },
  });
}

async function listAll(store: BlobStore): Promise<Digest[]> {
  const out: Digest[] = [];
  for await (const blob of store.list()) out.push(blob.digest);
  return out;
}

export function blobStoreContract(name: string, makeStore: () => Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    test('putBytes stores verified bytes; stat, read, ranges, list and delete', async () => {
      const store = await makeStore();
      try {
        const data = Buffer.from('hello, registry');
        const digest = digestOf(data);
        assert.equal(await store.stat(digest), undefined);
        assert.deepEqual(await store.putBytes(digest, data), { digest, size: data.length });
        assert.deepEqual(await store.stat(digest), { digest, size: data.length });
        assert.deepEqual(await readAll(await store.read(digest)), data);
        assert.equal((await readAll(await store.read(digest, { start: 7, end: 14 }))).toString(), 'registry');
        assert.equal((await readAll(await store.read(digest, { start: 0, end: 0 }))).toString(), 'h');
        await assert.rejects(store.read(digest, { start: 10, end: 15 }), code('RANGE_INVALID'));
        await assert.rejects(store.read(digest, { start: 15, end: 15 }), code('RANGE_INVALID'));
        assert.ok((await listAll(store)).includes(digest));
        // Idempotent for the same content.
        assert.deepEqual(await store.putBytes(digest, data), { digest, size: data.length });
        assert.equal(await store.delete(digest), true);
        assert.equal(await store.delete(digest), false);
        assert.equal(await store.stat(digest), undefined);
        await assert.rejects(store.read(digest), code('BLOB_UNKNOWN'));
        assert.ok(!(await listAll(store)).includes(digest));
      } finally {
        await store.close();
      }
    });

    test('list names every blob with its size and a write time; deleting a missing blob is false', async () => {
      const store = await makeStore();
      try {
        const before = Date.now() - 60_000;
        const small = Buffer.from('listed blob');
        await store.putBytes(digestOf(small), small);
        const { id } = await store.startUpload();
        await store.appendUpload(id, 0, Readable.from([Buffer.alloc(3000, 1)]));
        await store.finishUpload(id, digestOf(Buffer.alloc(3000, 1)));
        const listed = [];
        for await (const blob of store.list()) listed.push(blob);
        listed.sort((a, b) => a.size - b.size);
        assert.deepEqual(listed.map((b) => [b.digest, b.size]), [[digestOf(small), small.length], [digestOf(Buffer.alloc(3000, 1)), 3000]], 'uploads in progress are not blobs');
        for (const blob of listed) {
          assert.ok(blob.modifiedAt instanceof Date);
          assert.ok(blob.modifiedAt.getTime() > before && blob.modifiedAt.getTime() < Date.now() + 60_000, `${blob.modifiedAt.toISOString()} is about now`);
        }
        assert.equal(await store.delete(digestOf('never stored')), false);
      } finally {
        await store.close();
      }
    });

    test('putBytes refuses bytes that do not match the digest and stores nothing', async () => {
      const store = await makeStore();
      try {
        const claimed = digestOf('something else');
        await assert.rejects(store.putBytes(claimed, Buffer.from('tampered')), code('DIGEST_INVALID'));
        assert.equal(await store.stat(claimed), undefined);
        assert.deepEqual(await listAll(store), []);
      } finally {
        await store.close();
      }
    });

    test('reading a missing blob is BLOB_UNKNOWN', async () => {
      const store = await makeStore();
      try {
        await assert.rejects(store.read(digestOf('absent')), code('BLOB_UNKNOWN'));
        assert.equal(await store.delete(digestOf('absent')), false);
      } finally {
        await store.close();
      }
    });

    test('chunked upload: appends in order, state follows, finish verifies and publishes', async () => {
      const store = await makeStore();
      try {
        const started = await store.startUpload();
        assert.match(started.id, /^[A-Za-z0-9_-]{1,128}$/);
        assert.equal(started.size, 0);
        assert.ok(started.startedAt instanceof Date);
        const parts = [Buffer.from('first '), Buffer.from('second '), Buffer.from('third')];
        let offset = 0;
        for (const part of parts) {
          const state = await store.appendUpload(started.id, offset, Readable.from([part]));
          offset += part.length;
          assert.equal(state.size, offset);
          assert.equal((await store.uploadState(started.id))?.size, offset);
        }
        const whole = Buffer.concat(parts);
        const digest = digestOf(whole);
        assert.equal(await store.stat(digest), undefined, 'not visible before finish');
        assert.deepEqual(await store.finishUpload(started.id, digest), { digest, size: whole.length });
        assert.deepEqual(await readAll(await store.read(digest)), whole);
        assert.equal(await store.uploadState(started.id), undefined, 'the upload is gone once finished');
      } finally {
        await store.close();
      }
    });

    test('appending at the wrong offset is RANGE_INVALID and changes nothing', async () => {
      const store = await makeStore();
      try {
        const { id } = await store.startUpload();
        await store.appendUpload(id, 0, Readable.from([Buffer.from('abc')]));
        await assert.rejects(store.appendUpload(id, 0, Readable.from([Buffer.from('xyz')])), code('RANGE_INVALID'));
        await assert.rejects(store.appendUpload(id, 5, Readable.from([Buffer.from('xyz')])), code('RANGE_INVALID'));
        assert.equal((await store.uploadState(id))?.size, 3);
        await store.appendUpload(id, 3, Readable.from([Buffer.from('def')]));
        const digest = digestOf('abcdef');
        await store.finishUpload(id, digest);
        assert.equal((await readAll(await store.read(digest))).toString(), 'abcdef');
      } finally {
        await store.close();
      }
    });

    test('a body that fails midway leaves the upload as it was, and hashing stays right', async () => {
      const store = await makeStore();
      try {
        const { id } = await store.startUpload();
        await store.appendUpload(id, 0, Readable.from([Buffer.from('keep ')]));
        await assert.rejects(store.appendUpload(id, 5, failing(Buffer.from('GARBAGE'))), (e: unknown) => e instanceof ServeError);
        assert.equal((await store.uploadState(id))?.size, 5);
        await store.appendUpload(id, 5, Readable.from([Buffer.from('going')]));
        const digest = digestOf('keep going');
        assert.deepEqual(await store.finishUpload(id, digest), { digest, size: 10 });
      } finally {
        await store.close();
      }
    });

    test('maxBytes: SIZE_INVALID past the limit, upload unchanged', async () => {
      const store = await makeStore();
      try {
        const { id } = await store.startUpload();
        await store.appendUpload(id, 0, Readable.from([Buffer.alloc(6)]), { maxBytes: 10 });
        await assert.rejects(store.appendUpload(id, 6, Readable.from([Buffer.alloc(3), Buffer.alloc(3)]), { maxBytes: 10 }), code('SIZE_INVALID'));
        assert.equal((await store.uploadState(id))?.size, 6);
        await store.cancelUpload(id);
      } finally {
        await store.close();
      }
    });

    test('finishing with the wrong digest is DIGEST_INVALID and leaves nothing behind', async () => {
      const store = await makeStore();
      try {
        const { id } = await store.startUpload();
        await store.appendUpload(id, 0, Readable.from([Buffer.from('real content')]));
        const wrong = digestOf('claimed content');
        await assert.rejects(store.finishUpload(id, wrong), code('DIGEST_INVALID'));
        assert.equal(await store.stat(wrong), undefined);
        assert.equal(await store.stat(digestOf('real content')), undefined);
        assert.equal(await store.uploadState(id), undefined);
        assert.deepEqual(await listAll(store), []);
      } finally {
        await store.close();
      }
    });

    test('an empty upload makes the empty blob', async () => {
      const store = await makeStore();
      try {
        const { id } = await store.startUpload();
        const digest = digestOf('');
        assert.deepEqual(await store.finishUpload(id, digest), { digest, size: 0 });
        assert.deepEqual(await readAll(await store.read(digest)), Buffer.alloc(0));
      } finally {
        await store.close();
      }
    });

    test('cancel removes the upload; unknown ids are unknown; stale uploads are listed', async () => {
      const store = await makeStore();
      try {
        const a = await store.startUpload();
        const b = await store.startUpload();
        assert.notEqual(a.id, b.id);
        await store.cancelUpload(a.id);
        assert.equal(await store.uploadState(a.id), undefined);
        await assert.rejects(store.appendUpload(a.id, 0, Readable.from([Buffer.from('x')])), code('BLOB_UPLOAD_UNKNOWN'));
        await assert.rejects(store.finishUpload(a.id, digestOf('')), code('BLOB_UPLOAD_UNKNOWN'));
        assert.equal(await store.uploadState('no-such-upload'), undefined);
        assert.equal(await store.uploadState('../../etc'), undefined);
        assert.deepEqual(await store.staleUploads(new Date(Date.now() - 3_600_000)), []);
        assert.deepEqual(await store.staleUploads(new Date(Date.now() + 3_600_000)), [b.id]);
        await store.cancelUpload(b.id);
      } finally {
        await store.close();
      }
    });

    test('the owner given at start (repository, user) comes back with every state; stale uploads cancelled leave nothing', async () => {
      const store = await makeStore();
      try {
        const owner = { repository: 'team/app', principal: 'alice' };
        const started = await store.startUpload(owner);
        assert.deepEqual(started.owner, owner);
        assert.deepEqual((await store.appendUpload(started.id, 0, Readable.from([Buffer.from('abc')]))).owner, owner);
        assert.deepEqual((await store.uploadState(started.id))?.owner, owner);
        const anonymous = await store.startUpload({ repository: 'public/x' });
        assert.deepEqual((await store.uploadState(anonymous.id))?.owner, { repository: 'public/x' });
        const ownerless = await store.startUpload();
        assert.equal((await store.uploadState(ownerless.id))?.owner, undefined);
        const stale = await store.staleUploads(new Date(Date.now() + 3_600_000));
        assert.deepEqual(stale, [started.id, anonymous.id, ownerless.id].sort());
        for (const id of stale) await store.cancelUpload(id);
        assert.deepEqual(await store.staleUploads(new Date(Date.now() + 3_600_000)), []);
        assert.equal(await store.uploadState(started.id), undefined);
      } finally {
        await store.close();
      }
    });

    test('a large blob streams through in bounded chunks, in two appends, and reads back identical', async () => {
      const store = await makeStore();
      try {
        const total = 24 * 1024 * 1024 + 17;
        const half = 10 * 1024 * 1024;
        const expected = createHash('sha256');
        for await (const c of generated(total, 7)) expected.update(c as Buffer);
        const digest = `sha256:${expected.digest('hex')}` as Digest;
        const { id } = await store.startUpload();
        // Memory stays bounded: each append regenerates its slice instead of buffering the blob.
        const slice = (from: number, to: number): Readable => {
          const gen = generated(total, 7);
          let pos = 0;
          return Readable.from(
            (async function* () {
              for await (const c of gen) {
                const buf = c as Buffer;
                const start = Math.max(from - pos, 0);
                const end = Math.min(to - pos, buf.length);
                if (end > start) yield buf.subarray(start, end);
                pos += buf.length;
                if (pos >= to) break;
              }
            })(),
          );
        };
        await store.appendUpload(id, 0, slice(0, half));
        await store.appendUpload(id, half, slice(half, total));
        assert.deepEqual(await store.finishUpload(id, digest), { digest, size: total });
        const back = createHash('sha256');
        let size = 0;
        for await (const c of await store.read(digest)) {
          back.update(c as Buffer);
          size += (c as Buffer).length;
        }
        assert.equal(size, total);
        assert.equal(`sha256:${back.digest('hex')}`, digest);
        const tailRange = await readAll(await store.read(digest, { start: total - 17, end: total - 1 }));
        assert.equal(tailRange.length, 17);
      } finally {
        await store.close();
      }
    });

    test('concurrent uploads of the same content both succeed and leave one blob', async () => {
      const store = await makeStore();
      try {
        const data = Buffer.from('same bytes from two clients');
        const digest = digestOf(data);
        const [a, b] = await Promise.all([store.startUpload(), store.startUpload()]);
        await Promise.all([store.appendUpload(a.id, 0, Readable.from([data])), store.appendUpload(b.id, 0, Readable.from([data]))]);
        const results = await Promise.all([store.finishUpload(a.id, digest), store.finishUpload(b.id, digest)]);
        assert.deepEqual(results, [{ digest, size: data.length }, { digest, size: data.length }]);
        assert.deepEqual(await listAll(store), [digest]);
      } finally {
        await store.close();
      }
    });
  });
}
