/**
 * `portcullis --version`: the executable answers it without loading the CLI
 * (bin/portcullis.js, src/cli/version.ts) and prints exactly what the
 * program itself prints for it; anything more than the version flag alone
 * goes to the program.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, runCliProcess } from '../support/cli.js';

test('--version and -V from the executable print what the program prints, exit 0; with other arguments the program answers alike', async () => {
  const inProcess = await runCli(['--version']);
  assert.equal(inProcess.code, 0);
  assert.match(inProcess.stdout, /^\d+\.\d+\.\d+\n$/);
  for (const flag of ['--version', '-V']) {
    const r = await runCliProcess([flag]);
    assert.deepEqual(r, { code: 0, stdout: inProcess.stdout, stderr: '' });
  }
  // Not the fast path: the program answers, as it does in-process.
  for (const args of [['--version', 'extra'], ['scan', '--version']]) assert.deepEqual(await runCliProcess(args), await runCli(args));
});
