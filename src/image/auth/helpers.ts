/**
 * Docker credential helpers: `docker-credential-NAME get` reads the server
 * URL on stdin and prints `{"ServerURL","Username","Secret"}`; a Username of
 * `<token>` means Secret is an identity token. PATH comes from the given
 * environment.
 * Protocol: https://github.com/docker/docker-credential-helpers#development
 */
import { execFile } from 'node:child_process';
import { isRecord } from '../../core/index.js';
import { AuthError } from './errors.js';
import type { RegistryCredentials } from './types.js';

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NOT_FOUND = /credentials not found/i;

export interface HelperOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs `docker-credential-NAME get`; undefined when the helper has nothing for this server. */
export async function helperGet(name: string, serverUrl: string, options: HelperOptions = {}): Promise<RegistryCredentials | undefined> {
  if (!HELPER_NAME.test(name)) throw new AuthError('CONFIG_INVALID', `invalid credential helper name "${name}"`);
  const program = `docker-credential-${name}`;
  const { code, stdout, stderr, spawnError } = await run(program, ['get'], serverUrl, options);
  if (spawnError) {
    throw new AuthError('HELPER_FAILED', `credential helper ${program} could not be run: ${spawnError}`);
  }
  if (code !== 0) {
    if (NOT_FOUND.test(stdout) || NOT_FOUND.test(stderr)) return undefined;
    throw new AuthError('HELPER_FAILED', `credential helper ${program} failed (exit ${code}): ${firstLine(stderr || stdout)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    // Do not echo the output: it may hold the secret.
    throw new AuthError('HELPER_FAILED', `credential helper ${program} printed something that is not JSON`);
  }
  if (!isRecord(json)) throw new AuthError('HELPER_FAILED', `credential helper ${program} printed something that is not a JSON object`);
  const username = typeof json.Username === 'string' ? json.Username : '';
  const secret = typeof json.Secret === 'string' ? json.Secret : '';
  if (secret === '') return undefined;
  if (username === '<token>') return { username: '', password: '', identityToken: secret };
  return { username, password: secret };
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 200);
}

function run(
  program: string,
  args: string[],
  input: string,
  options: HelperOptions,
): Promise<{ code: number; stdout: string; stderr: string; spawnError?: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      program,
      args,
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 30_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error && typeof (error as { code?: unknown }).code === 'string') {
          resolve({ code: -1, stdout: '', stderr: '', spawnError: (error as { code: string }).code });
          return;
        }
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}
