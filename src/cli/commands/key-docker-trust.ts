/**
 * `portcullis key import-docker-trust [DIR]` (default ~/.docker/trust): the
 * roots Docker pinned and the keys it holds, into portcullis
 * (engine/notary/docker-trust.ts does the work). Docker's passphrases come
 * from DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE (root keys) and
 * DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE (targets, snapshot, delegation
 * keys), else the no-echo prompt; the keys are kept under the portcullis
 * passphrases (PORTCULLIS_ROOT_PASSPHRASE / PORTCULLIS_REPOSITORY_PASSPHRASE,
 * the passphrase files, or the prompt), as the key store's own.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { importDockerTrust } from '../../engine/trust/index.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson, type OutputStreams } from '../output.js';
import { UsageError } from '../flags.js';
import { parseFormat } from './shared.js';
import { passphrase, TEST_SCRYPT_ENV, type PassphraseFlags } from './trust-shared.js';

export interface ImportDockerTrustFlags extends PassphraseFlags {
  replace?: boolean;
  format?: string;
}

export async function keyImportDockerTrust(dir: string | undefined, options: ImportDockerTrustFlags, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, ['text', 'json'] as const, 'text');
  const directory = dir ?? join(io.env.DOCKER_CONFIG ?? join(io.env.HOME ?? homedir(), '.docker'), 'trust');
  const cache = new Map<string, string>();
  const n = io.env[TEST_SCRYPT_ENV];
  if (n !== undefined && n !== '' && !/^\d+$/.test(n)) throw new UsageError(`${TEST_SCRYPT_ENV} must be a power of two ≥ 16384`);
  const report = await importDockerTrust(directory, {
    env: io.env,
    ...(options.replace ? { replace: true } : {}),
    ...(n ? { scrypt: { N: Number(n), r: 8, p: 1 } } : {}),
    dockerPassphrase: async (role, gun) => {
      const envName = role === 'root' ? 'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE' : 'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE';
      const cached = cache.get(envName);
      if (cached !== undefined) return cached;
      const value = await passphrase(role === 'root' ? 'root' : 'repository', { ...(options.prompt !== undefined ? { prompt: options.prompt } : {}) }, io.env, {
        envName,
        label: `Docker ${role} key${gun ? ` of ${gun}` : ''}`,
      });
      cache.set(envName, value);
      return value;
    },
    storePassphrase: (role) => passphrase(role, options, io.env),
  });
  if (format === 'json') writeJson(io.stdout, report);
  else {
    const lines = [`Docker trust directory: ${report.directory}`];
    for (const r of report.roots) lines.push(`root  ${r.gun}${r.version !== undefined ? ` v${r.version}` : ''}: ${r.status}${r.detail ? ` (${r.detail})` : ''}`);
    for (const k of report.keys) lines.push(`key   ${k.id.slice(0, 12)} ${k.role}${k.gun ? ` ${k.gun}` : ''}: ${k.status}${k.detail ? ` (${k.detail})` : ''}`);
    if (report.roots.length === 0 && report.keys.length === 0) lines.push('nothing to import (no tuf/*/metadata/root.json, no private/*.key)');
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  const failed = report.roots.some((r) => r.status === 'invalid') || report.keys.some((k) => k.status === 'failed');
  return failed ? ExitCode.Findings : ExitCode.Ok;
}
