/**
 * The key store (this file and store/): the only part of trust/keys that
 * touches files.
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
 * The parts are in store/: files.ts (layout, atomic writes, permission
 * checks), document.ts (trust.json), certification.ts (what the root-signed
 * statements say), backup.ts (bundle export and restore), types.ts. This
 * file keeps the operations, which combine them.
 *
 * No module-level state: each KeyStore gets its home from its options, with
 * the environment as the default.
 */
import type { KeyObject } from 'node:crypto';
import { KeyError } from './errors.js';
import { decryptPrivateKey, encryptPrivateKey, type ScryptParams } from './encrypted.js';
import { parseKeyMaterial } from './import.js';
import { DEFAULT_ALGORITHM, generateKeyPair, isGenerateAlgorithm, keyIdOfKey, publicKeyPem, KEY_ROLES, type KeyRole } from './keys.js';
import { validateGlob } from './globs.js';
import { isEmptyPassphrase, type Passphrase } from './secret.js';
import { createCertification, evaluateAuthorization, type AuthorizationResult } from './statements.js';
import { exportBackup, restoreBackup } from './store/backup.js';
import { keyInfo, nextRevocations, resolveKey, revokedIdsWith, rootIdOf, validCertification, withCertification } from './store/certification.js';
import type { TrustDocument } from './store/document.js';
import { TrustFiles, trustDirectory } from './store/files.js';
import type { CertifyOptions, GenerateOptions, ImportOptions, KeyInfo, KeyStoreOptions, RevokeOptions, RotateOptions, RotateResult, TrustBackup, UnlockedKey } from './store/types.js';

export { trustDirectory } from './store/files.js';
export type {
  CertifyOptions,
  GenerateOptions,
  ImportOptions,
  KeyInfo,
  KeySourceKind,
  KeyStoreOptions,
  RevokeOptions,
  RotateOptions,
  RotateResult,
  TrustBackup,
  UnlockedKey,
} from './store/types.js';

export class KeyStore {
  /** `<home>/trust`. */
  readonly directory: string;
  private readonly now: () => Date;
  private readonly scrypt: ScryptParams | undefined;
  private readonly files: TrustFiles;

  constructor(options: KeyStoreOptions = {}) {
    this.directory = trustDirectory(options);
    this.now = options.now ?? (() => new Date());
    this.scrypt = options.scrypt;
    this.files = new TrustFiles(this.directory);
  }

  private async rootPublicKey(doc: TrustDocument): Promise<KeyObject | undefined> {
    const id = rootIdOf(doc);
    if (!id) return undefined;
    return this.files.readPublicKey(id);
  }

  private async infoOf(doc: TrustDocument, id: string): Promise<KeyInfo> {
    const root = await this.rootPublicKey(doc);
    return keyInfo(doc, root, revokedIdsWith(doc, root), id);
  }

  private async unlockRoot(doc: TrustDocument, passphrase: Passphrase | undefined): Promise<UnlockedKey> {
    const id = rootIdOf(doc);
    if (!id) throw new KeyError('ROOT_MISSING', 'the store has no root key');
    if (isEmptyPassphrase(passphrase)) throw new KeyError('PASSPHRASE_REQUIRED', 'the root key passphrase is required');
    return this.unlockId(doc, id, passphrase!);
  }

  private async unlockId(doc: TrustDocument, id: string, passphrase: Passphrase): Promise<UnlockedKey> {
    const record = doc.keys[id]!;
    if (!record.private) throw new KeyError('PRIVATE_KEY_MISSING', `the store has only the public half of ${id.slice(0, 16)}`);
    const { privateKey, metadata } = await decryptPrivateKey(await this.files.readPrivateFile(id), passphrase);
    if (metadata.keyId !== id) throw new KeyError('STORE_CORRUPT', `the private key file of ${id.slice(0, 16)} holds another key`);
    return { id, role: record.role, algorithm: record.algorithm, privateKey };
  }

  // ---- operations --------------------------------------------------------

