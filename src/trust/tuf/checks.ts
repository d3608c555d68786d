/**
 * The four checks every TUF step repeats: enough valid signatures from a
 * role's keys (threshold), not expired, bytes matching the length and hashes
 * the referring role recorded, and no version lower than one already
 * trusted. Each failure is its own TufError code.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { TufError } from './errors.js';
import { keyMaterialId, type TufKey } from './keys.js';
import { signedBytes, type FileMeta, type Metadata, type RoleKeys } from './metadata.js';
import { verifySignature } from './signatures.js';
import { plural } from '../../core/index.js';

/**
 * Throws THRESHOLD_NOT_MET unless at least `role.threshold` distinct keys of
 * `role.keyids` made a valid signature over the canonical `signed`
 * (notary `signed.VerifySignatures`). Signatures by other keys are ignored.
 * Distinct means distinct key material, not distinct ids: a role listing one
 * key twice (as a bare key and as a certificate, or under two encodings) is
 * still one signer (keyMaterialId).
 */
export function verifyThreshold(metadata: Metadata<unknown>, role: RoleKeys, keys: ReadonlyMap<string, TufKey>, name: string): void {
  if (metadata.signatures.length === 0) throw new TufError('THRESHOLD_NOT_MET', `${name}: no signatures`);
  const message = signedBytes(metadata);
  const valid = new Set<string>();
  const material = new Set<string>();
  const allowed = new Set(role.keyids);
  for (const signature of metadata.signatures) {
    if (!allowed.has(signature.keyid) || valid.has(signature.keyid)) continue;
    const key = keys.get(signature.keyid);
    if (!key || key.id !== signature.keyid) continue;
    let sig: Buffer;
    try {
      sig = Buffer.from(signature.sig, 'base64');
    } catch {
      continue;
    }
    if (verifySignature(key, signature.method, sig, message)) {
      valid.add(signature.keyid);
      material.add(keyMaterialId(key));
    }
  }
  if (material.size < role.threshold) {
    const twice = valid.size > material.size ? ` (${plural(valid.size, 'key id')} but ${plural(material.size, 'distinct key')})` : '';
    throw new TufError('THRESHOLD_NOT_MET', `${name}: ${plural(material.size, 'valid signature')}${twice}, threshold is ${role.threshold}`);
  }
}

/** Go's `IsExpired`: expired when `expires` is before `now`. */
export function checkExpiry(metadata: Metadata<{ expires: Date }>, now: Date): void {
  if (metadata.signed.expires.getTime() < now.getTime()) {
    throw new TufError('EXPIRED', `${metadata.role} expired at ${metadata.signed.expires.toISOString()}`);
  }
}

export function checkVersion(metadata: Metadata<{ version: number }>, previous: number | undefined): void {
  if (previous !== undefined && metadata.signed.version < previous) {
    throw new TufError('ROLLBACK', `${metadata.role} version ${metadata.signed.version} is lower than the trusted version ${previous}`);
  }
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The length and every known hash of `bytes` must be what `meta` records. */
export function checkFileMeta(bytes: Uint8Array, meta: FileMeta, name: string): void {
  if (bytes.byteLength !== meta.length) {
    throw new TufError('LENGTH_MISMATCH', `${name}: ${bytes.byteLength} bytes, expected ${meta.length}`);
  }
  for (const alg of ['sha256', 'sha512'] as const) {
    const expected = meta.hashes[alg];
    if (expected && !same(createHash(alg).update(bytes).digest(), expected)) {
      throw new TufError('HASH_MISMATCH', `${name}: ${alg} does not match`);
    }
  }
}

/** Notary's FileMeta for bytes: length, sha256 and sha512. */
export function fileMetaOf(bytes: Uint8Array): FileMeta {
  return {
    length: bytes.byteLength,
    hashes: { sha256: createHash('sha256').update(bytes).digest(), sha512: createHash('sha512').update(bytes).digest() },
  };
}
