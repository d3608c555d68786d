/**
 * The key store: the only module of trust/keys that touches files.
 *
 * Layout under `$PORTCULLIS_HOME/trust` (default `~/.portcullis/trust`):
 * ```
 * trust/              0700
 *   private/          0700   <keyid>.key — our encrypted format, 0600
 *   public/           0755   <keyid>.pub — PEM SubjectPublicKeyInfo of every key, 0644
 *   trust.json        0644   roles, root-signed certifications, root-signed revocation list
 * ```
 * Every file is written atomically: a temporary file in the same directory,
 * created exclusively with its final mode (never chmod-after), fsynced, then
 * renamed over the target. trust.json is written last, so a crash leaves at
 * worst an unreferenced key file, never a reference to a missing one.
 *
 * trust.json itself is not signed: what it says about roles is bookkeeping;
 * authority (which key may sign for which repositories, which keys are
 * revoked) comes only from statements that verify against the root key.
 *
 * Reading a private key refuses a file or private/ directory that group or
 * others can access (STORE_INSECURE), as ssh does.
 *
 * No module-level state: each KeyStore gets its home from its options, with
 * the environment as the default.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { KeyError } from './errors.js';
import { decryptPrivateKey, encryptPrivateKey, readEncryptedKey, type ScryptParams } from './encrypted.js';
import { parseKeyMaterial } from './import.js';
import {
  DEFAULT_ALGORITHM,
  generateKeyPair,
  isGenerateAlgorithm,
  isKeyAlgorithm,
  keyIdOfKey,
  publicKeyFromPem,
  publicKeyPem,
  KEY_ROLES,
  type GenerateAlgorithm,
  type KeyAlgorithm,
  type KeyRole,
} from './keys.js';
import { validateGlob } from './globs.js';
import { isEmptyPassphrase, type Passphrase } from './secret.js';
import {
  checkCertification,
  checkRevocationList,
  createCertification,
  createRevocationList,
  evaluateAuthorization,
  type AuthorizationResult,
  type CertificationStatement,
  type RevocationEntry,
  type RevocationList,
  type Signed,
} from './statements.js';

export interface KeyStoreOptions {
  /** The portcullis home; the store lives in `<home>/trust`. Default: `env.PORTCULLIS_HOME`, else `~/.portcullis`. */
  readonly home?: string;
  /** Environment to read PORTCULLIS_HOME from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Clock (default: the system clock). */
  readonly now?: () => Date;
  /** scrypt cost for keys written from now on (default DEFAULT_SCRYPT, N=2^17). */
  readonly scrypt?: ScryptParams;
}

export type KeySourceKind = 'generated' | 'imported';

/** What `list()` says about a key. */
export interface KeyInfo {
  readonly id: string;
  readonly role: KeyRole;
  readonly algorithm: KeyAlgorithm;
  readonly created: string;
  readonly source: KeySourceKind;
  readonly hasPrivateKey: boolean;
  /** Globs of its valid certification ([] when not certified). */
  readonly repositories: readonly string[];
  readonly certified: boolean;
  readonly expires?: string;
  readonly revoked: boolean;
}

export interface UnlockedKey {
  readonly id: string;
  readonly role: KeyRole;
  readonly algorithm: KeyAlgorithm;
  readonly privateKey: KeyObject;
}

export interface GenerateOptions {
  readonly role: KeyRole;
  readonly algorithm?: GenerateAlgorithm;
  /** Protects the new private key. Must not be empty. */
  readonly passphrase: Passphrase;
  /** Repository keys only: certify at once for these globs (needs rootPassphrase). */
  readonly repositories?: readonly string[];
  readonly rootPassphrase?: Passphrase;
  readonly expires?: Date | string;
}