  /** Generate a root or repository key; a repository key can be certified at once. */
  async generate(options: GenerateOptions): Promise<KeyInfo> {
    const role = options.role;
    if (!(KEY_ROLES as readonly string[]).includes(role)) throw new KeyError('ARGUMENT_INVALID', `unknown role ${String(role)}`);
    const algorithm = options.algorithm ?? DEFAULT_ALGORITHM;
    if (!isGenerateAlgorithm(algorithm)) throw new KeyError('KEY_UNSUPPORTED', `cannot generate ${String(algorithm)} keys`);
    if (isEmptyPassphrase(options.passphrase)) throw new KeyError('PASSPHRASE_REQUIRED', 'a non-empty passphrase is required for the new key');
    const doc = await this.files.load();
    const certifyNow = options.repositories !== undefined && options.repositories.length > 0;
    if (role === 'root') {
      if (rootIdOf(doc)) throw new KeyError('ROOT_EXISTS', 'the store already has a root key');
      if (certifyNow) throw new KeyError('ARGUMENT_INVALID', 'a root key is not certified for repositories');
    }
    if (certifyNow) options.repositories!.forEach(validateGlob);
    let root: UnlockedKey | undefined;
    if (certifyNow) root = await this.unlockRoot(doc, options.rootPassphrase);

    const pair = generateKeyPair(algorithm);
    try {
      const created = this.now().toISOString();
      const pem = await encryptPrivateKey(pair.pkcs8, options.passphrase, { role, algorithm, keyId: pair.keyId, created }, this.scryptOption());
      await this.files.writeKeyFiles(pair.keyId, pair.publicKey, pem);
      doc.keys[pair.keyId] = { role, algorithm, created, source: 'generated', private: true };
      if (root) {
        withCertification(
          doc,
          createCertification(root.privateKey, { publicKey: pair.publicKey, repositories: options.repositories!, issued: this.now(), ...(options.expires ? { expires: options.expires } : {}) }),
        );
      }
      await this.files.save(doc);
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
    const doc = await this.files.load();
    const root = await this.rootPublicKey(doc);
    const revoked = revokedIdsWith(doc, root);
    return Object.keys(doc.keys)
      .map((id) => keyInfo(doc, root, revoked, id))
      .sort((a, b) => (a.role === b.role ? a.created.localeCompare(b.created) || a.id.localeCompare(b.id) : a.role === 'root' ? -1 : 1));
  }

  /** The PEM public key (SubjectPublicKeyInfo, as cosign.pub) of a key given by id, id prefix, `root` or `repository`. */
  async exportPublic(ref: string): Promise<string> {
    const doc = await this.files.load();
    const id = resolveKey(doc, ref);
    return publicKeyPem(await this.files.readPublicKey(id));
  }

  /** The public key object of a key. */
  async publicKey(ref: string): Promise<KeyObject> {
    const doc = await this.files.load();
    return this.files.readPublicKey(resolveKey(doc, ref));
  }

  /** Decrypt a private key for signing. */
  async unlock(ref: string, passphrase: Passphrase): Promise<UnlockedKey> {
    const doc = await this.files.load();
    return this.unlockId(doc, resolveKey(doc, ref), passphrase);
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
    const doc = await this.files.load();
    const existing = doc.keys[parsed.keyId];
    if (existing && (existing.private || parsed.kind === 'public')) throw new KeyError('KEY_EXISTS', `key ${parsed.keyId.slice(0, 16)} is already in the store`);
    if (existing && existing.role !== role) throw new KeyError('ROLE_INVALID', `key ${parsed.keyId.slice(0, 16)} is in the store as a ${existing.role} key`);
    const rootId = rootIdOf(doc);
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

    await this.files.writeKeyFiles(parsed.keyId, parsed.publicKey, pem);
    doc.keys[parsed.keyId] = {
      role,
      algorithm: parsed.algorithm,
      created: existing?.created ?? (parsed.kind === 'private' ? parsed.metadata?.created : undefined) ?? this.now().toISOString(),
      source: existing?.source ?? 'imported',
      private: parsed.kind === 'private',
    };
    if (root) {
      withCertification(
        doc,
        createCertification(root.privateKey, { publicKey: parsed.publicKey, repositories: options.repositories!, issued: this.now(), ...(options.expires ? { expires: options.expires } : {}) }),
      );
    }
    await this.files.save(doc);
    return this.infoOf(doc, parsed.keyId);
  }

  /**
   * The root certifies a repository key for repository globs. Replaces the
   * key's previous certification: pass the complete list.
   */
  async certify(ref: string, repositories: readonly string[], options: CertifyOptions): Promise<KeyInfo> {
    const doc = await this.files.load();
    const id = resolveKey(doc, ref);
    if (doc.keys[id]!.role !== 'repository') throw new KeyError('ROLE_INVALID', 'only repository keys are certified');
    const root = await this.unlockRoot(doc, options.rootPassphrase);
    if (revokedIdsWith(doc, root.privateKey).has(id)) throw new KeyError('KEY_REVOKED', `key ${id.slice(0, 16)} is revoked`);
    const publicKey = await this.files.readPublicKey(id);
    withCertification(doc, createCertification(root.privateKey, { publicKey, repositories, issued: this.now(), ...(options.expires ? { expires: options.expires } : {}) }));
    await this.files.save(doc);
    return this.infoOf(doc, id);
  }

  /** The root revokes a repository key: its signatures stop verifying. Idempotent. */
  async revoke(ref: string, options: RevokeOptions): Promise<KeyInfo> {
    const doc = await this.files.load();
    const id = resolveKey(doc, ref);
    if (doc.keys[id]!.role === 'root') throw new KeyError('ROLE_INVALID', 'the root key cannot be revoked by itself; replace the trust store instead');
    const root = await this.unlockRoot(doc, options.rootPassphrase);
    doc.revocations = nextRevocations(doc, root, { keyId: id, revoked: this.now().toISOString(), ...(options.reason ? { reason: options.reason } : {}) }, this.now);
    await this.files.save(doc);
    return this.infoOf(doc, id);
  }

  /**
   * Replace a repository key: a new key is generated and certified (for the
   * old key's globs unless given), and the old key revoked unless keepOld.
   */
  async rotate(ref: string, options: RotateOptions): Promise<RotateResult> {
    if (isEmptyPassphrase(options.passphrase)) throw new KeyError('PASSPHRASE_REQUIRED', 'a non-empty passphrase is required for the new key');
    const doc = await this.files.load();
    const oldId = resolveKey(doc, ref);
    const old = doc.keys[oldId]!;
    if (old.role !== 'repository') throw new KeyError('ROLE_INVALID', 'only repository keys are rotated');
    const root = await this.unlockRoot(doc, options.rootPassphrase);
    const rootPublic = await this.files.readPublicKey(root.id);
    if (revokedIdsWith(doc, rootPublic).has(oldId)) throw new KeyError('KEY_REVOKED', `key ${oldId.slice(0, 16)} is already revoked`);
    const repositories = options.repositories ?? validCertification(doc, rootPublic, oldId)?.repositories;
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
      await this.files.writeKeyFiles(pair.keyId, pair.publicKey, pem);
      doc.keys[pair.keyId] = { role: 'repository', algorithm, created, source: 'generated', private: true };
      withCertification(
        doc,
        createCertification(root.privateKey, { publicKey: pair.publicKey, repositories, issued: this.now(), ...(options.expires ? { expires: options.expires } : {}) }),
      );
      if (!options.keepOld) {
        doc.revocations = nextRevocations(doc, root, { keyId: oldId, revoked: this.now().toISOString(), reason: `rotated to ${pair.keyId}` }, this.now);
      }
      await this.files.save(doc);
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
    const doc = await this.files.load();
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
    const doc = await this.files.load();
    const root = await this.rootPublicKey(doc);
    if (root && keyIdOfKey(root) === keyId) return false;
    return revokedIdsWith(doc, root).has(keyId.toLowerCase());
  }

  // ---- backup ------------------------------------------------------------

  /** The whole trust directory as a JSON bundle; private keys stay encrypted. */
  async exportBackup(): Promise<TrustBackup> {
    return exportBackup(this.files, this.now);
  }

  /**
   * Restore a bundle made by exportBackup. The bundle is checked whole first
   * (paths, trust.json, every key file against its id) and nothing is written
   * if any check fails. An existing store is refused (STORE_NOT_EMPTY) unless
   * `force`, which moves it aside to `trust.replaced-<time>` first.
   */
  async restoreBackup(backup: TrustBackup | string | Uint8Array, options: { force?: boolean } = {}): Promise<void> {
    return restoreBackup(this.files, backup, options, this.now);
  }
}

/** A store for these options (the home from options, else the environment). */
export function openKeyStore(options: KeyStoreOptions = {}): KeyStore {
  return new KeyStore(options);
}
