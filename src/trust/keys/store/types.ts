/** The key store's public vocabulary: its options, what it answers, and the backup bundle. */
import type { KeyObject } from 'node:crypto';
import type { ScryptParams } from '../encrypted.js';
import type { GenerateAlgorithm, KeyAlgorithm, KeyRole } from '../keys.js';
import type { Passphrase } from '../secret.js';

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
