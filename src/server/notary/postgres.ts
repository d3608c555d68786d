/**
 * TufMetadataStore on PostgreSQL, in the content store's schema (default
 * `portcullis_registry`), on a pool of its own, versioned apart in
 * `notary_migrations` and migrated as every component is
 * (component-postgres.ts). Several `serve` processes share it: a publish
 * takes a transaction-scoped advisory lock on its GUN, then checks that no
 * version it brings is taken and inserts, so two processes never both take
 * a version (the primary key would refuse the second anyway). Keys are
 * stored sealed (key-sealing.ts).
 */
import { LOCK_CLASS, openComponentPool, PostgresComponentStore, type PostgresComponent, type PostgresOptions } from '../metadata/component-postgres.js';
import { fileOf, keyOf, sha256Hex, sha512Hex, type FileRow, type KeyRow } from './rows.js';
import { VersionConflictError, type FileUpdate, type StoredFile, type StoredKey, type TufMetadataStore } from './store.js';

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.notary_files (
      gun text COLLATE "C" NOT NULL, role text COLLATE "C" NOT NULL, version integer NOT NULL,
      sha256 text NOT NULL, sha512 text NOT NULL, data bytea NOT NULL, created bigint NOT NULL,
      PRIMARY KEY (gun, role, version));
    CREATE INDEX notary_files_sha256 ON ${s}.notary_files (gun, role, sha256);
    CREATE INDEX notary_files_sha512 ON ${s}.notary_files (gun, role, sha512);
    CREATE TABLE ${s}.notary_keys (
      seq bigserial PRIMARY KEY, gun text COLLATE "C" NOT NULL, role text COLLATE "C" NOT NULL, key_id text COLLATE "C" NOT NULL,
      sealed_key bytea NOT NULL, kek_id text NOT NULL, created bigint NOT NULL,
      UNIQUE (gun, role, key_id));
    CREATE INDEX notary_keys_kek ON ${s}.notary_keys (kek_id);
  `,
];

export const NOTARY_SCHEMA_VERSION = MIGRATIONS.length;

const TABLES: PostgresComponent = { label: 'Notary trust data', lock: 'notary', versionTable: 'notary_migrations', migrations: MIGRATIONS, maxConnections: 4 };

type Outcome = { readonly conflict?: VersionConflictError };

export class PostgresTufStore extends PostgresComponentStore implements TufMetadataStore {
  static async open(target: PostgresOptions | string): Promise<PostgresTufStore> {
    return new PostgresTufStore(await openComponentPool(target, TABLES));
  }

  async put(gun: string, updates: readonly FileUpdate[]): Promise<void> {
    const now = Date.now();
    // The conflict is returned, not thrown: the pool turns what a transaction throws into a ServeError.
    const outcome = await this.db.transaction<Outcome>(async (q) => {
      await q('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `notary-gun:${gun}`]);
      for (const u of updates) {
        const { rows } = await q(`SELECT 1 FROM ${this.s}.notary_files WHERE gun = $1 AND role = $2 AND version >= $3 LIMIT 1`, [gun, u.role, u.version]);
        if (rows.length) return { conflict: new VersionConflictError(u.role, u.version) };
      }
      for (const u of updates) {
        await q(`INSERT INTO ${this.s}.notary_files (gun, role, version, sha256, sha512, data, created) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          gun,
          u.role,
          u.version,
          sha256Hex(u.data),
          sha512Hex(u.data),
          u.data,
          now,
        ]);
      }
      return {};
    });
    if (outcome.conflict) throw outcome.conflict;
  }

  async latest(gun: string, role: string): Promise<StoredFile | undefined> {
    return this.one(`SELECT * FROM ${this.s}.notary_files WHERE gun = $1 AND role = $2 ORDER BY version DESC LIMIT 1`, [gun, role]);
  }

  async byVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined> {
    return this.one(`SELECT * FROM ${this.s}.notary_files WHERE gun = $1 AND role = $2 AND version = $3`, [gun, role, version]);
  }

  async byChecksum(gun: string, role: string, checksum: string): Promise<StoredFile | undefined> {
    const column = checksum.length === 128 ? 'sha512' : 'sha256';
    return this.one(`SELECT * FROM ${this.s}.notary_files WHERE gun = $1 AND role = $2 AND ${column} = $3 ORDER BY version DESC LIMIT 1`, [gun, role, checksum.toLowerCase()]);
  }

  async deleteGun(gun: string): Promise<void> {
    await this.db.transaction(async (q) => {
      await q(`DELETE FROM ${this.s}.notary_files WHERE gun = $1`, [gun]);
      await q(`DELETE FROM ${this.s}.notary_keys WHERE gun = $1`, [gun]);
    });
  }

  async keys(gun: string, role: string): Promise<StoredKey[]> {
    const { rows } = await this.db.query(`SELECT * FROM ${this.s}.notary_keys WHERE gun = $1 AND role = $2 ORDER BY created DESC, seq DESC`, [gun, role]);
    return rows.map((r) => keyOf(r as KeyRow));
  }

  async addKey(key: StoredKey): Promise<void> {
    await this.db.query(`INSERT INTO ${this.s}.notary_keys (gun, role, key_id, sealed_key, kek_id, created) VALUES ($1, $2, $3, $4, $5, $6)`, [
      key.gun,
      key.role,
      key.keyId,
      key.sealedKey,
      key.kekId,
      key.createdAt.getTime(),
    ]);
  }

  async kekIds(): Promise<string[]> {
    const { rows } = await this.db.query<{ kek_id: string }>(`SELECT DISTINCT kek_id FROM ${this.s}.notary_keys LIMIT 16`);
    return rows.map((r) => r.kek_id);
  }

  private async one(text: string, values: unknown[]): Promise<StoredFile | undefined> {
    const { rows } = await this.db.query(text, values);
    return fileOf(rows[0] as FileRow | undefined);
  }
}
