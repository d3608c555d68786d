/**
 * src/core/user-files.ts on its own: reads capped and regular-only (the null
 * device reads as empty), writes atomic over regular files and exclusive when
 * asked, staged outputs renamed into place or discarded without a trace. The
 * FIFO and device cases run as real commands in test/cli/user-files.test.ts,
 * in child processes that cannot hang the suite.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PortcullisError } from '../../src/core/errors.js';
import { readRegularFile, StagedOutput, writeUserFile } from '../../src/core/user-files.js';

const work = mkdtempSync(join(tmpdir(), 'portcullis-core-user-files-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PortcullisError, String(error));
    return error.code;
  }
  return 'resolved';
}

test('readRegularFile: the bytes; over the cap TOO_LARGE; a directory FILE_NOT_REGULAR; /dev/null is empty', async () => {
  const file = join(work, 'a.txt');
  writeFileSync(file, 'hello');
  assert.equal((await readRegularFile(file, { maxBytes: 5 })).toString(), 'hello');
  assert.equal((await readRegularFile(file)).toString(), 'hello');
  assert.equal(await code(readRegularFile(file, { maxBytes: 4 })), 'TOO_LARGE');
  assert.equal(await code(readRegularFile(work)), 'FILE_NOT_REGULAR');
  assert.equal((await readRegularFile('/dev/null', { maxBytes: 10 })).length, 0);
  // Other character devices are refused (never read forever, never block).
  assert.equal(await code(readRegularFile('/dev/zero', { maxBytes: 10 })), 'FILE_NOT_REGULAR');
  await assert.rejects(readRegularFile(join(work, 'missing')), (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
});

test('writeUserFile: new, replaced (mode kept), exclusive refuses an existing file, a directory is refused', async () => {
  const dir = join(work, 'w');
  mkdirSync(dir);
  const out = join(dir, 'out.txt');
  await writeUserFile(out, 'one');
  assert.equal(readFileSync(out, 'utf8'), 'one');
  await writeUserFile(out, 'two', { mode: 0o600 });
  assert.equal(statSync(out).mode & 0o777, 0o600);
  await writeUserFile(out, 'three');
  assert.equal(readFileSync(out, 'utf8'), 'three');
  assert.equal(statSync(out).mode & 0o777, 0o600, 'the replaced file keeps its mode');
  assert.equal(await code(writeUserFile(out, 'four', { exclusive: true })), 'FILE_EXISTS');
  assert.equal(readFileSync(out, 'utf8'), 'three');
  await writeUserFile(join(dir, 'new.txt'), 'x', { exclusive: true });
  assert.equal(await code(writeUserFile(dir, 'x')), 'FILE_NOT_REGULAR');
  assert.equal(await code(writeUserFile(join(dir, 'nope', 'x.txt'), 'x')), 'FILE_WRITE_FAILED');
  assert.deepEqual(readdirSync(dir).sort(), ['new.txt', 'out.txt'], 'no temp file left');
});

test('StagedOutput: built beside the target and renamed; discarded leaves nothing; a FIFO target stages in the temp directory', async () => {
  const dir = join(work, 's');
  mkdirSync(dir);
  const target = join(dir, 'archive.tar');
  const staged = await StagedOutput.prepare(target);
  assert.equal(staged.plan.kind, 'atomic');
  writeFileSync(staged.tempPath, 'tar bytes');
  await staged.commit();
  assert.equal(readFileSync(target, 'utf8'), 'tar bytes');
  assert.deepEqual(readdirSync(dir), ['archive.tar']);

  const dropped = await StagedOutput.prepare(join(dir, 'other.tar'));
  writeFileSync(dropped.tempPath, 'half');
  await dropped.discard();
  assert.deepEqual(readdirSync(dir), ['archive.tar']);

  // A FIFO (or device) is written in place: the archive is staged in the temp directory, not beside it.
  // (Committing into one is exercised end to end, with a reader, in test/cli/user-files.test.ts.)
  const pipe = join(dir, 'pipe');
  execFileSync('mkfifo', [pipe]);
  const direct = await StagedOutput.prepare(pipe);
  assert.equal(direct.plan.kind, 'direct');
  assert.ok(direct.tempPath.startsWith(tmpdir()) && !direct.tempPath.startsWith(dir));
  writeFileSync(direct.tempPath, 'never sent');
  await direct.discard();
  assert.throws(() => statSync(direct.tempPath), /ENOENT/);
  assert.ok(statSync(pipe).isFIFO());
});
