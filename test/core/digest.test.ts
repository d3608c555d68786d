import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { DigestVerifier, isDigest, parseDigest, sha256Digest } from '../../src/core/digest.js';
import { CoreError } from '../../src/core/errors.js';

const sink = (): Writable => new Writable({ write: (_c, _e, done) => done() });
const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error instanceof CoreError ? error.code : `unexpected ${String(error)}`;
  }
};

test('digest syntax', () => {
  assert.ok(isDigest(sha256Digest('x')));
  assert.equal(sha256Digest(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.ok(!isDigest('sha256:ABC'));
  assert.ok(!isDigest('md5:d41d8cd98f00b204e9800998ecf8427e'));
  assert.throws(() => parseDigest('sha256:xyz'), /invalid digest/);
});

test('the verifier passes matching bytes and fails on every kind of mismatch', async () => {
  const data = Buffer.from('hello layer');
  const digest = sha256Digest(data);
  assert.equal(await codeOf(pipeline(Readable.from([data]), new DigestVerifier(digest, { size: data.length }), sink())), 'ok');
  assert.equal(
    await codeOf(pipeline(Readable.from([Buffer.from('hello layeR')]), new DigestVerifier(digest, { size: data.length }), sink())),
    'DIGEST_MISMATCH',
  );
  assert.equal(
    await codeOf(pipeline(Readable.from([data.subarray(0, 5)]), new DigestVerifier(digest, { size: data.length }), sink())),
    'TRUNCATED',
  );
  assert.equal(
    await codeOf(pipeline(Readable.from([data, Buffer.from('!')]), new DigestVerifier(digest, { size: data.length }), sink())),
    'SIZE_MISMATCH',
  );
});
