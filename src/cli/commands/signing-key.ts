/**
 * The key `sign` and `attest` sign with: `--key` names a key of the trust
 * store (an id, an id prefix, `repository`), as before, or a private key
 * file, as `cosign sign --key cosign.key` takes it. A file is cosign's
 * encrypted format (passphrase from --passphrase-file, COSIGN_PASSWORD, or the
 * prompt, as cosign reads it), our own encrypted format (the repository
 * passphrase), or an unencrypted PEM/DER private key. A file wins over an id
 * of the same spelling; a name that cannot be an id (it has a `/` or a `.`)
 * and is not a file is KEY_NOT_FOUND, not a store lookup.
 */
import { basename, dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { readRegularFile, UserFileError } from '../../core/index.js';
import { COSIGN_KEY_LABELS, ENCRYPTED_KEY_LABEL, KeyError, parseKeyMaterial, type UnlockedKey } from '../../trust/index.js';
import type { OutputStreams } from '../output.js';
import { openKeyStoreFromEnv, passphrase, type PassphraseFlags } from './trust-shared.js';

/** Key files are a few KiB. */
const MAX_KEY_FILE_BYTES = 1024 * 1024;
/** What a store key reference looks like: `repository`, `root`, or hex (an id or a prefix of one). */
const KEY_REFERENCE = /^(?:repository|root|[0-9a-f]{6,64})$/i;

export interface SigningKey {
  readonly key: UnlockedKey;
  /** The file it came from, when --key named a file. */
  readonly file?: string;
}

export async function signingKey(ref: string | undefined, flags: PassphraseFlags, io: OutputStreams): Promise<SigningKey> {
  if (ref !== undefined && (existsSync(ref) || !KEY_REFERENCE.test(ref))) return { key: await unlockKeyFile(ref, flags, io), file: ref };
  const store = openKeyStoreFromEnv(io.env);
  return { key: await store.unlock(ref ?? 'repository', await passphrase('repository', flags, io.env)) };
}

async function unlockKeyFile(file: string, flags: PassphraseFlags, io: OutputStreams): Promise<UnlockedKey> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, { what: `the key file ${file}`, maxBytes: MAX_KEY_FILE_BYTES });
  } catch (error) {
    if (error instanceof UserFileError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KeyError('KEY_NOT_FOUND', `--key ${file}: no such key file, and not a key id (ids are hex: see "portcullis key list")`);
    }
    throw new KeyError('KEY_NOT_FOUND', `--key ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const text = bytes.toString('latin1');
  const cosign = COSIGN_KEY_LABELS.some((label) => text.includes(`-----BEGIN ${label}-----`));
  const ours = text.includes(`-----BEGIN ${ENCRYPTED_KEY_LABEL}-----`);
  let secret: string | undefined;
  if (cosign) {
    secret = await passphrase('repository', flags, io.env, { envName: 'COSIGN_PASSWORD', allowEmptyEnv: true, label: `cosign key ${basename(file)}` });
  } else if (ours) {
    secret = await passphrase('repository', flags, io.env, { label: `key ${basename(file)}` });
  }
  const parsed = await parseKeyMaterial(bytes, secret !== undefined ? { passphrase: secret } : {});
  if (parsed.kind !== 'private') {
    throw new KeyError('ARGUMENT_INVALID', `--key ${file} is a public key: sign with the private key (cosign.key), verify with the public one (verify --key ${file})`);
  }
  return { id: parsed.keyId, role: 'repository', algorithm: parsed.algorithm, privateKey: parsed.privateKey };
}

/** The public key file beside a private one, as `cosign generate-key-pair` leaves them (cosign.key → cosign.pub). */
export function publicKeyBeside(file: string): string | undefined {
  const candidate = join(dirname(file), `${basename(file).replace(/\.(key|pem)$/i, '')}.pub`);
  return existsSync(candidate) ? candidate : undefined;
}
