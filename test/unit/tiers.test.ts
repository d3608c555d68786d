/**
 * The tier guard (test/support/tier-guard.ts) does what the tiers rely on: a
 * fast-tier file that starts a program other than node fails with the fix in
 * the message, whichever way it starts it, while a `*.peer.test.js` file may;
 * node itself (our CLI as a process) is allowed everywhere; and a fast-tier
 * test that finds its peer missing fails instead of skipping.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../support/paths.js';

const GUARD = join(REPO_ROOT, 'dist', 'test', 'support', 'tier-guard.js');
const REQUIRE_PEER = pathToFileURL(join(REPO_ROOT, 'dist', 'test', 'support', 'require-peer.js')).href;
const dir = mkdtempSync(join(tmpdir(), 'portcullis-tiers-'));
// The guard goes by compiled names (*.test.js, *.peer.test.js); these are ES modules.
writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one test file under the guard, as scripts/run-tests.ts does; its exit code and output. */
function runUnderGuard(name: string, body: string): { code: number | null; output: string } {
  const file = join(dir, name);
  writeFileSync(file, `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n${body}\n`);
  // Without NODE_TEST_CONTEXT, which would make the inner runner report to this one instead of printing.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--import', GUARD, '--test', file], { encoding: 'utf8', env: { ...env, PORTCULLIS_REQUIRE_PEERS: '' } });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const SPAWNS = `
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
test('starts true three ways', async () => {
  assert.equal(spawnSync('true').status, 0);
  execFileSync('true');
  const { stdout } = await promisify(execFile)('echo', ['hi']);
  assert.equal(stdout, 'hi\\n');
});`;

test('a fast-tier file that starts a program fails, naming the program and the fix; a peer file may', () => {
  const fast = runUnderGuard('spawns.test.js', SPAWNS);
  assert.notEqual(fast.code, 0);
  assert.match(fast.output, /spawns\.test\.js uses the program "true", a peer: .*Move the test into a file named \*\.peer\.test\.ts/);
  const peer = runUnderGuard('spawns.peer.test.js', SPAWNS);
  assert.equal(peer.code, 0, peer.output);
});

test('node itself may be started from a fast-tier file (the CLI as a process)', () => {
  const r = runUnderGuard(
    'node.test.js',
    `import { spawnSync } from 'node:child_process';
test('node -e', () => assert.equal(spawnSync(process.execPath, ['-e', 'process.exit(3)']).status, 3));`,
  );
  assert.equal(r.code, 0, r.output);
});

test('a fast-tier test whose peer is missing fails instead of skipping', () => {
  const body = `import { missingPeer } from '${REQUIRE_PEER}';
test('needs chromium', (t) => missingPeer(t, 'no Chromium at /nowhere'));`;
  const fast = runUnderGuard('missing.test.js', body);
  assert.notEqual(fast.code, 0);
  assert.match(fast.output, /no Chromium at \/nowhere: missing, and a fast-tier test \(\*\.test\.ts\) never skips/);
  const peer = runUnderGuard('missing.peer.test.js', body);
  assert.equal(peer.code, 0, peer.output);
  assert.match(peer.output, /# skipped 1/);
});
