import assert from 'node:assert/strict';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';
import { blobStoreContract, digestOf } from './contract.js';

const makeStore = async (): Promise<FilesystemBlobStore> => new FilesystemBlobStore(await mkdtemp(join(tmpdir(), 'portcullis-blobs-')));

blobStoreContract('filesystem', makeStore);

test('filesystem layout: blobs/sha256/<2 hex>/<hex>, 0644 files, 0755 folders, no temporaries left', async () => {
  const store = await makeStore();
  const data = Buffer.from('layout check');
  const digest = digestOf(data);
  await store.putBytes(digest, data);
  const hex = digest.slice('sha256:'.length);
  const file = join(store.root, 'blobs', 'sha256', hex.slice(0, 2), hex);
  assert.equal((await stat(file)).mode & 0o777, 0o644);
  assert.equal((await stat(join(store.root, 'blobs', 'sha256', hex.slice(0, 2)))).mode & 0o777, 0o755);
  const { id } = await store.startUpload();
  await store.appendUpload(id, 0, Readable.from([Buffer.from('via upload')]));
  const uploaded = digestOf('via upload');
  await store.finishUpload(id, uploaded);
  const uhex = uploaded.slice('sha256:'.length);
  assert.equal((await stat(join(store.root, 'blobs', 'sha256', uhex.slice(0, 2), uhex))).mode & 0o777, 0o644);
  assert.deepEqual(await readdir(join(store.root, 'uploads')), []);
  assert.deepEqual(await readdir(join(store.root, 'tmp')), []);
});

test('filesystem: a new store instance (a restart) finishes an upload begun by another, rehashing the file', async () => {
  const first = await makeStore();
  const { id } = await first.startUpload();
  await first.appendUpload(id, 0, Readable.from([Buffer.from('before restart, ')]));
  const second = new FilesystemBlobStore(first.root);
  assert.equal((await second.uploadState(id))?.size, 16);
  await second.appendUpload(id, 16, Readable.from([Buffer.from('after restart')]));
  const digest = digestOf('before restart, after restart');
  assert.deepEqual(await second.finishUpload(id, digest), { digest, size: 29 });
});

test('filesystem: sha512 digests are verified by rehashing', async () => {
  const store = await makeStore();
  const { createHash } = await import('node:crypto');
  const data = Buffer.from('sha512 content');
  const digest = `sha512:${createHash('sha512').update(data).digest('hex')}` as const;
  const { id } = await store.startUpload();
  await store.appendUpload(id, 0, Readable.from([data]));
  assert.deepEqual(await store.finishUpload(id, digest), { digest, size: data.length });
  assert.equal((await store.stat(digest))?.size, data.length);
});

test('filesystem: upload ids that could escape the folder are refused before any file access', async () => {
  const store = await makeStore();
  for (const id of ['..', '../x', 'a/b', '', 'x'.repeat(129), 'a.b']) {
    assert.equal(await store.uploadState(id), undefined, id);
    await store.cancelUpload(id);
  }
  await assert.rejects(store.appendUpload('../../etc', 0, Readable.from([Buffer.from('x')])), (e: unknown) => (e as { code?: string }).code === 'BLOB_UPLOAD_UNKNOWN');
});