export interface ImportOptions {
  /** Opens the input when it is encrypted (cosign keys made without a password: ''). */
  readonly passphrase?: Passphrase;
  /** Protects the key in the store; default `passphrase`. Must not be empty. */
  readonly newPassphrase?: Passphrase;
  /** Default: the role recorded in our own format, else 'repository'. */
  readonly role?: KeyRole;
  readonly repositories?: readonly string[];
  readonly rootPassphrase?: Passphrase;
  readonly expires?: Date | string;
}

export interface CertifyOptions {
  readonly rootPassphrase: Passphrase;
  readonly expires?: Date | string;
}

export interface RevokeOptions {
  readonly rootPassphrase: Passphrase;
  readonly reason?: string;
}

export interface RotateOptions {
  /** Passphrase of the new repository key. */
  readonly passphrase: Passphrase;
  readonly rootPassphrase: Passphrase;
  /** Default: the old key's algorithm when we can generate it, else ECDSA P-256. */
  readonly algorithm?: GenerateAlgorithm;
  /** Globs of the new key; default: those of the old key's certification. */
  readonly repositories?: readonly string[];
  /** Keep the old key valid (default false: it is revoked). */
  readonly keepOld?: boolean;
  readonly expires?: Date | string;
}

export interface RotateResult {
  readonly newKey: KeyInfo;
  readonly oldKey: KeyInfo;
}

/** A JSON bundle of the whole trust directory; private keys stay encrypted inside. */
export interface TrustBackup {
  readonly format: 'portcullis-trust-backup';
  readonly version: 1;
  readonly created: string;
  readonly files: readonly { readonly path: string; readonly content: string }[];
}

interface KeyRecord {
  role: KeyRole;
  algorithm: KeyAlgorithm;
  created: string;
  source: KeySourceKind;
  private: boolean;
}

interface TrustDocument {
  version: 1;
  keys: Record<string, KeyRecord>;
  certifications: Signed<CertificationStatement>[];
  revocations: Signed<RevocationList> | null;
}

const KEY_ID = /^[0-9a-f]{64}$/;
const BACKUP_PATH = /^(trust\.json|private\/[0-9a-f]{64}\.key|public\/[0-9a-f]{64}\.pub)$/;
const TRUST_FILE = 'trust.json';

/** Where the store of these options lives. */
export function trustDirectory(options: Pick<KeyStoreOptions, 'home' | 'env'> = {}): string {
  const env = options.env ?? process.env;
  const home = options.home ?? (env.PORTCULLIS_HOME && env.PORTCULLIS_HOME.length > 0 ? env.PORTCULLIS_HOME : join(homedir(), '.portcullis'));
  return join(home, 'trust');
}

function emptyDocument(): TrustDocument {
  return { version: 1, keys: {}, certifications: [], revocations: null };
}

function parseDocument(text: string): TrustDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new KeyError('STORE_CORRUPT', 'trust.json is not JSON', { cause });
  }
  if (typeof raw !== 'object' || raw === null) throw new KeyError('STORE_CORRUPT', 'trust.json is not an object');
  const o = raw as Record<string, unknown>;
  if (o.version !== 1) throw new KeyError('STORE_CORRUPT', `trust.json version ${String(o.version)} is not one this version reads`);
  if (typeof o.keys !== 'object' || o.keys === null || Array.isArray(o.keys)) throw new KeyError('STORE_CORRUPT', 'trust.json has no key table');
  const keys: Record<string, KeyRecord> = {};
  let roots = 0;
  for (const [id, value] of Object.entries(o.keys as Record<string, unknown>)) {
    const r = value as Record<string, unknown>;
    if (
      !KEY_ID.test(id) ||
      typeof r !== 'object' ||
      r === null ||
      !(KEY_ROLES as readonly string[]).includes(r.role as string) ||
      !isKeyAlgorithm(r.algorithm) ||
      typeof r.created !== 'string' ||
      (r.source !== 'generated' && r.source !== 'imported') ||
      typeof r.private !== 'boolean'
    ) {
      throw new KeyError('STORE_CORRUPT', `trust.json has a malformed entry for key ${id.slice(0, 16)}`);
    }
    if (r.role === 'root') roots += 1;
    keys[id] = { role: r.role as KeyRole, algorithm: r.algorithm, created: r.created, source: r.source, private: r.private };
  }
  if (roots > 1) throw new KeyError('STORE_CORRUPT', 'trust.json names more than one root key');
  if (!Array.isArray(o.certifications)) throw new KeyError('STORE_CORRUPT', 'trust.json has no certification list');
  if (o.revocations !== null && (typeof o.revocations !== 'object' || o.revocations === undefined)) {
    throw new KeyError('STORE_CORRUPT', 'trust.json has a malformed revocation list');
  }
  return {
    version: 1,
    keys,
    certifications: o.certifications as Signed<CertificationStatement>[],
    revocations: (o.revocations as Signed<RevocationList> | null) ?? null,
  };
}

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

