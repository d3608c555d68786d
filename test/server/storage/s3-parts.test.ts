/**
 * The pieces of the S3 store that need no server: cutting parts from a
 * request body, the resumable SHA-256 handed between processes, the upload
 * state read back from the bucket (hostile until checked), and the multipart
 * ETag the publishing copy is checked against.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { PartBuffer } from '../../../src/server/storage/part-buffer.js';
import { ResumableHash } from '../../../src/server/storage/resumable-hash.js';
import { multipartEtag } from '../../../src/server/storage/s3-publish.js';
import { parseStoredUpload } from '../../../src/server/storage/s3-upload-state.js';

test('PartBuffer cuts exact parts across piece boundaries and keeps the rest in order', () => {
  const data = randomBytes(10_000);
  const buffer = new PartBuffer();
  for (let at = 0; at < data.length; at += 333) buffer.add(data.subarray(at, at + 333));
  buffer.add(Buffer.alloc(0));
  assert.equal(buffer.size, data.length);
  const first = buffer.take(4096);
  const second = buffer.take(4096);
  assert.equal(buffer.size, data.length - 8192);
  const rest = buffer.takeAll();
  assert.ok(Buffer.concat([first, second, rest]).equals(data));
  assert.equal(buffer.size, 0);
  assert.equal(buffer.take(10).length, 0);
});

test('a SHA-256 saved after some parts and continued elsewhere equals the hash of the whole', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const one = await ResumableHash.open();
  one.update(data.subarray(0, 1024 * 1024 + 5));
  const saved = one.save();
  const two = await ResumableHash.open(saved);
  two.update(data.subarray(1024 * 1024 + 5));
  assert.equal(two.digest(), `sha256:${createHash('sha256').update(data).digest('hex')}`);
  const fresh = await ResumableHash.open();
  assert.equal(fresh.digest(), `sha256:${createHash('sha256').digest('hex')}`);
});

test('multipartEtag is the ETag S3 (here Swift) gives an object completed from those parts', () => {
  // Observed on Swift 2.30's s3api: six 8 MiB parts, part i filled with the byte i.
  const parts = [1, 2, 3, 4, 5, 6].map((i) => ({ n: i, etag: `"${createHash('md5').update(Buffer.alloc(8 << 20, i)).digest('hex')}"`, size: 8 << 20 }));
  assert.equal(multipartEtag(parts), '"4e3013b287a341fa1e2c7be105bffc73-6"');
});

test('an upload state read back from the bucket is used only when every field holds together', () => {
  const base = { startedAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };
  const part = { n: 1, etag: '"abc"', size: 5 << 20 };
  const good = { ...base, size: (5 << 20) + 3, multipart: 'mp', parts: [part], hash: 'c3RhdGU=', tail: { size: 3, inline: Buffer.from('abc').toString('base64') }, owner: { repository: 'a/b' } };
  assert.deepEqual(parseStoredUpload(good), good);
  assert.deepEqual(parseStoredUpload({ ...base, size: 0, parts: [] }), { ...base, size: 0, parts: [] });
  const bad: Array<[string, unknown]> = [
    ['not an object', 'state'],
    ['the former layout (chunks)', { ...base, size: 3, chunks: [{ key: 'x', size: 3 }] }],
    ['sizes that do not add up', { ...good, size: good.size + 1 }],
    ['parts without a multipart upload', { ...base, size: 5 << 20, parts: [part], hash: 'x' }],
    ['an inline tail of another length', { ...good, tail: { size: 4, inline: Buffer.from('abc').toString('base64') } }],
    ['a tail object outside the upload', { ...good, tail: { size: 3, object: '../../blobs/sha256/x' } }],
    ['a tail both inline and an object', { ...good, tail: { size: 3, inline: 'YWJj', object: 'tail-ab' } }],
    ['a negative part size', { ...good, parts: [{ ...part, size: -1 }] }],
    ['a part without an ETag', { ...good, parts: [{ n: 1, size: 5 << 20 }] }],
  ];
  for (const [why, value] of bad) assert.equal(parseStoredUpload(value), undefined, why);
});
