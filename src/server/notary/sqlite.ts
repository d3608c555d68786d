/**
 * TufMetadataStore on SQLite: the `notary` component of the registry's
 * SQLite file (`registry.sqlite`, component-sqlite.ts), on a connection of
 * its own and versioned apart in `schema_components`, as identity and
 * webhooks are. Keys are stored sealed (key-sealing.ts); `put` is one
 * transaction, which SQLite serialises against every other writer of the
 * file, so a version is taken once.
 */
import { SqliteComponentStore, type SqliteComponent } from '../metadata/component-sqlite.js';
import { fileOf, keyOf, sha256Hex, sha512Hex, type FileRow, type KeyRow } from './rows.js';
import { VersionConflictError, type FileUpdate, type StoredFile, type StoredKey, type TufMetadataStore } from './store.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE notary_files (
    gun TEXT NOT NULL, role TEXT NOT NULL, version INTEGER NOT NULL,
    sha256 TEXT NOT NULL, sha512 TEXT NOT NULL, data BLOB NOT NULL, created INTEGER NOT NULL,
    PRIMARY KEY (gun, role, version)
  ) WITHOUT ROWID;
  CREATE INDEX notary_files_sha256 ON notary_files (gun, role, sha256);
  CREATE INDEX notary_files_sha512 ON notary_files (gun, role, sha512);
  CREATE TABLE notary_keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, gun TEXT NOT NULL, role TEXT NOT NULL, key_id TEXT NOT NULL,
    sealed_key BLOB NOT NULL, kek_id TEXT NOT NULL, created INTEGER NOT NULL,
    UNIQUE (gun, role, key_id)
  );
  CREATE INDEX notary_keys_kek ON notary_keys (kek_id);
  `,
];

export const NOTARY_SCHEMA_VERSION = MIGRATIONS.length;

const TABLES: SqliteComponent = { name: 'notary', label: 'Notary trust data', migrations: MIGRATIONS };

export class SqliteTufStore extends SqliteComponentStore implements TufMetadataStore {
  readonly #s: ReturnType<SqliteTufStore['prepare']>;

  /** `path`: the registry's SQLite file (`<root>/registry.sqlite`), or `:memory:`. */
  constructor(path: string) {
    super(path, TABLES);
    this.#s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      insert: db.prepare('INSERT INTO notary_files (gun, role, version, sha256, sha512, data, created) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      exists: db.prepare<[string, string, number]>('SELECT 1 FROM notary_files WHERE gun = ? AND role = ? AND version >= ? LIMIT 1'),
      latest: db.prepare<[string, string], FileRow>('SELECT * FROM notary_files WHERE gun = ? AND role = ? ORDER BY version DESC LIMIT 1'),
      byVersion: db.prepare<[string, string, number], FileRow>('SELECT * FROM notary_files WHERE gun = ? AND role = ? AND version = ?'),
      by256: db.prepare<[string, string, string], FileRow>('SELECT * FROM notary_files WHERE gun = ? AND role = ? AND sha256 = ? ORDER BY version DESC LIMIT 1'),
      by512: db.prepare<[string, string, string], FileRow>('SELECT * FROM notary_files WHERE gun = ? AND role = ? AND sha512 = ? ORDER BY version DESC LIMIT 1'),
      deleteFiles: db.prepare<[string]>('DELETE FROM notary_files WHERE gun = ?'),
      deleteKeys: db.prepare<[string]>('DELETE FROM notary_keys WHERE gun = ?'),
      keys: db.prepare<[string, string], KeyRow>('SELECT * FROM notary_keys WHERE gun = ? AND role = ? ORDER BY created DESC, seq DESC'),
      addKey: db.prepare('INSERT INTO notary_keys (gun, role, key_id, sealed_key, kek_id, created) VALUES (?, ?, ?, ?, ?, ?)'),
      kekIds: db.prepare<[], { kek_id: string }>('SELECT DISTINCT kek_id FROM notary_keys LIMIT 16'),
    };
  }

  async put(gun: string, updates: readonly FileUpdate[]): Promise<void> {
    const now = Date.now();
    this.db.transaction(() => {
      for (const u of updates) {
        if (this.#s.exists.get(gun, u.role, u.version)) throw new VersionConflictError(u.role, u.version);
        this.#s.insert.run(gun, u.role, u.version, sha256Hex(u.data), sha512Hex(u.data), u.data, now);
      }
    }).immediate();
  }

  async latest(gun: string, role: string): Promise<StoredFile | undefined> {
    return fileOf(this.#s.latest.get(gun, role));
  }

  async byVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined> {
    return fileOf(this.#s.byVersion.get(gun, role, version));
  }

  async byChecksum(gun: string, role: string, checksum: string): Promise<StoredFile | undefined> {
    return fileOf((checksum.length === 128 ? this.#s.by512 : this.#s.by256).get(gun, role, checksum.toLowerCase()));
  }

  async deleteGun(gun: string): Promise<void> {
    this.db.transaction(() => {
      this.#s.deleteFiles.run(gun);
      this.#s.deleteKeys.run(gun);
    })();
  }

  async keys(gun: string, role: string): Promise<StoredKey[]> {
    return this.#s.keys.all(gun, role).map(keyOf);
  }

  async addKey(key: StoredKey): Promise<void> {
    this.#s.addKey.run(key.gun, key.role, key.keyId, key.sealedKey, key.kekId, key.createdAt.getTime());
  }

  async kekIds(): Promise<string[]> {
    return this.#s.kekIds.all().map((r) => r.kek_id);
  }
}
