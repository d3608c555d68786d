/**
 * `portcullis key generate|list|export|import|certify|rotate|revoke|backup|restore`:
 * the trust store from the command line. Passphrases come from
 * --passphrase-file / --root-passphrase-file, PORTCULLIS_REPOSITORY_PASSPHRASE /
 * PORTCULLIS_ROOT_PASSPHRASE, or a no-echo prompt; they are never printed.
 */
import { readRegularFile, UserFileError, writeUserFile } from '../../core/index.js';
import { type GenerateAlgorithm, type KeyRole, isGenerateAlgorithm, type KeyInfo, KeyError } from '../../trust/index.js';
import { UsageError } from '../flags.js';
import { PASSPHRASE_ENV } from '../passphrase.js';
import { ExitCode } from '../exit-codes.js';
import { colorEnabled, painter, renderTable, writeJson, type OutputStreams } from '../output.js';
import { parseFormat } from './shared.js';
import { openKeyStoreFromEnv, passphrase, type PassphraseFlags } from './trust-shared.js';

export interface KeyCommandOptions extends PassphraseFlags {
  algorithm?: string;
  repositories?: string[];
  root?: boolean;
  role?: string;
  format?: string;
  output?: string;
  force?: boolean;
  keepOld?: boolean;
  reason?: string;
  importPassphraseFile?: string;
}

function algorithm(value: string | undefined): GenerateAlgorithm | undefined {
  if (value === undefined) return undefined;
  if (!isGenerateAlgorithm(value)) throw new UsageError(`--algorithm takes ecdsa-p256, ed25519 or rsa-3072, not "${value}"`);
  return value;
}

/** Key files and backups are KiB to a few MiB; a FIFO or device is refused, not read (src/core/user-files.ts). */
const MAX_KEY_INPUT_BYTES = 64 * 1024 * 1024;

async function readKeyInput(file: string): Promise<Buffer> {
  return readRegularFile(file, { maxBytes: MAX_KEY_INPUT_BYTES }).catch((error: unknown) => {
    if (error instanceof UserFileError) throw error;
    throw new UsageError(`cannot read ${file}`);
  });
}

function describe(info: KeyInfo): string {
  return `${info.role} key ${info.id} (${info.algorithm})${info.repositories.length ? ` certified for ${info.repositories.join(', ')}` : ''}`;
}

export async function keyGenerate(options: KeyCommandOptions, io: OutputStreams): Promise<number> {
  const store = openKeyStoreFromEnv(io.env);
  const alg = algorithm(options.algorithm);
  const keys = await store.list();
  let root = keys.find((k) => k.role === 'root');
  const rootPass = await withBothVariables(passphrase('root', options, io.env, { confirm: !root }), !options.root && !root, io.env);
  if (!root) {
    root = await store.generate({ role: 'root', passphrase: rootPass, ...(alg ? { algorithm: alg } : {}) });
    io.stderr.write(`Generated ${describe(root)}\n`);
  }
  if (options.root) {
    io.stderr.write(whereKeysAre(store.directory, root.id, 'root'));
    return ExitCode.Ok;
  }
  const repoPass = await passphrase('repository', options, io.env, { confirm: true });
  const repositories = options.repositories && options.repositories.length > 0 ? options.repositories : ['**'];
  const repo = await store.generate({ role: 'repository', passphrase: repoPass, repositories, rootPassphrase: rootPass, ...(alg ? { algorithm: alg } : {}) });
  io.stderr.write(`Generated ${describe(repo)}\n`);
  io.stderr.write(whereKeysAre(store.directory, repo.id, 'repository'));
  io.stdout.write(`${repo.id}\n`);
  return ExitCode.Ok;
}

/** Where `key generate` put the keys, and how to hand the public key to others (cosign verify --key takes it as is). */
function whereKeysAre(directory: string, id: string, role: KeyRole): string {
  return (
    `Keys are in ${directory}: private keys encrypted under private/, public keys under public/ (${role} key: public/${id}.pub).\n` +
    `Public key for verifiers (same file as cosign.pub): portcullis key export${role === 'root' ? ' --root' : ''} > ${role}.pub\n`
  );
}

/**
 * A new store needs both passphrases: when the first is missing without a
 * terminal, name both variables in one message, so CI is fixed in one go.
 */
async function withBothVariables(pending: Promise<string>, repositoryToo: boolean, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    return await pending;
  } catch (error) {
    const repoMissing = !env[PASSPHRASE_ENV.repository];
    if (repositoryToo && repoMissing && error instanceof KeyError && error.code === 'PASSPHRASE_REQUIRED' && /^no (terminal|passphrase)/.test(error.message)) {
      throw new KeyError(
        'PASSPHRASE_REQUIRED',
        `${error.message}; the new repository key needs ${PASSPHRASE_ENV.repository} (or --passphrase-file) as well`,
      );
    }
    throw error;
  }
}

export async function keyList(options: KeyCommandOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, ['table', 'json'] as const, 'table');
  const keys = await openKeyStoreFromEnv(io.env).list();
  if (format === 'json') {
    writeJson(io.stdout, keys);
    return ExitCode.Ok;
  }
  const paint = painter(colorEnabled(io.stdout, io.env));
  const rows = keys.map((k) => [
    k.id.slice(0, 16),
    k.role,
    k.algorithm,
    k.hasPrivateKey ? 'private' : 'public only',
    k.revoked ? paint('red', 'revoked') : k.role === 'root' ? '-' : k.certified ? 'certified' : paint('yellow', 'not certified'),
    k.repositories.join(', ') || '-',
    k.created,
  ]);
  io.stdout.write(renderTable(['KEY ID', 'ROLE', 'ALGORITHM', 'HALF', 'STATUS', 'REPOSITORIES', 'CREATED'], rows, paint));
  return ExitCode.Ok;
}

