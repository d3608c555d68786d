import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyError } from '../../src/trust/keys/index.js';
import { PASSPHRASE_ENV, readHiddenLine, resolvePassphrase } from '../../src/cli/passphrase.js';
import { errorText, thrown } from '../trust/keys/fixtures.js';

function isCode(code: string) {
  return (e: unknown) => e instanceof KeyError && e.code === code;
}

class FakeTty extends EventEmitter {
  raw: boolean[] = [];
  paused = true;
  setRawMode(mode: boolean) {
    this.raw.push(mode);
    return this;
  }
  resume() {
    this.paused = false;
    return this;
  }
  pause() {
    this.paused = true;
    return this;
  }
}

class Capture {
  text = '';
  write(s: string) {
    this.text += s;
    return true;
  }
}

test('environment variables per role', async () => {
  const env = { [PASSPHRASE_ENV.root]: 'root-env-secret', [PASSPHRASE_ENV.repository]: 'repo-env-secret' };
  assert.deepEqual(await resolvePassphrase('root', { env, prompt: null }), { passphrase: 'root-env-secret', source: 'env' });
  assert.deepEqual(await resolvePassphrase('repository', { env, prompt: null }), { passphrase: 'repo-env-secret', source: 'env' });
  assert.equal(PASSPHRASE_ENV.root, 'PORTCULLIS_ROOT_PASSPHRASE');
  assert.equal(PASSPHRASE_ENV.repository, 'PORTCULLIS_REPOSITORY_PASSPHRASE');
});

test('a passphrase file wins over the environment; one trailing newline is dropped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-pass-'));
  try {
    const file = join(dir, 'pass');
    await writeFile(file, 'file-secret  \n', { mode: 0o600 });
    const env = { PORTCULLIS_ROOT_PASSPHRASE: 'env-secret' };
    assert.deepEqual(await resolvePassphrase('root', { file, env, prompt: null }), { passphrase: 'file-secret  ', source: 'file' });
    await writeFile(file, 'crlf-secret\r\n\n');
    assert.equal((await resolvePassphrase('root', { file, env: {}, prompt: null })).passphrase, 'crlf-secret\r\n');
    await writeFile(file, '\n');
    await assert.rejects(resolvePassphrase('root', { file, env: {}, prompt: null }), isCode('PASSPHRASE_REQUIRED'));
    await assert.rejects(resolvePassphrase('root', { file: join(dir, 'missing'), env: {}, prompt: null }), isCode('PASSPHRASE_REQUIRED'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the prompt is used last, is injectable, confirms new passphrases', async () => {
  const asked: string[] = [];
  const answers = ['typed-secret', 'typed-secret'];
  const prompt = async (m: string) => {
    asked.push(m);
    return answers.shift() ?? '';
  };
  assert.deepEqual(await resolvePassphrase('repository', { env: {}, prompt, confirm: true }), { passphrase: 'typed-secret', source: 'prompt' });
  assert.equal(asked.length, 2);
  for (const m of asked) assert.ok(!m.includes('typed-secret'));

  const mismatch = ['one-secret', 'two-secret'];
  const err = await thrown(() => resolvePassphrase('root', { env: {}, prompt: async () => mismatch.shift()!, confirm: true }));
  assert.ok(isCode('PASSPHRASE_MISMATCH')(err));
  assert.ok(!errorText(err).includes('one-secret') && !errorText(err).includes('two-secret'));
  await assert.rejects(resolvePassphrase('root', { env: {}, prompt: async () => '' }), isCode('PASSPHRASE_REQUIRED'));
  await assert.rejects(resolvePassphrase('root', { env: {}, prompt: null }), isCode('PASSPHRASE_REQUIRED'));
});

test('readHiddenLine: raw mode on then off, nothing echoed, editing keys honoured', async () => {
  const tty = new FakeTty();
  const out = new Capture();
  const line = readHiddenLine(tty, out, 'Passphrase: ');
  tty.emit('data', Buffer.from('sx'));
  tty.emit('data', Buffer.from('\u007fecr'));
  tty.emit('data', 'et\r');
  assert.equal(await line, 'secret');
  assert.deepEqual(tty.raw, [true, false]);
  assert.equal(tty.paused, true);
  assert.equal(out.text, 'Passphrase: \n', 'only the prompt and a newline are written');
  assert.equal(tty.listenerCount('data'), 0);

  const cleared = readHiddenLine(tty, out, '> ');
  tty.emit('data', 'wrong\u0015right\n');
  assert.equal(await cleared, 'right');
});

test('readHiddenLine: Ctrl-C and Ctrl-D abort with PASSPHRASE_ABORTED and restore the terminal', async () => {
  for (const key of ['\u0003', '\u0004']) {
    const tty = new FakeTty();
    const out = new Capture();
    const line = readHiddenLine(tty, out, 'Passphrase: ');
    tty.emit('data', key === '\u0003' ? `partial${key}` : key);
    await assert.rejects(line, isCode('PASSPHRASE_ABORTED'));
    assert.deepEqual(tty.raw, [true, false]);
    assert.ok(!out.text.includes('partial'));
  }
});

test('readHiddenLine: a UTF-8 character split across chunks is read whole', async () => {
  const tty = new FakeTty();
  const line = readHiddenLine(tty, new Capture(), '> ');
  const e = Buffer.from('é');
  tty.emit('data', Buffer.concat([Buffer.from('caf'), e.subarray(0, 1)]));
  tty.emit('data', Buffer.concat([e.subarray(1), Buffer.from('\r')]));
  assert.equal(await line, 'café');
});
