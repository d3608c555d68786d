/**
 * `portcullis key import-docker-trust [DIR]`: bring what Docker Content Trust
 * already knows (`~/.docker/trust`, written by `docker trust` and the notary
 * CLI) into portcullis, so a machine that trusted a repository keeps trusting
 * the same root and can sign with the same keys:
 *
 * - pinned roots, `tuf/<gun>/metadata/root.json`: checked (a root signed by
 *   its own root keys, certificates naming the GUN) and written to the
 *   Notary trust cache (cache.ts: 0700 directories, 0600 files). A GUN that
 *   portcullis already pins to another root keeps its pin unless `replace`:
 *   whoever can write the Docker directory must not silently move our trust;
 * - private keys, `private/<id>.key`: notary's encrypted PKCS#8 PEM with
 *   `role:` and `gun:` headers, opened with Docker's passphrase and
 *   re-encrypted in portcullis' own format (scrypt + AES-GCM, as the key
 *   store's keys) under `<trust>/notary/private/<id>.key` (0700 / 0600), with
 *   `<trust>/notary/keys.json` recording each key's Notary role and GUN.
 *
 * Bounded: at most MAX_ENTRIES directory entries walked, depth MAX_DEPTH
 * (a GUN is a few path segments), files read under size caps.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { readRegularFile } from '../../core/index.js';
import {
  KeyError,
  algorithmOf,
  encryptPrivateKey,
  isMissing,
  keyIdOfKey,
  trustDirectory,
  writeFileAtomic,
  type Passphrase,
  type ScryptParams,
} from '../../trust/index.js';
import { keyIdOf, parseRootMetadata, verifyRootSelf } from '../../trust/tuf/index.js';
import { TrustCache, checkGun } from './cache.js';

const MAX_ENTRIES = 10_000;
const MAX_DEPTH = 12;
const MAX_KEY_BYTES = 64 * 1024;
const MAX_ROOT_BYTES = 10 << 20;

export interface DockerTrustRoot {
  readonly gun: string;
  readonly path: string;
}

export interface DockerTrustKeyFile {
  readonly path: string;
  /** The file name without `.key`: the key id notary lists. */
  readonly fileId: string;
}

/** The roots and key files under a Docker trust directory (missing parts are empty). */
export async function scanDockerTrust(dir: string): Promise<{ roots: DockerTrustRoot[]; keys: DockerTrustKeyFile[] }> {
  const roots: DockerTrustRoot[] = [];
  const tuf = join(dir, 'tuf');
  const stack: { path: string; depth: number }[] = [{ path: tuf, depth: 0 }];
  let seen = 0;
  while (stack.length > 0) {
    const { path, depth } = stack.pop() as { path: string; depth: number };
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) continue;
      throw error;
    }
    seen += entries.length;
    if (seen > MAX_ENTRIES) throw new KeyError('ARGUMENT_INVALID', `${dir} has more than ${MAX_ENTRIES} entries under tuf/: not a Docker trust directory`);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const child = join(path, e.name);
      if (e.name === 'metadata') {
        roots.push({ gun: relative(tuf, path).split(sep).join('/'), path: join(child, 'root.json') });
      } else if (depth < MAX_DEPTH) stack.push({ path: child, depth: depth + 1 });
    }
  }
  const keys: DockerTrustKeyFile[] = [];
  try {
    for (const name of (await readdir(join(dir, 'private'))).sort()) {
      if (name.endsWith('.key')) keys.push({ path: join(dir, 'private', name), fileId: name.slice(0, -'.key'.length) });
      if (keys.length > 1000) throw new KeyError('ARGUMENT_INVALID', `${dir}/private holds more than 1000 keys`);
    }
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  roots.sort((a, b) => a.gun.localeCompare(b.gun));
  return { roots, keys };
}

export interface NotaryKeyPem {
  readonly role: string;
  readonly gun?: string;
  /** The PEM without notary's headers, as OpenSSL reads it. */
  readonly pem: string;
}

/** Notary's PEM: `-----BEGIN ENCRYPTED PRIVATE KEY-----`, `role: …` / `gun: …` header lines, a blank line, base64. */
export function parseNotaryKeyPem(text: string, what: string): NotaryKeyPem {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) throw new KeyError('KEY_FORMAT_UNKNOWN', `${what} is not a PEM private key`);
  const label = m[1] as string;
  const headers = new Map<string, string>();
  const body: string[] = [];
  for (const line of (m[2] as string).split(/\r?\n/)) {
    const h = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (h && body.length === 0) headers.set((h[1] as string).toLowerCase(), (h[2] as string).trim());
    else if (line.trim() !== '') body.push(line.trim());
  }
  if (label !== 'ENCRYPTED PRIVATE KEY') throw new KeyError('KEY_UNSUPPORTED', `${what}: "${label}" keys (notary before 0.6) are not supported; only encrypted PKCS#8`);
  const role = headers.get('role');
  if (!role) throw new KeyError('KEY_CORRUPT', `${what} has no "role" header`);
  const gun = headers.get('gun');
  return { role, ...(gun ? { gun } : {}), pem: `-----BEGIN ${label}-----\n${body.join('\n')}\n-----END ${label}-----\n` };
}

