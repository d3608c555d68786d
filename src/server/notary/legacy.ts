/**
 * The Notary data of portcullis before the Notary store became a component
 * of the metadata store: its own SQLite file, `<root>/notary/tuf.sqlite`,
 * with the server's private keys in clear. On start it is imported into the
 * store (files byte-exact, in version order; keys sealed with the
 * key-encryption key), then deleted with its WAL files, so no clear key
 * stays on disk. An import cut short is finished by the next start (what is
 * already there is skipped); a file that cannot be read stops the start
 * with a message saying so and what to do.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ServeError } from '../errors.js';
import type { KeyBox } from './key-sealing.js';
import { VersionConflictError, type TufMetadataStore } from './store.js';

export const LEGACY_FILE = join('notary', 'tuf.sqlite');

interface LegacyFile {
  gun: string;
  role: string;
  version: number;
  data: Buffer;
}

interface LegacyKey {
  gun: string;
  role: string;
  key_id: string;
  private_key: Buffer;
  created: number;
}

export interface LegacyImport {
  readonly path: string;
  readonly files: number;
  readonly keys: number;
}

/** Imports `<root>/notary/tuf.sqlite` when there is one; undefined when there is none. */
export async function importLegacyNotary(root: string, store: TufMetadataStore, box: KeyBox): Promise<LegacyImport | undefined> {
  const path = join(root, LEGACY_FILE);
  if (!existsSync(path)) return undefined;
  const { default: Database } = await import('better-sqlite3');
  let files = 0;
  let keys = 0;
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      for (const row of db.prepare('SELECT gun, role, version, data FROM tuf_files ORDER BY gun, role, version').iterate() as IterableIterator<LegacyFile>) {
        try {
          await store.put(row.gun, [{ role: row.role, version: row.version, data: Buffer.from(row.data) }]);
          files++;
        } catch (error) {
          if (!(error instanceof VersionConflictError)) throw error; // imported by an earlier start
        }
      }
      for (const row of db.prepare('SELECT gun, role, key_id, private_key, created FROM tuf_keys ORDER BY created').iterate() as IterableIterator<LegacyKey>) {
        if ((await store.keys(row.gun, row.role)).some((k) => k.keyId === row.key_id)) continue;
        const label = { gun: row.gun, role: row.role, keyId: row.key_id };
        await store.addKey({ ...label, sealedKey: box.seal(row.private_key, label), kekId: box.kekId, createdAt: new Date(row.created) });
        keys++;
      }
    } finally {
      db.close();
    }
  } catch (error) {
    if (error instanceof ServeError) throw error;
    throw new ServeError(
      'CONFIG_INVALID',
      `cannot import the Notary data of an earlier portcullis from ${path} (its server keys are in clear, so it is not kept beside the new store): ${(error as Error).message}; fix or move the file away (the trust data in it is then lost) and start again`,
      { cause: error },
    );
  }
  for (const suffix of ['', '-wal', '-shm']) await rm(`${path}${suffix}`, { force: true });
  return { path, files, keys };
}
