/**
 * The trust directory on disk: where it is, its layout and modes, atomic
 * writes, and the permission checks on private keys (shared by the store's
 * operations and by backup/restore).
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { KeyError } from '../errors.js';
import { keyIdOfKey, publicKeyFromPem, publicKeyPem } from '../keys.js';
import { emptyDocument, parseDocument, TRUST_FILE, type TrustDocument } from './document.js';
import type { KeyStoreOptions } from './types.js';

/** Where the store of these options lives. */
export function trustDirectory(options: Pick<KeyStoreOptions, 'home' | 'env'> = {}): string {
  const env = options.env ?? process.env;
  const home = options.home ?? (env.PORTCULLIS_HOME && env.PORTCULLIS_HOME.length > 0 ? env.PORTCULLIS_HOME : join(homedir(), '.portcullis'));
  return join(home, 'trust');
}

export function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

/**
 * Write a file atomically with its mode set at creation: exclusive create of
 * a temporary file beside the target, write, fsync, rename.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
  const fh = await open(tmp, 'wx', mode);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  try {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Directory fsync is best effort (not every filesystem allows it).
  }
}

async function ensureDirectory(path: string, mode: number): Promise<void> {
  await mkdir(path, { recursive: true, mode });
}

/** Paths, reads and writes under one trust directory. */
export class TrustFiles {
  constructor(readonly directory: string) {}

  get privateDir(): string {
    return join(this.directory, 'private');
  }

  get publicDir(): string {
    return join(this.directory, 'public');
  }

  privatePath(id: string): string {
    return join(this.privateDir, `${id}.key`);
  }

  publicPath(id: string): string {
    return join(this.publicDir, `${id}.pub`);
  }

  async load(): Promise<TrustDocument> {
    let text: string;
    try {
      text = await readFile(join(this.directory, TRUST_FILE), 'utf8');
    } catch (err) {
      if (isMissing(err)) return emptyDocument();
      throw err;
    }
    return parseDocument(text);
  }

  async save(doc: TrustDocument): Promise<void> {
    await this.ensureLayout();
    await writeFileAtomic(join(this.directory, TRUST_FILE), `${JSON.stringify(doc, null, 2)}\n`, 0o644);
  }

  async ensureLayout(): Promise<void> {
    await ensureDirectory(this.directory, 0o700);
    await ensureDirectory(this.privateDir, 0o700);
    await ensureDirectory(this.publicDir, 0o755);
  }

  async readPublicKey(id: string): Promise<KeyObject> {
    let pem: string;
    try {
      pem = await readFile(this.publicPath(id), 'utf8');
    } catch (err) {
      if (isMissing(err)) throw new KeyError('STORE_CORRUPT', `public key file of ${id.slice(0, 16)} is missing`);
      throw err;
    }
    const key = publicKeyFromPem(pem);
    if (keyIdOfKey(key) !== id) throw new KeyError('STORE_CORRUPT', `public key file of ${id.slice(0, 16)} holds another key`);
    return key;
  }

  async readPrivateFile(id: string): Promise<string> {
    const dirStat = await stat(this.privateDir).catch((err: unknown) => {
      if (isMissing(err)) throw new KeyError('PRIVATE_KEY_MISSING', `no private key for ${id.slice(0, 16)}`);
      throw err;
    });
    if ((dirStat.mode & 0o077) !== 0) throw new KeyError('STORE_INSECURE', `${this.privateDir} is accessible by group or others; chmod 700 it`);
    const path = this.privatePath(id);
    const fh = await open(path, 'r').catch((err: unknown) => {
      if (isMissing(err)) throw new KeyError('PRIVATE_KEY_MISSING', `no private key for ${id.slice(0, 16)}`);
      throw err;
    });
    try {
      const st = await fh.stat();
      if ((st.mode & 0o077) !== 0) throw new KeyError('STORE_INSECURE', `${path} is accessible by group or others; chmod 600 it`);
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  }

  async writeKeyFiles(id: string, publicKey: KeyObject, encryptedPem?: string): Promise<void> {
    await this.ensureLayout();
    if (encryptedPem !== undefined) await writeFileAtomic(this.privatePath(id), encryptedPem, 0o600);
    await writeFileAtomic(this.publicPath(id), publicKeyPem(publicKey), 0o644);
  }

  /** Whether trust.json or any key file exists. */
  async hasContent(): Promise<boolean> {
    try {
      await stat(join(this.directory, TRUST_FILE));
      return true;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    for (const sub of [this.privateDir, this.publicDir]) {
      try {
        if ((await readdir(sub)).length > 0) return true;
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    }
    return false;
  }
}