/**
 * Password-based PKCS#8 lets whoever wrote the file choose the PBKDF2
 * iteration count (docs/keys.md refuses such files for that reason): notary
 * writes 2048 (`tuf/utils` via `youmark/pkcs8`). Above this we refuse before
 * deriving anything, so a planted key cannot make the import spin.
 */
export const MAX_PBKDF2_ITERATIONS = 100_000;

const PBES2 = Buffer.from('2a864886f70d01050d', 'hex');
const PBKDF2 = Buffer.from('2a864886f70d01050c', 'hex');

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** One DER element at `offset` inside `[offset, limit)`; lengths of up to 4 bytes. */
function tlv(der: Buffer, offset: number, limit: number, what: string): Tlv {
  const bad = (): never => {
    throw new KeyError('KEY_CORRUPT', `${what} is not an encrypted PKCS#8 key`);
  };
  if (offset + 2 > limit) bad();
  const tag = der[offset] as number;
  let length = der[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) bad();
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (der[start + i] as number);
    start += n;
  }
  if (start + length > limit) bad();
  return { tag, start, end: start + length };
}

/** The PBKDF2 iteration count of a PBES2 EncryptedPrivateKeyInfo (RFC 8018), read along its one fixed path. */
export function pbkdf2Iterations(der: Buffer, what: string): number {
  const unsupported = (): never => {
    throw new KeyError('KDF_UNSUPPORTED', `${what}: only PBES2 with PBKDF2 (what notary writes) is read`);
  };
  const outer = tlv(der, 0, der.length, what);
  const algorithm = tlv(der, outer.start, outer.end, what);
  const oid = tlv(der, algorithm.start, algorithm.end, what);
  if (oid.tag !== 0x06 || !der.subarray(oid.start, oid.end).equals(PBES2)) unsupported();
  const params = tlv(der, oid.end, algorithm.end, what);
  const kdf = tlv(der, params.start, params.end, what);
  const kdfOid = tlv(der, kdf.start, kdf.end, what);
  if (kdfOid.tag !== 0x06 || !der.subarray(kdfOid.start, kdfOid.end).equals(PBKDF2)) unsupported();
  const kdfParams = tlv(der, kdfOid.end, kdf.end, what);
  const salt = tlv(der, kdfParams.start, kdfParams.end, what);
  const count = tlv(der, salt.end, kdfParams.end, what);
  if (count.tag !== 0x02 || count.end - count.start > 4 || count.end === count.start) unsupported();
  let iterations = 0;
  for (let i = count.start; i < count.end; i++) iterations = iterations * 256 + (der[i] as number);
  return iterations;
}

/** Opens a notary key with its passphrase; a wrong one is PASSPHRASE_INVALID. */
export function openNotaryKey(key: NotaryKeyPem, passphrase: string, what: string): KeyObject {
  const der = Buffer.from(key.pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const iterations = pbkdf2Iterations(der, what);
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new KeyError('KDF_UNSUPPORTED', `${what}: ${iterations} PBKDF2 iterations, more than the ${MAX_PBKDF2_ITERATIONS} allowed`);
  }
  try {
    return createPrivateKey({ key: key.pem, format: 'pem', passphrase });
  } catch (error) {
    throw new KeyError('PASSPHRASE_INVALID', `the passphrase does not open ${what} (role ${key.role})`, { cause: error });
  }
}

/** Notary's id of a private key's public half (canonical: bare ecdsa/ed25519 key). */
export function notaryKeyId(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ed25519') {
    const jwk = key.export({ format: 'jwk' });
    return keyIdOf('ed25519', Buffer.from(String(jwk.x), 'base64url'));
  }
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return keyIdOf(key.asymmetricKeyType === 'rsa' ? 'rsa' : 'ecdsa', spki);
}

export type RootImport = { readonly gun: string; readonly version?: number; readonly status: 'pinned' | 'unchanged' | 'kept' | 'invalid'; readonly detail?: string };
export type KeyImport = { readonly id: string; readonly role: string; readonly gun?: string; readonly status: 'imported' | 'unchanged' | 'failed'; readonly detail?: string };

