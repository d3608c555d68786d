/**
 * pipeIntoFile: a pipeline that fails leaves no file, also when it fails
 * before the write stream has opened its file (the race that left `.tmp-*`
 * files in OCI layouts); a file already there under `wx` is someone else's
 * and stays byte for byte; a pipeline that succeeds writes exactly the bytes.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { after, test } from 'node:test';
import { pipeIntoFile } from '../../src/core/file-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-file-sink-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Fails on the first chunk, as a digest verifier does on a wrong size. */
const refuseAll = (): Transform =>
  new Transform({
    transform(_chunk, _encoding, callback) {
      callback(new Error('refused'));
    },
  });

test('a pipeline failing at once leaves no file, every time (the open completes after the failure)', async () => {
  for (let i = 0; i < 200; i++) {
    await assert.rejects(pipeIntoFile(Readable.from([Buffer.from('x')]), [refuseAll()], join(dir, `early-${i}`)), /refused/);
  }
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('early-')), []);
});

test('a source failing midway leaves no file; one already there under wx is kept byte for byte', async () => {
  const failing = new Readable({ read() {} });
  const midway = join(dir, 'midway');
  const done = pipeIntoFile(failing, [], midway);
  failing.push(Buffer.alloc(1024, 1));
  setImmediate(() => failing.destroy(new Error('connection reset')));
  await assert.rejects(done, /connection reset/);
  assert.equal(existsSync(midway), false);

  const taken = join(dir, 'taken');
  writeFileSync(taken, 'someone else');
  await assert.rejects(pipeIntoFile(Readable.from([Buffer.from('mine')]), [], taken), { code: 'EEXIST' });
  assert.equal(readFileSync(taken, 'utf8'), 'someone else');
});

test('a pipeline that succeeds writes exactly the bytes (wx, w, a)', async () => {
  const path = join(dir, 'ok');
  await pipeIntoFile(Readable.from([Buffer.from('one '), Buffer.from('two')]), [], path);
  assert.equal(readFileSync(path, 'utf8'), 'one two');
  await pipeIntoFile(Readable.from([Buffer.from(' three')]), [], path, { flags: 'a' });
  assert.equal(readFileSync(path, 'utf8'), 'one two three');
  await pipeIntoFile(Readable.from([Buffer.from('new')]), [], path, { flags: 'w', mode: 0o600 });
  assert.equal(readFileSync(path, 'utf8'), 'new');
});