export async function keyExport(ref: string | undefined, options: KeyCommandOptions, io: OutputStreams): Promise<number> {
  io.stdout.write(await openKeyStoreFromEnv(io.env).exportPublic(options.root ? 'root' : (ref ?? 'repository')));
  return ExitCode.Ok;
}

export async function keyImport(file: string, options: KeyCommandOptions, io: OutputStreams): Promise<number> {
  const store = openKeyStoreFromEnv(io.env);
  const bytes = await readKeyInput(file);
  const text = bytes.toString('utf8');
  const isPrivate = /PRIVATE KEY-----/.test(text);
  const role = (options.role ?? 'repository') as KeyRole;
  if (role !== 'root' && role !== 'repository') throw new UsageError('--role takes root or repository');
  let importPass: string | undefined;
  if (/ENCRYPTED (SIGSTORE|COSIGN|PORTCULLIS ENCRYPTED) PRIVATE KEY|ENCRYPTED SIGSTORE|ENCRYPTED COSIGN|PORTCULLIS ENCRYPTED/.test(text)) {
    if (options.importPassphraseFile) importPass = (await readKeyInput(options.importPassphraseFile)).toString('utf8').replace(/\r?\n$/, '');
    else if (io.env.COSIGN_PASSWORD !== undefined) importPass = io.env.COSIGN_PASSWORD;
    else importPass = await passphrase(role, { ...options, passphraseFile: undefined, rootPassphraseFile: undefined }, {}, { label: `imported key (${file})` });
  }
  const newPass = isPrivate ? await passphrase(role, options, io.env, { confirm: true }) : undefined;
  const certify = role === 'repository' && options.repositories && options.repositories.length > 0;
  const rootPass = certify ? await passphrase('root', options, io.env) : undefined;
  const info = await store.importKey(bytes, {
    role,
    ...(importPass !== undefined ? { passphrase: importPass } : {}),
    ...(newPass !== undefined ? { newPassphrase: newPass } : {}),
    ...(certify ? { repositories: options.repositories!, rootPassphrase: rootPass! } : {}),
  });
  io.stderr.write(`Imported ${describe(info)}${info.hasPrivateKey ? '' : ' (public key only)'}\n`);
  io.stdout.write(`${info.id}\n`);
  return ExitCode.Ok;
}

export async function keyCertify(ref: string, options: KeyCommandOptions, io: OutputStreams): Promise<number> {
  if (!options.repositories || options.repositories.length === 0) throw new UsageError('certify needs --repositories GLOB...');
  const store = openKeyStoreFromEnv(io.env);
  const info = await store.certify(ref, options.repositories, { rootPassphrase: await passphrase('root', options, io.env) });
  io.stderr.write(`Certified ${describe(info)}\n`);
  return ExitCode.Ok;
}

export async function keyRotate(ref: string | undefined, options: KeyCommandOptions, io: OutputStreams): Promise<number> {
  const store = openKeyStoreFromEnv(io.env);
  const rootPassphrase = await passphrase('root', options, io.env);
  const newPass = await passphrase('repository', options, io.env, { confirm: true, label: 'new repository key' });
  const alg = algorithm(options.algorithm);
  const result = await store.rotate(ref ?? 'repository', {
    passphrase: newPass,
    rootPassphrase,
    ...(alg ? { algorithm: alg } : {}),
    ...(options.repositories && options.repositories.length ? { repositories: options.repositories } : {}),
    ...(options.keepOld ? { keepOld: true } : {}),
  });
  io.stderr.write(`Rotated: new ${describe(result.newKey)}; old key ${result.oldKey.id.slice(0, 16)} ${result.oldKey.revoked ? 'revoked' : 'kept'}\n`);
  io.stdout.write(`${result.newKey.id}\n`);
  return ExitCode.Ok;
}

export async function keyRevoke(ref: string, options: KeyCommandOptions, io: OutputStreams): Promise<number> {
  const store = openKeyStoreFromEnv(io.env);
  const info = await store.revoke(ref, { rootPassphrase: await passphrase('root', options, io.env), ...(options.reason ? { reason: options.reason } : {}) });
  io.stderr.write(`Revoked ${info.role} key ${info.id}: its signatures no longer verify\n`);
  return ExitCode.Ok;
}

export async function keyBackup(options: KeyCommandOptions, io: OutputStreams): Promise<number> {
  const backup = await openKeyStoreFromEnv(io.env).exportBackup();
  const text = `${JSON.stringify(backup, null, 2)}\n`;
  if (options.output) {
    // Never replaces an existing backup (FILE_EXISTS); a device or FIFO is written directly.
    await writeUserFile(options.output, text, { mode: 0o600, exclusive: true });
    io.stderr.write(`Wrote the trust store backup to ${options.output} (mode 0600; private keys stay encrypted — keep it offline)\n`);
  } else io.stdout.write(text);
  return ExitCode.Ok;
}

export async function keyRestore(file: string, options: KeyCommandOptions, io: OutputStreams): Promise<number> {
  const bytes = await readKeyInput(file);
  await openKeyStoreFromEnv(io.env).restoreBackup(bytes, { force: options.force === true });
  io.stderr.write(`Restored the trust store from ${file}\n`);
  return ExitCode.Ok;
}
