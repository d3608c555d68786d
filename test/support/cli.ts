/**
 * Runs the CLI in-process with captured output (fast), or as a real child
 * process through bin/portcullis.js (for exit codes as a shell sees them).
 * The layer analysis cache is off unless a test turns it on
 * (`PORTCULLIS_LAYER_CACHE: 'on'`): a scan must not depend on, nor fill, the
 * cache of the user running the tests.
 */
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { CLI, REPO_ROOT } from './paths.js';
import { runCommand } from './peers.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(['node', 'portcullis', ...args], {
    stdout,
    stderr,
    env: { ...process.env, NO_COLOR: '1', PORTCULLIS_LAYER_CACHE: 'off', ...env },
  });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** The real executable, as a user's shell runs it. */
export async function runCliProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliResult> {
  return runCommand(process.execPath, [CLI, ...args], {
    env: { ...process.env, NO_COLOR: '1', PORTCULLIS_LAYER_CACHE: 'off', ...env },
    cwd: REPO_ROOT,
    ...(input !== undefined ? { input } : {}),
  });
}
