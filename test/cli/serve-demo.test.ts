/**
 * `portcullis serve --demo`, the README's first command, run as a user runs
 * it: it serves on loopback, pushes the bundled example image, scans it, and
 * says what it found and where to look; without a database it says how to
 * get one. Ctrl-C (SIGINT) stops it with exit code 0 and removes its data.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importPaths } from '../../src/vuln/db.js';
import { TINY_IMAGE_ADVISORIES, writeAdvisories } from '../support/osv.js';
import { CLI, REPO_ROOT } from '../support/paths.js';

interface DemoRun {
  readonly stderr: string;
  readonly ui: string;
  readonly code: number | null;
}

/** Starts the demo, waits for its last line, reads the image page, then stops it with SIGINT. */
async function runDemo(env: NodeJS.ProcessEnv): Promise<DemoRun> {
  const child = spawn(process.execPath, [CLI, 'serve', '--demo', '--addr', '127.0.0.1:0', '--log-level', 'silent'], { cwd: REPO_ROOT, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (/Ctrl-C stops/.test(stderr)) resolve();
    });
    void exited.then((code) => reject(new Error(`demo exited early (${code}): ${stderr}`)));
  });
  const page = /see it at (\S+)/.exec(stderr)?.[1];
  assert.ok(page, stderr);
  const ui = await (await fetch(page)).text();
  child.kill('SIGINT');
  return { stderr, ui, code: await exited };
}

test('serve --demo: the example is pushed and scanned (lodash 4.17.15: 2 HIGH), shown in the UI; Ctrl-C exits 0 and removes the data', async () => {
  const work = await mkdtemp(join(tmpdir(), 'portcullis-demo-test-'));
  try {
    const db = join(work, 'advisories.sqlite');
    await importPaths(db, [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
    const run = await runDemo({ PORTCULLIS_DB: db });
    assert.match(run.stderr, /demo: pushed the example image as 127\.0\.0\.1:\d+\/demo\/hello:latest/);
    assert.match(run.stderr, /demo: scanned: 2 HIGH \(2 packages\)/);
    assert.match(run.ui, /lodash/);
    assert.match(run.ui, /GHSA-35jh-r3h4-6jhm/);
    assert.equal(run.code, 0, run.stderr);
    const root = /storage:\s+folder (\S+)/.exec(run.stderr)?.[1];
    assert.ok(root && !existsSync(root), `demo data left behind at ${root}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('serve --demo without an advisory database says how to get one', async () => {
  const work = await mkdtemp(join(tmpdir(), 'portcullis-demo-test-'));
  try {
    const run = await runDemo({ PORTCULLIS_DB: join(work, 'none.sqlite') });
    assert.match(run.stderr, /no advisory database yet.*portcullis db update/s);
    assert.match(run.stderr, /portcullis db import DIR/);
    assert.equal(run.code, 0, run.stderr);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
