/**
 * TufMetadataStore on SQLite (better-sqlite3), one file beside the
 * registry's database. The server's signing keys live in the same file as
 * PKCS#8, **not encrypted, protected by file mode**: the file is created 0600
 * in a 0700 directory. Encrypting them would need a secret the server holds
 * unattended anyway (notary-server's own local trust service keeps them in
 * its database the same way; only notary-signer adds a passphrase), and these
 * keys sign only timestamp and, when delegated to the server, snapshot:
 * freshness, never content — a stolen key cannot sign a target.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { VersionConflictError, type FileUpdate, type StoredFile, type StoredKey, type TufMetadataStore } from './store.js';

interface FileRow {
  gun: string;
  role: string;
  version: number;
  sha256: string;
  data: Buffer;
  created: number;
}

interface KeyRow {
  gun: string;
  role: string;
  key_id: string;
  private_key: Buffer;
  created: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tuf_files (
  gun TEXT NOT NULL, role TEXT NOT NULL, version INTEGER NOT NULL,
  sha256 TEXT NOT NULL, sha512 TEXT NOT NULL, data BLOB NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY (gun, role, version)
);
CREATE INDEX IF NOT EXISTS tuf_files_sha256 ON tuf_files (gun, role, sha256);
CREATE INDEX IF NOT EXISTS tuf_files_sha512 ON tuf_files (gun, role, sha512);
CREATE TABLE IF NOT EXISTS tuf_keys (
  gun TEXT NOT NULL, role TEXT NOT NULL, key_id TEXT NOT NULL, private_key BLOB NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY (gun, role, key_id)
);
`;

function toFile(row: FileRow | undefined): StoredFile | undefined {
  if (!row) return undefined;
  return { gun: row.gun, role: row.role, version: row.version, sha256: row.sha256, data: Buffer.from(row.data), createdAt: new Date(row.created) };
}

export class SqliteTufStore implements TufMetadataStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Create the file 0600 before SQLite opens it (it would use 0644 under the usual umask).
      closeSync(openSync(path, 'a', 0o600));
    }
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  async put(gun: string, updates: readonly FileUpdate[]): Promise<void> {
    const insert = this.db.prepare(
      'INSERT INTO tuf_files (gun, role, version, sha256, sha512, data, created) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const exists = this.db.prepare('SELECT 1 FROM tuf_files WHERE gun = ? AND role = ? AND version >= ?');
    const now = Date.now();
    this.db.transaction(() => {
      for (const u of updates) {
        if (exists.get(gun, u.role, u.version)) throw new VersionConflictError(u.role, u.version);
        insert.run(gun, u.role, u.version, createHash('sha256').update(u.data).digest('hex'), createHash('sha512').update(u.data).digest('hex'), u.data, now);
      }
    })();
  }

  async latest(gun: string, role: string): Promise<StoredFile | undefined> {
    return toFile(this.db.prepare('SELECT * FROM tuf_files WHERE gun = ? AND role = ? ORDER BY version DESC LIMIT 1').get(gun, role) as FileRow | undefined);
  }

  async byVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined> {
    return toFile(this.db.prepare('SELECT * FROM tuf_files WHERE gun = ? AND role = ? AND version = ?').get(gun, role, version) as FileRow | undefined);
  }

  async byChecksum(gun: string, role: string, checksum: string): Promise<StoredFile | undefined> {
    const column = checksum.length === 128 ? 'sha512' : 'sha256';
    return toFile(
      this.db.prepare(`SELECT * FROM tuf_files WHERE gun = ? AND role = ? AND ${column} = ? ORDER BY version DESC LIMIT 1`).get(gun, role, checksum.toLowerCase()) as
        | FileRow
        | undefined,
    );
  }

  async deleteGun(gun: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM tuf_files WHERE gun = ?').run(gun);
      this.db.prepare('DELETE FROM tuf_keys WHERE gun = ?').run(gun);
    })();
  }

  async keys(gun: string, role: string): Promise<StoredKey[]> {
    const rows = this.db.prepare('SELECT * FROM tuf_keys WHERE gun = ? AND role = ? ORDER BY created DESC, rowid DESC').all(gun, role) as KeyRow[];
    return rows.map((r) => ({ gun: r.gun, role: r.role, keyId: r.key_id, privateKey: Buffer.from(r.private_key), createdAt: new Date(r.created) }));
  }

  async addKey(key: StoredKey): Promise<void> {
    this.db.prepare('INSERT INTO tuf_keys (gun, role, key_id, private_key, created) VALUES (?, ?, ?, ?, ?)').run(key.gun, key.role, key.keyId, key.privateKey, key.createdAt.getTime());
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