/**
 * Write a file atomically with its mode set at creation: exclusive create of
 * a temporary file beside the target, write, fsync, rename.
 */
async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
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

export class KeyStore {
  /** `<home>/trust`. */
  readonly directory: string;
  private readonly now: () => Date;
  private readonly scrypt: ScryptParams | undefined;

  constructor(options: KeyStoreOptions = {}) {
    this.directory = trustDirectory(options);
    this.now = options.now ?? (() => new Date());
    this.scrypt = options.scrypt;
  }

  private get privateDir(): string {
    return join(this.directory, 'private');
  }

  private get publicDir(): string {
    return join(this.directory, 'public');
  }

  private privatePath(id: string): string {
    return join(this.privateDir, `${id}.key`);
  }

  private publicPath(id: string): string {
    return join(this.publicDir, `${id}.pub`);
  }

  // ---- document ---------------------------------------------------------

  private async load(): Promise<TrustDocument> {
    let text: string;
    try {
      text = await readFile(join(this.directory, TRUST_FILE), 'utf8');
    } catch (err) {
      if (isMissing(err)) return emptyDocument();
      throw err;
    }
    return parseDocument(text);
  }

  private async save(doc: TrustDocument): Promise<void> {
    await this.ensureLayout();
    await writeFileAtomic(join(this.directory, TRUST_FILE), `${JSON.stringify(doc, null, 2)}\n`, 0o644);
  }

  private async ensureLayout(): Promise<void> {
    await ensureDirectory(this.directory, 0o700);
    await ensureDirectory(this.privateDir, 0o700);
    await ensureDirectory(this.publicDir, 0o755);
  }

  private rootId(doc: TrustDocument): string | undefined {
    return Object.entries(doc.keys).find(([, r]) => r.role === 'root')?.[0];
  }

  /** Resolve `root`, `repository` (the only live repository key), a full id or a unique id prefix (≥ 6 hex). */
  private resolve(doc: TrustDocument, ref: string): string {
    if (ref === 'root') {
      const id = this.rootId(doc);
      if (!id) throw new KeyError('ROOT_MISSING', 'the store has no root key');
      return id;
    }
    if (ref === 'repository') {
      const revoked = this.revokedIds(doc);
      const ids = Object.entries(doc.keys)
        .filter(([id, r]) => r.role === 'repository' && !revoked.has(id))
        .map(([id]) => id);
      if (ids.length === 0) throw new KeyError('KEY_NOT_FOUND', 'the store has no repository key');
      if (ids.length > 1) throw new KeyError('KEY_AMBIGUOUS', 'the store has several repository keys; name one by id');
      return ids[0]!;
    }
    const lower = ref.toLowerCase();
    if (!/^[0-9a-f]{6,64}$/.test(lower)) throw new KeyError('KEY_NOT_FOUND', `no key ${JSON.stringify(ref)} (give root, repository, or a key id)`);
    const ids = Object.keys(doc.keys).filter((id) => id.startsWith(lower));
    if (ids.length === 0) throw new KeyError('KEY_NOT_FOUND', `no key with id ${lower}`);
    if (ids.length > 1) throw new KeyError('KEY_AMBIGUOUS', `several keys start with ${lower}`);
    return ids[0]!;
  }

