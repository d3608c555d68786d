/**
 * Where the Notary service keeps TUF metadata and its own signing keys: a
 * component store beside the content metadata (sqlite.ts in
 * `registry.sqlite`, postgres.ts in the `--metadata` PostgreSQL database),
 * so several `serve` processes sharing one database serve one trust state.
 * Files are kept byte-exact: the roles above hash these bytes. Private keys
 * reach the store only sealed (key-sealing.ts): the store never sees a key
 * in clear.
 */

export interface StoredFile {
  readonly gun: string;
  readonly role: string;
  readonly version: number;
  /** Lowercase hex sha256 of `data`. */
  readonly sha256: string;
  readonly data: Buffer;
  readonly createdAt: Date;
}

export interface FileUpdate {
  readonly role: string;
  readonly version: number;
  readonly data: Buffer;
}

export interface StoredKey {
  readonly gun: string;
  /** `timestamp` or `snapshot`. */
  readonly role: string;
  /** Notary key ID of the public key. */
  readonly keyId: string;
  /** The PKCS#8 DER private key sealed by key-sealing.ts (never the key in clear). */
  readonly sealedKey: Buffer;
  /** Which key-encryption key sealed it (key-sealing.ts `kekId`). */
  readonly kekId: string;
  readonly createdAt: Date;
}

/** Thrown by `put` when a (gun, role, version) already exists: someone published first. */
export class VersionConflictError extends Error {
  constructor(
    readonly role: string,
    readonly version: number,
  ) {
    super(`${role} version ${version} already exists`);
  }
}

export interface TufMetadataStore {
  /** Stores every update or none; a (gun, role, version) at or below one stored fails the whole batch with VersionConflictError. */
  put(gun: string, updates: readonly FileUpdate[]): Promise<void>;
  latest(gun: string, role: string): Promise<StoredFile | undefined>;
  byVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined>;
  /** `checksum` is lowercase hex sha256 or sha512 of the file. */
  byChecksum(gun: string, role: string, checksum: string): Promise<StoredFile | undefined>;
  /** Removes a GUN's metadata and keys. */
  deleteGun(gun: string): Promise<void>;
  /** The server's keys for a role, newest first. */
  keys(gun: string, role: string): Promise<StoredKey[]>;
  addKey(key: StoredKey): Promise<void>;
  /** The distinct key-encryption key ids of the stored keys (at most a few): what the start-up check compares with its own. */
  kekIds(): Promise<string[]>;
  close(): Promise<void>;
}
