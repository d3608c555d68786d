/**
 * `portcullis policy export --format containers-policy [--output DIR]`: the
 * trust policy as containers/image reads it (trust/policy/containers-policy.ts
 * translates; this file resolves keys and writes files), so CRI-O, podman and
 * skopeo nodes enforce the same keys.
 *
 * With `--output DIR`, the layout of `/etc/containers` (copy DIR over it):
 * `policy.json` (keys by `keyPath` under `--key-dir`, default
 * /etc/containers/keys), `keys/<id>.pub` (PEM public keys) and
 * `registries.d/portcullis.yaml` (`use-sigstore-attachments: true` for the
 * registries whose scopes need signatures). Without it, policy.json alone on
 * standard output, keys inlined as `keyData`. Every rule that cannot be said
 * there goes to standard error as a warning; they do not change the exit
 * code (0), as the document written is the strictest faithful one.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { stringify } from 'yaml';
import { toContainersPolicy, type ExportKey, type KeySpec } from '../../trust/index.js';
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import type { OutputStreams } from '../output.js';
import { parseFormat } from './shared.js';
import { loadPolicy, openKeyStoreFromEnv } from './trust-shared.js';

export interface PolicyExportOptions {
  policy?: string;
  format?: string;
  output?: string;
  keyDir?: string;
  default?: string;
}

export async function policyExport(options: PolicyExportOptions, io: OutputStreams): Promise<number> {
  parseFormat(options.format, ['containers-policy'] as const, 'containers-policy');
  if (options.default !== undefined && !['reject', 'insecureAcceptAnything'].includes(options.default)) throw new UsageError(`--default takes reject or insecureAcceptAnything, not "${options.default}"`);
  const defaultRequirement = options.default === 'insecureAcceptAnything' ? 'insecureAcceptAnything' : 'reject';
  const keyDir = options.keyDir ?? '/etc/containers/keys';
  if (!isAbsolute(keyDir)) throw new UsageError(`--key-dir must be an absolute path on the nodes (keyPath), not "${keyDir}"`);
  const loaded = await loadPolicy(options.policy, io.env);
  const keys = new Map<string, ExportKey>();
  // Key ids the policy names, from the trust store (revoked keys are not exported); key files as read.
  const store = openKeyStoreFromEnv(io.env);
  const specs = (loaded.policy?.entries ?? []).flatMap((e) => e.keys);
  const stored = specs.some((s) => s.kind === 'id') ? await store.list() : [];
  for (const spec of specs) {
    if (spec.kind !== 'id') continue;
    const info = stored.find((k) => k.role !== 'root' && k.id.startsWith(spec.id) && !k.revoked);
    if (info) keys.set(`id:${spec.id}`, { id: info.id, pem: await store.exportPublic(info.id) });
  }
  for (const file of loaded.keys) keys.set(`file:${file.path}`, { id: file.id, pem: file.key.export({ type: 'spki', format: 'pem' }).toString() });
  const keyFor = (spec: KeySpec): ExportKey | undefined => (spec.kind === 'id' ? keys.get(`id:${spec.id}`) : spec.kind === 'file' ? keys.get(`file:${spec.path}`) : undefined);
  const result = toContainersPolicy(loaded.policy, { keyFor, defaultRequirement, ...(options.output ? { keyDir } : {}) });
  for (const w of result.warnings) io.stderr.write(`portcullis: warning: ${w}\n`);
  const policyJson = `${JSON.stringify(result.policy, null, 2)}\n`;
  if (!options.output) {
    io.stdout.write(policyJson);
    return ExitCode.Ok;
  }
  const out = options.output;
  await mkdir(join(out, 'keys'), { recursive: true });
  await mkdir(join(out, 'registries.d'), { recursive: true });
  await writeFile(join(out, 'policy.json'), policyJson, { mode: 0o644 });
  for (const key of result.keys) await writeFile(join(out, 'keys', `${key.id}.pub`), key.pem, { mode: 0o644 });
  const header = '# Written by portcullis policy export: registries whose images the trust policy requires signed.\n';
  await writeFile(join(out, 'registries.d', 'portcullis.yaml'), header + stringify(result.registriesD), { mode: 0o644 });
  io.stdout.write(`${join(out, 'policy.json')}\n${result.keys.map((k) => `${join(out, 'keys', `${k.id}.pub`)}\n`).join('')}${join(out, 'registries.d', 'portcullis.yaml')}\n`);
  return ExitCode.Ok;
}