  private async rootPublicKey(doc: TrustDocument): Promise<KeyObject | undefined> {
    const id = this.rootId(doc);
    if (!id) return undefined;
    return this.readPublicKey(id);
  }

  private async readPublicKey(id: string): Promise<KeyObject> {
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

  /** Ids revoked by a revocation list that verifies; all non-root ids when the list does not verify (fail closed). */
  private revokedIdsWith(doc: TrustDocument, root: KeyObject | undefined): Set<string> {
    if (!doc.revocations) return new Set();
    if (!root) return new Set(Object.keys(doc.keys).filter((id) => doc.keys[id]!.role !== 'root'));
    try {
      return new Set(checkRevocationList(root, doc.revocations).revoked.map((e) => e.keyId));
    } catch {
      return new Set(Object.keys(doc.keys).filter((id) => doc.keys[id]!.role !== 'root'));
    }
  }

  private revokedIds(doc: TrustDocument): Set<string> {
    // Synchronous view used for ref resolution: statement contents only, not the signature.
    return new Set((doc.revocations?.statement?.revoked ?? []).map((e) => e.keyId));
  }

  private validCertification(doc: TrustDocument, root: KeyObject | undefined, id: string): CertificationStatement | undefined {
    if (!root) return undefined;
    for (const c of doc.certifications) {
      if (c?.statement?.keyId !== id) continue;
      try {
        return checkCertification(root, c);
      } catch {
        // an invalid certification confers nothing
      }
    }
    return undefined;
  }

  private info(doc: TrustDocument, root: KeyObject | undefined, revoked: Set<string>, id: string): KeyInfo {
    const r = doc.keys[id]!;
    const cert = r.role === 'repository' ? this.validCertification(doc, root, id) : undefined;
    return {
      id,
      role: r.role,
      algorithm: r.algorithm,
      created: r.created,
      source: r.source,
      hasPrivateKey: r.private,
      repositories: cert ? [...cert.repositories] : [],
      certified: cert !== undefined,
      ...(cert?.expires ? { expires: cert.expires } : {}),
      revoked: revoked.has(id),
    };
  }

  private async infoOf(doc: TrustDocument, id: string): Promise<KeyInfo> {
    const root = await this.rootPublicKey(doc);
    return this.info(doc, root, this.revokedIdsWith(doc, root), id);
  }

  // ---- private key files -------------------------------------------------

  private async readPrivateFile(id: string): Promise<string> {
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

  private async writeKeyFiles(id: string, publicKey: KeyObject, encryptedPem?: string): Promise<void> {
    await this.ensureLayout();
    if (encryptedPem !== undefined) await writeFileAtomic(this.privatePath(id), encryptedPem, 0o600);
    await writeFileAtomic(this.publicPath(id), publicKeyPem(publicKey), 0o644);
  }

  private async unlockRoot(doc: TrustDocument, passphrase: Passphrase | undefined): Promise<UnlockedKey> {
    const id = this.rootId(doc);
    if (!id) throw new KeyError('ROOT_MISSING', 'the store has no root key');
    if (isEmptyPassphrase(passphrase)) throw new KeyError('PASSPHRASE_REQUIRED', 'the root key passphrase is required');
    return this.unlockId(doc, id, passphrase!);
  }

  private async unlockId(doc: TrustDocument, id: string, passphrase: Passphrase): Promise<UnlockedKey> {
    const record = doc.keys[id]!;
    if (!record.private) throw new KeyError('PRIVATE_KEY_MISSING', `the store has only the public half of ${id.slice(0, 16)}`);
    const { privateKey, metadata } = await decryptPrivateKey(await this.readPrivateFile(id), passphrase);
    if (metadata.keyId !== id) throw new KeyError('STORE_CORRUPT', `the private key file of ${id.slice(0, 16)} holds another key`);
    return { id, role: record.role, algorithm: record.algorithm, privateKey };
  }

  private nextRevocations(doc: TrustDocument, root: UnlockedKey, add: RevocationEntry): Signed<RevocationList> {
    let current: RevocationList | undefined;
    if (doc.revocations) current = checkRevocationList(root.privateKey, doc.revocations);
    const entries = [...(current?.revoked ?? [])];
    if (!entries.some((e) => e.keyId === add.keyId)) entries.push(add);
    return createRevocationList(root.privateKey, { serial: (current?.serial ?? 0) + 1, issued: this.now(), revoked: entries });
  }

  private withCertification(doc: TrustDocument, signed: Signed<CertificationStatement>): void {
    doc.certifications = [...doc.certifications.filter((c) => c?.statement?.keyId !== signed.statement.keyId), signed];
  }

  // ---- operations --------------------------------------------------------

  /** Generate a root or repository key; a repository key can be certified at once. */
  async generate(options: GenerateOptions): Promise<KeyInfo> {
    const role = options.role;
    if (!(KEY_ROLES as readonly string[]).includes(role)) throw new KeyError('ARGUMENT_INVALID', `unknown role ${String(role)}`);
    const algorithm = options.algorithm ?? DEFAULT_ALGORITHM;
    if (!isGenerateAlgorithm(algorithm)) throw new KeyError('KEY_UNSUPPORTED', `cannot generate ${String(algorithm)} keys`);
    if (isEmptyPassphrase(options.passphrase)) throw new KeyError('PASSPHRASE_REQUIRED', 'a non-empty passphrase is required for the new key');
    const doc = await this.load();
    const certifyNow = options.repositories !== undefined && options.repositories.length > 0;
    if (role === 'root') {
      if (this.rootId(doc)) throw new KeyError('ROOT_EXISTS', 'the store already has a root key');
      if (certifyNow) throw new KeyError('ARGUMENT_INVALID', 'a root key is not certified for repositories');
    }
    if (certifyNow) options.repositories!.forEach(validateGlob);
    let root: UnlockedKey | undefined;
    if (certifyNow) root = await this.unlockRoot(doc, options.rootPassphrase);

    const pair = generateKeyPair(algorithm);
    try {
      const created = this.now().toISOString();
      const pem = await encryptPrivateKey(pair.pkcs8, options.passphrase, { role, algorithm, keyId: pair.keyId, created }, this.scryptOption());
      await this.writeKeyFiles(pair.keyId, pair.publicKey, pem);
      doc.keys[pair.keyId] = { role, algorithm, created, source: 'generated', private: true };
      if (root) {
        this.withCertification(
          doc,
          createCertification(root.privateKey, { publicKey: pair.publicKey, repositories: options.repositories!, issued: this.now(), ...(options.expires ? { expires: options.expires } : {}) }),
        );
      }
      await this.save(doc);
      return await this.infoOf(doc, pair.keyId);
    } finally {
      pair.pkcs8.fill(0);
    }
  }

  private scryptOption(): { scrypt?: ScryptParams } {
    return this.scrypt ? { scrypt: this.scrypt } : {};
  }

  /** Every key in the store, roots first, then by creation time. */
  async list(): Promise<KeyInfo[]> {
    const doc = await this.load();
    const root = await this.rootPublicKey(doc);
    const revoked = this.revokedIdsWith(doc, root);
    return Object.keys(doc.keys)
      .map((id) => this.info(doc, root, revoked, id))
      .sort((a, b) => (a.role === b.role ? a.created.localeCompare(b.created) || a.id.localeCompare(b.id) : a.role === 'root' ? -1 : 1));
  }

  /** The PEM public key (SubjectPublicKeyInfo, as cosign.pub) of a key given by id, id prefix, `root` or `repository`. */
  async exportPublic(ref: string): Promise<string> {
    const doc = await this.load();
    const id = this.resolve(doc, ref);
    return publicKeyPem(await this.readPublicKey(id));
  }

  /** The public key object of a key. */
  async publicKey(ref: string): Promise<KeyObject> {
    const doc = await this.load();
    return this.readPublicKey(this.resolve(doc, ref));
  }

  /** Decrypt a private key for signing. */
  async unlock(ref: string, passphrase: Passphrase): Promise<UnlockedKey> {
    const doc = await this.load();
    return this.unlockId(doc, this.resolve(doc, ref), passphrase);
  }

  /**
   * Import a key: our format, cosign's encrypted keys (both labels), plain
   * PKCS#8 / SEC 1 / PKCS#1 private keys, PEM or DER public keys. A private
   * key is re-encrypted in our format under `newPassphrase ?? passphrase`.
   */
  async importKey(input: string | Uint8Array, options: ImportOptions = {}): Promise<KeyInfo> {
    const parsed = await parseKeyMaterial(input, options.passphrase !== undefined ? { passphrase: options.passphrase } : {});
    const role: KeyRole = options.role ?? (parsed.kind === 'private' ? parsed.metadata?.role : undefined) ?? 'repository';
    if (!(KEY_ROLES as readonly string[]).includes(role)) throw new KeyError('ARGUMENT_INVALID', `unknown role ${String(role)}`);
    const doc = await this.load();
    const existing = doc.keys[parsed.keyId];
    if (existing && (existing.private || parsed.kind === 'public')) throw new KeyError('KEY_EXISTS', `key ${parsed.keyId.slice(0, 16)} is already in the store`);
    if (existing && existing.role !== role) throw new KeyError('ROLE_INVALID', `key ${parsed.keyId.slice(0, 16)} is in the store as a ${existing.role} key`);
    const rootId = this.rootId(doc);
    if (role === 'root' && rootId && rootId !== parsed.keyId) throw new KeyError('ROOT_EXISTS', 'the store already has a root key');
    const certifyNow = options.repositories !== undefined && options.repositories.length > 0;
    if (certifyNow && role !== 'repository') throw new KeyError('ARGUMENT_INVALID', 'only repository keys are certified for repositories');
    if (certifyNow) options.repositories!.forEach(validateGlob);

    let pem: string | undefined;
    if (parsed.kind === 'private') {
      const storePassphrase = options.newPassphrase ?? options.passphrase;
      if (storePassphrase === undefined || isEmptyPassphrase(storePassphrase)) {
        throw new KeyError('PASSPHRASE_REQUIRED', 'a non-empty passphrase is required to keep the imported private key (newPassphrase)');
      }
      const pkcs8 = parsed.privateKey.export({ format: 'der', type: 'pkcs8' });
      try {
        const created = parsed.metadata?.created ?? existing?.created ?? this.now().toISOString();
        pem = await encryptPrivateKey(pkcs8, storePassphrase, { role, algorithm: parsed.algorithm, keyId: parsed.keyId, created }, this.scryptOption());
      } finally {
        pkcs8.fill(0);
      }
    }
    let root: UnlockedKey | undefined;
    if (certifyNow) root = await this.unlockRoot(doc, options.rootPassphrase);

    await this.writeKeyFiles(parsed.keyId, parsed.publicKey, pem);
    doc.keys[parsed.keyId] = {
      role,
      algorithm: parsed.algorithm,
      created: existing?.created ?? (parsed.kind === 'private' ? parsed.metadata?.created : undefined) ?? this.now().toISOString(),
      source: existing?.source ?? 'imported',
      private: parsed.kind === 'private',
    };
    if (root) {
      this.withCertification(
        doc,
        createCertification(root.privateKey, { publicKey: parsed.publicKey, repositories: options.repositories!, issued: this.now(), ...(options.expires ? { expires: options.expires } : {}) }),
      );
    }
    await this.save(doc);
    return this.infoOf(doc, parsed.keyId);
  }

  /**
   * The root certifies a repository key for repository globs. Replaces the
   * key's previous certification: pass the complete list.
   */
  async certify(ref: string, repositories: readonly string[], options: CertifyOptions): Promise<KeyInfo> {
    const doc = await this.load();
    const id = this.resolve(doc, ref);
    if (doc.keys[id]!.role !== 'repository') throw new KeyError('ROLE_INVALID', 'only repository keys are certified');
    const root = await this.unlockRoot(doc, options.rootPassphrase);
    if (this.revokedIdsWith(doc, root.privateKey).has(id)) throw new KeyError('KEY_REVOKED', `key ${id.slice(0, 16)} is revoked`);
    const publicKey = await this.readPublicKey(id);
    this.withCertification(doc, createCertification(root.privateKey, { publicKey, repositories, issued: this.now(), ...(options.expires ? { expires: options.expires } : {}) }));
    await this.save(doc);
    return this.infoOf(doc, id);
  }

  /** The root revokes a repository key: its signatures stop verifying. Idempotent. */
  async revoke(ref: string, options: RevokeOptions): Promise<KeyInfo> {
    const doc = await this.load();
    const id = this.resolve(doc, ref);
    if (doc.keys[id]!.role === 'root') throw new KeyError('ROLE_INVALID', 'the root key cannot be revoked by itself; replace the trust store instead');
    const root = await this.unlockRoot(doc, options.rootPassphrase);
    doc.revocations = this.nextRevocations(doc, root, { keyId: id, revoked: this.now().toISOString(), ...(options.reason ? { reason: options.reason } : {}) });
    await this.save(doc);
    return this.infoOf(doc, id);
  }

  /**
   * Replace a repository key: a new key is generated and certified (for the
   * old key's globs unless given), and the old key revoked unless keepOld.
   */
  async rotate(ref: string, options: RotateOptions): Promise<RotateResult> {
    if (isEmptyPassphrase(options.passphrase)) throw new KeyError('PASSPHRASE_REQUIRED', 'a non-empty passphrase is required for the new key');
    const doc = await this.load();
    const oldId = this.resolve(doc, ref);
    const old = doc.keys[oldId]!;
    if (old.role !== 'repository') throw new KeyError('ROLE_INVALID', 'only repository keys are rotated');
    const root = await this.unlockRoot(doc, options.rootPassphrase);
    const rootPublic = await this.readPublicKey(root.id);
    if (this.revokedIdsWith(doc, rootPublic).has(oldId)) throw new KeyError('KEY_REVOKED', `key ${oldId.slice(0, 16)} is already revoked`);
    const repositories = options.repositories ?? this.validCertification(doc, rootPublic, oldId)?.repositories;
    if (!repositories || repositories.length === 0) {
      throw new KeyError('ARGUMENT_INVALID', `key ${oldId.slice(0, 16)} has no valid certification to carry over; give the repositories`);
    }
    repositories.forEach(validateGlob);
    const algorithm = options.algorithm ?? (isGenerateAlgorithm(old.algorithm) ? old.algorithm : DEFAULT_ALGORITHM);
    if (!isGenerateAlgorithm(algorithm)) throw new KeyError('KEY_UNSUPPORTED', `cannot generate ${String(algorithm)} keys`);
    const pair = generateKeyPair(algorithm);
    try {
      const created = this.now().toISOString();
      const pem = await encryptPrivateKey(pair.pkcs8, options.passphrase, { role: 'repository', algorithm, keyId: pair.keyId, created }, this.scryptOption());
      await this.writeKeyFiles(pair.keyId, pair.publicKey, pem);
      doc.keys[pair.keyId] = { role: 'repository', algorithm, created, source: 'generated', private: true };
      this.withCertification(
        doc,
        createCertification(root.privateKey, { publicKey: pair.publicKey, repositories, issued: this.now(), ...(options.expires ? { expires: options.expires } : {}) }),
      );
      if (!options.keepOld) {
        doc.revocations = this.nextRevocations(doc, root, { keyId: oldId, revoked: this.now().toISOString(), reason: `rotated to ${pair.keyId}` });
      }
      await this.save(doc);
      return { newKey: await this.infoOf(doc, pair.keyId), oldKey: await this.infoOf(doc, oldId) };
    } finally {
      pair.pkcs8.fill(0);
    }
  }

  /** Whether the key may sign for the repository (see statements.ts for the rule). */
  async isAuthorized(keyId: string, repository: string, options: { now?: Date } = {}): Promise<boolean> {
    return (await this.checkAuthorization(keyId, repository, options)).authorized;
  }

  /** isAuthorized with the reason. */
  async checkAuthorization(keyId: string, repository: string, options: { now?: Date } = {}): Promise<AuthorizationResult> {
    const doc = await this.load();
    let root: KeyObject | undefined;
    try {
      root = await this.rootPublicKey(doc);
    } catch {
      root = undefined;
    }
    return evaluateAuthorization({
      rootPublicKey: root,
      keyId: keyId.toLowerCase(),
      repository,
      certifications: doc.certifications,
      revocations: doc.revocations ?? undefined,
      now: options.now ?? this.now(),
    });
  }

  /** Whether a verified revocation list names the key (true for every key when the list does not verify). */
  async isRevoked(keyId: string): Promise<boolean> {
    const doc = await this.load();
    const root = await this.rootPublicKey(doc);
    if (root && keyIdOfKey(root) === keyId) return false;
    return this.revokedIdsWith(doc, root).has(keyId.toLowerCase());
  }

  // ---- backup ------------------------------------------------------------

  /** The whole trust directory as a JSON bundle; private keys stay encrypted. */
  async exportBackup(): Promise<TrustBackup> {
    const files: { path: string; content: string }[] = [];
    const add = async (rel: string): Promise<void> => {
      const bytes = rel.startsWith('private/') ? Buffer.from(await this.readPrivateFile(rel.slice(8, 72)), 'utf8') : await readFile(join(this.directory, rel));
      files.push({ path: rel, content: bytes.toString('base64') });
    };
    const doc = await this.load();
    for (const id of Object.keys(doc.keys).sort()) {
      await add(`public/${id}.pub`);
      if (doc.keys[id]!.private) await add(`private/${id}.key`);
    }
    try {
      await add(TRUST_FILE);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    return { format: 'portcullis-trust-backup', version: 1, created: this.now().toISOString(), files };
  }

  /**
   * Restore a bundle made by exportBackup. The bundle is checked whole first
   * (paths, trust.json, every key file against its id) and nothing is written
   * if any check fails. An existing store is refused (STORE_NOT_EMPTY) unless
   * `force`, which moves it aside to `trust.replaced-<time>` first.
   */
  async restoreBackup(backup: TrustBackup | string | Uint8Array, options: { force?: boolean } = {}): Promise<void> {
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

    if (await this.hasContent()) {
      if (!options.force) throw new KeyError('STORE_NOT_EMPTY', `${this.directory} already holds keys; restore with force to move it aside`);
      const aside = `${this.directory}.replaced-${this.now().toISOString().replace(/[:.]/g, '-')}`;
      await rename(this.directory, aside);
    }
    await this.ensureLayout();
    for (const [path, bytes] of contents) {
      if (path === TRUST_FILE) continue;
      await writeFileAtomic(join(this.directory, path), bytes, path.startsWith('private/') ? 0o600 : 0o644);
    }
    await writeFileAtomic(join(this.directory, TRUST_FILE), trustBytes, 0o644);
  }

  private async hasContent(): Promise<boolean> {
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

/** A store for these options (the home from options, else the environment). */
export function openKeyStore(options: KeyStoreOptions = {}): KeyStore {
  return new KeyStore(options);
}
