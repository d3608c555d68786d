/** Shared setup for the trust CLI tests: a temp PORTCULLIS_HOME with cheap scrypt, and registry helpers. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../../../src/image/transports/docker/client.js';
import { runCli, type CliResult } from '../../support/cli.js';

export const ROOT_PASS = 'root-pass-Zq81!unique';
export const REPO_PASS = 'repo-pass-Xy72!unique';

export async function trustHome(): Promise<NodeJS.ProcessEnv> {
  const home = await mkdtemp(join(tmpdir(), 'portcullis-trust-'));
  return {
    PORTCULLIS_HOME: home,
    PORTCULLIS_TEST_SCRYPT_N: '16384',
    PORTCULLIS_ROOT_PASSPHRASE: ROOT_PASS,
    PORTCULLIS_REPOSITORY_PASSPHRASE: REPO_PASS,
    PORTCULLIS_CONTENT_TRUST: '',
    PORTCULLIS_CACHE_DIR: join(home, 'cache'),
  };
}

export async function cli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const result = await runCli(args, env);
  for (const secret of [ROOT_PASS, REPO_PASS]) {
    if (result.stdout.includes(secret) || result.stderr.includes(secret)) throw new Error(`a passphrase appeared in the output of ${args.join(' ')}`);
  }
  return result;
}

export async function client(host: string): Promise<RegistryClient> {
  return RegistryClient.create({ registry: host, tlsVerify: false });
}
