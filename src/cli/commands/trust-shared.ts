/**
 * What the trust commands share: the key store with the test-only scrypt
 * knob, passphrases, content-trust switches and the policy file.
 */
import { dirname, join } from 'node:path';
import { KeyStore, type KeyRole, parsePolicy, type Policy } from '../../trust/index.js';
import { configuredNotaryServer, NotaryPublishError, readKeyFiles, type KeyFile } from '../../engine/trust/index.js';
import { resolvePassphrase, type PromptFunction } from '../passphrase.js';
import { UsageError } from '../flags.js';
import { contentTrustFromEnv, portcullisHome } from '../trust-gate.js';
import type { OutputStreams } from '../output.js';
import { CoreError, readRegularFile, UserFileError } from '../../core/index.js';

/** A policy is a few KiB of YAML. */
const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * TEST ONLY: `PORTCULLIS_TEST_SCRYPT_N` lowers the scrypt cost of keys the
 * CLI writes (a power of two ≥ 16384), so test suites do not spend a second
 * per key. Never set it for real keys: it weakens their protection.
 */
export const TEST_SCRYPT_ENV = 'PORTCULLIS_TEST_SCRYPT_N';

export function openKeyStoreFromEnv(env: NodeJS.ProcessEnv): KeyStore {
  const n = env[TEST_SCRYPT_ENV];
  if (n !== undefined && n !== '') {
    const N = Number(n);
    if (!Number.isInteger(N) || N < 16384 || (N & (N - 1)) !== 0) throw new UsageError(`${TEST_SCRYPT_ENV} must be a power of two ≥ 16384`);
    return new KeyStore({ env, scrypt: { N, r: 8, p: 1 } });
  }
  return new KeyStore({ env });
}

export interface PassphraseFlags {
  passphraseFile?: string;
  rootPassphraseFile?: string;
  /** Tests: forbid the terminal prompt. */
  prompt?: PromptFunction | null;
}

export async function passphrase(
  role: KeyRole,
  flags: PassphraseFlags,
  env: NodeJS.ProcessEnv,
  options: { confirm?: boolean; label?: string; envName?: string; allowEmptyEnv?: boolean } = {},
): Promise<string> {
  const file = role === 'root' ? flags.rootPassphraseFile : flags.passphraseFile;
  const resolved = await resolvePassphrase(role, {
    env,
    ...(file !== undefined ? { file } : {}),
    ...(flags.prompt !== undefined ? { prompt: flags.prompt } : {}),
    ...(options.confirm ? { confirm: true } : {}),
    ...(options.label ? { label: options.label } : {}),
    ...(options.envName ? { envName: options.envName } : {}),
    ...(options.allowEmptyEnv ? { allowEmptyEnv: true } : {}),
  });
  return resolved.passphrase;
}

export interface ContentTrustFlags {
  contentTrust?: boolean;
  disableContentTrust?: boolean;
  policy?: string;
  /** `--notary-server URL`: the Notary v1 server to ask (else the environment, else the registry). */
  notaryServer?: string;
}

/**
 * The Notary server, as Docker chooses it: `--notary-server`, then
 * PORTCULLIS_CONTENT_TRUST_SERVER, then DOCKER_CONTENT_TRUST_SERVER; none: the
 * registry's own (engine/trust/notary-source.ts). A configured one that fails refuses.
 */
export function notarySettings(flag: string | undefined, env: NodeJS.ProcessEnv): { server?: string } {
  try {
    const url = configuredNotaryServer(flag, env);
    return url ? { server: url.href } : {};
  } catch (error) {
    if (error instanceof NotaryPublishError) throw new UsageError(`${error.message} (https://HOST[:PORT])`);
    throw error;
  }
}

/** On with --content-trust or PORTCULLIS_CONTENT_TRUST set to anything but empty/0/false/no/off (trust-gate.ts), off with --disable-content-trust (loudly). */
export function contentTrustEnabled(flags: ContentTrustFlags, io: OutputStreams): boolean {
  if (flags.contentTrust && flags.disableContentTrust) throw new UsageError('--content-trust and --disable-content-trust cannot be used together');
  if (flags.disableContentTrust) {
    io.stderr.write(
      'portcullis: WARNING: content trust is DISABLED for this command: the image is used without verifying who signed it, and no trust policy is enforced.\n',
    );
    return false;
  }
  if (flags.contentTrust) return true;
  return contentTrustFromEnv(io.env);
}

export { portcullisHome } from '../trust-gate.js';

export interface LoadedPolicy {
  policy?: Policy;
  keys: KeyFile[];
}

/** `--policy FILE`, else `$PORTCULLIS_HOME/policy.yaml` when it exists; key files it names are read (relative to the policy). */
export async function loadPolicy(path: string | undefined, env: NodeJS.ProcessEnv): Promise<LoadedPolicy> {
  const file = path ?? join(portcullisHome(env), 'policy.yaml');
  let text: string;
  try {
    text = (await readRegularFile(file, { what: `the policy file ${file}`, maxBytes: MAX_POLICY_BYTES })).toString('utf8');
  } catch (error) {
    if (error instanceof UserFileError || (error instanceof CoreError && error.code === 'TOO_LARGE')) throw error;
    if (path === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return { keys: [] };
    throw new UsageError(`cannot read the policy file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const policy = parsePolicy(text, file);
  const paths = new Set<string>();
  for (const entry of policy.entries) for (const k of entry.keys) if (k.kind === 'file') paths.add(k.path);
  const keys = await readKeyFiles([...paths], dirname(file));
  return { policy, keys };
}