export interface ImportDockerTrustOptions {
  readonly home?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: Date;
  /** Replace a portcullis pin that differs from Docker's. */
  readonly replace?: boolean;
  /** Docker's passphrase for a key (root: DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE, others: …_REPOSITORY_PASSPHRASE). */
  readonly dockerPassphrase: (role: string, gun: string | undefined, id: string) => Promise<string>;
  /** The passphrase protecting imported keys in portcullis (root role, or the repository one). */
  readonly storePassphrase: (role: 'root' | 'repository') => Promise<Passphrase>;
  readonly scrypt?: ScryptParams;
}

export interface ImportDockerTrustReport {
  readonly directory: string;
  readonly roots: readonly RootImport[];
  readonly keys: readonly KeyImport[];
}

export async function importDockerTrust(dir: string, options: ImportDockerTrustOptions): Promise<ImportDockerTrustReport> {
  const { roots, keys } = await scanDockerTrust(dir);
  const cache = new TrustCache({ ...(options.home ? { home: options.home } : {}), ...(options.env ? { env: options.env } : {}) });
  const now = options.now ?? new Date();
  const rootResults: RootImport[] = [];
  for (const r of roots) {
    try {
      checkGun(r.gun);
      const bytes = await readRegularFile(r.path, { what: r.path, maxBytes: MAX_ROOT_BYTES });
      const root = parseRootMetadata(bytes);
      verifyRootSelf(root, r.gun, now);
      const existing = await cache.load(r.gun);
      if (existing?.root.equals(bytes)) {
        rootResults.push({ gun: r.gun, version: root.signed.version, status: 'unchanged' });
        continue;
      }
      if (existing && !options.replace) {
        rootResults.push({ gun: r.gun, version: root.signed.version, status: 'kept', detail: 'portcullis already pins another root for this GUN (--replace to take Docker\'s)' });
        continue;
      }
      await cache.save(r.gun, { root: bytes, versions: new Map([['root', root.signed.version]]) });
      rootResults.push({ gun: r.gun, version: root.signed.version, status: 'pinned' });
    } catch (error) {
      rootResults.push({ gun: r.gun, status: 'invalid', detail: (error as Error).message });
    }
  }
  const keyResults: KeyImport[] = [];
  const keyDir = join(trustDirectory({ ...(options.home ? { home: options.home } : {}), ...(options.env ? { env: options.env } : {}) }), 'notary');
  const indexPath = join(keyDir, 'keys.json');
  const index = await readIndex(indexPath);
  for (const file of keys) {
    let parsed: NotaryKeyPem | undefined;
    try {
      parsed = parseNotaryKeyPem((await readRegularFile(file.path, { what: file.path, maxBytes: MAX_KEY_BYTES })).toString('utf8'), file.path);
      const key = openNotaryKey(parsed, await options.dockerPassphrase(parsed.role, parsed.gun, file.fileId), file.path);
      const id = notaryKeyId(key);
      if (index[id]) {
        keyResults.push({ id, role: parsed.role, ...(parsed.gun ? { gun: parsed.gun } : {}), status: 'unchanged' });
        continue;
      }
      const storeRole = parsed.role === 'root' ? 'root' : 'repository';
      const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
      let pem: string;
      try {
        pem = await encryptPrivateKey(pkcs8, await options.storePassphrase(storeRole), { role: storeRole, algorithm: algorithmOf(key), keyId: keyIdOfKey(key), created: now.toISOString() }, options.scrypt ? { scrypt: options.scrypt } : {});
      } finally {
        pkcs8.fill(0);
      }
      await mkdir(join(keyDir, 'private'), { recursive: true, mode: 0o700 });
      await writeFileAtomic(join(keyDir, 'private', `${id}.key`), pem, 0o600);
      index[id] = { role: parsed.role, ...(parsed.gun ? { gun: parsed.gun } : {}), imported: now.toISOString() };
      await writeFileAtomic(indexPath, `${JSON.stringify(index, null, 2)}\n`, 0o600);
      keyResults.push({ id, role: parsed.role, ...(parsed.gun ? { gun: parsed.gun } : {}), status: 'imported' });
    } catch (error) {
      if (error instanceof KeyError && (error.code === 'PASSPHRASE_REQUIRED' || error.code === 'STORE_INSECURE')) throw error;
      keyResults.push({ id: file.fileId, role: parsed?.role ?? '?', ...(parsed?.gun ? { gun: parsed.gun } : {}), status: 'failed', detail: (error as Error).message });
    }
  }
  return { directory: dir, roots: rootResults, keys: keyResults };
}

type KeyIndex = Record<string, { role: string; gun?: string; imported: string }>;

async function readIndex(path: string): Promise<KeyIndex> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as KeyIndex) : {};
  } catch (error) {
    if (isMissing(error)) return {};
    throw error;
  }
}
