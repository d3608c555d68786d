/**
 * trust.json: its shape and the strict reader. Corruption is STORE_CORRUPT;
 * the backup restore reuses the reader to check a bundle before writing it.
 */
import { KeyError } from '../errors.js';
import { isKeyAlgorithm, KEY_ROLES, type KeyAlgorithm, type KeyRole } from '../keys.js';
import type { CertificationStatement, RevocationList, Signed } from '../statements.js';
import type { KeySourceKind } from './types.js';

export interface KeyRecord {
  role: KeyRole;
  algorithm: KeyAlgorithm;
  created: string;
  source: KeySourceKind;
  private: boolean;
}

export interface TrustDocument {
  version: 1;
  keys: Record<string, KeyRecord>;
  certifications: Signed<CertificationStatement>[];
  revocations: Signed<RevocationList> | null;
}

export const KEY_ID = /^[0-9a-f]{64}$/;
export const TRUST_FILE = 'trust.json';

export function emptyDocument(): TrustDocument {
  return { version: 1, keys: {}, certifications: [], revocations: null };
}

export function parseDocument(text: string): TrustDocument {
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
