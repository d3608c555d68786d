/**
 * The Notary store's rows as both backends read them (sqlite.ts,
 * postgres.ts), kept apart so neither loads the other's driver.
 */
import { createHash } from 'node:crypto';
import type { StoredFile, StoredKey } from './store.js';

export interface FileRow {
  gun: string;
  role: string;
  version: number;
  sha256: string;
  data: Buffer;
  created: number;
}

export interface KeyRow {
  gun: string;
  role: string;
  key_id: string;
  sealed_key: Buffer;
  kek_id: string;
  created: number;
}

export function fileOf(row: FileRow | undefined): StoredFile | undefined {
  if (!row) return undefined;
  return { gun: row.gun, role: row.role, version: Number(row.version), sha256: row.sha256, data: Buffer.from(row.data), createdAt: new Date(Number(row.created)) };
}

export function keyOf(r: KeyRow): StoredKey {
  return { gun: r.gun, role: r.role, keyId: r.key_id, sealedKey: Buffer.from(r.sealed_key), kekId: r.kek_id, createdAt: new Date(Number(r.created)) };
}

export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
export const sha512Hex = (data: Uint8Array): string => createHash('sha512').update(data).digest('hex');

