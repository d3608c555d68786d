/**
 * Backup and restore of the whole trust directory as one JSON bundle
 * (private keys stay encrypted). A restore checks the bundle whole before
 * writing anything.
 */
import type { KeyObject } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyError } from '../errors.js';
import { readEncryptedKey } from '../encrypted.js';
import { keyIdOfKey, publicKeyFromPem } from '../keys.js';
import { parseDocument, TRUST_FILE, type TrustDocument } from './document.js';
import { isMissing, type TrustFiles, writeFileAtomic } from './files.js';
import type { TrustBackup } from './types.js';

const BACKUP_PATH = /^(trust\.json|private\/[0-9a-f]{64}\.key|public\/[0-9a-f]{64}\.pub)$/;

/** The whole trust directory as a JSON bundle; private keys stay encrypted. */
export async function exportBackup(store: TrustFiles, now: () => Date): Promise<TrustBackup> {
  const files: { path: string; content: string }[] = [];
  const add = async (rel: string): Promise<void> => {
    const bytes = rel.startsWith('private/') ? Buffer.from(await store.readPrivateFile(rel.slice(8, 72)), 'utf8') : await readFile(join(store.directory, rel));
    files.push({ path: rel, content: bytes.toString('base64') });
  };
  const doc = await store.load();
  for (const id of Object.keys(doc.keys).sort()) {
    await add(`public/${id}.pub`);
    if (doc.keys[id]!.private) await add(`private/${id}.key`);
  }
  try {
    await add(TRUST_FILE);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  return { format: 'portcullis-trust-backup', version: 1, created: now().toISOString(), files };
}

/**
 * Restore a bundle made by exportBackup. The bundle is checked whole first
 * (paths, trust.json, every key file against its id) and nothing is written
 * if any check fails. An existing store is refused (STORE_NOT_EMPTY) unless
 * `force`, which moves it aside to `trust.replaced-<time>` first.
 */
export async function restoreBackup(
  store: TrustFiles,
  backup: TrustBackup | string | Uint8Array,
  options: { force?: boolean },
  now: () => Date,
): Promise<void> {
  const bundle = parseBackup(backup);
  const contents = new Map<string, Buffer>();
  for (const f of bundle.files) {
    if (typeof f?.path !== 'string' || !BACKUP_PATH.test(f.path)) throw new KeyError('BACKUP_INVALID', `the backup has an unexpected path ${JSON.stringify(f?.path)}`);
    if (contents.has(f.path)) throw new KeyError('BACKUP_INVALID', `the backup lists ${f.path} twice`);
    if (typeof f.content !== 'string') throw new KeyError('BACKUP_INVALID', `the backup entry ${f.path} has no content`);
    contents.set(f.path, Buffer.from(f.content, 'base64'));
  }
  const trustBytes = contents.get(TRUST_FILE);
  if (!trustBytes) throw new KeyError('BACKUP_INVALID', 'the backup has no trust.json');
  let doc: TrustDocument;
  try {
    doc = parseDocument(trustBytes.toString('utf8'));
  } catch (cause) {
    throw new KeyError('BACKUP_INVALID', 'the backup trust.json is malformed', { cause });
  }
  for (const [id, record] of Object.entries(doc.keys)) {
    const pub = contents.get(`public/${id}.pub`);
    if (!pub) throw new KeyError('BACKUP_INVALID', `the backup lacks the public key of ${id.slice(0, 16)}`);
    let key: KeyObject;
    try {
      key = publicKeyFromPem(pub.toString('utf8'));
    } catch (cause) {
      throw new KeyError('BACKUP_INVALID', `the backup public key of ${id.slice(0, 16)} does not parse`, { cause });
    }
    if (keyIdOfKey(key) !== id) throw new KeyError('BACKUP_INVALID', `the backup public key file of ${id.slice(0, 16)} holds another key`);
    const priv = contents.get(`private/${id}.key`);
    if (record.private !== (priv !== undefined)) throw new KeyError('BACKUP_INVALID', `the backup private key of ${id.slice(0, 16)} does not match trust.json`);
    if (priv) {
      let keyId: string;
      try {
        keyId = readEncryptedKey(priv.toString('utf8')).metadata.keyId;
      } catch (cause) {
        throw new KeyError('BACKUP_INVALID', `the backup private key of ${id.slice(0, 16)} is malformed`, { cause });
      }
      if (keyId !== id) throw new KeyError('BACKUP_INVALID', `the backup private key file of ${id.slice(0, 16)} holds another key`);
    }
  }
  for (const path of contents.keys()) {
    const m = /^(?:private|public)\/([0-9a-f]{64})\./.exec(path);
    if (m && !doc.keys[m[1]!]) throw new KeyError('BACKUP_INVALID', `the backup has ${path}, which trust.json does not list`);
  }

  if (await store.hasContent()) {
    if (!options.force) throw new KeyError('STORE_NOT_EMPTY', `${store.directory} already holds keys; restore with force to move it aside`);
    const aside = `${store.directory}.replaced-${now().toISOString().replace(/[:.]/g, '-')}`;
    await rename(store.directory, aside);
  }
  await store.ensureLayout();
  for (const [path, bytes] of contents) {
    if (path === TRUST_FILE) continue;
    await writeFileAtomic(join(store.directory, path), bytes, path.startsWith('private/') ? 0o600 : 0o644);
  }
  await writeFileAtomic(join(store.directory, TRUST_FILE), trustBytes, 0o644);
}

function parseBackup(input: TrustBackup | string | Uint8Array): TrustBackup {
  let value: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      value = JSON.parse(typeof input === 'string' ? input : Buffer.from(input).toString('utf8'));
    } catch (cause) {
      throw new KeyError('BACKUP_INVALID', 'the backup is not JSON', { cause });
    }
  }
  const o = value as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || o.format !== 'portcullis-trust-backup' || o.version !== 1 || !Array.isArray(o.files)) {
    throw new KeyError('BACKUP_INVALID', 'not a portcullis trust backup (version 1)');
  }
  return o as unknown as TrustBackup;
}
