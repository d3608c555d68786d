/**
 * Producing metadata the way notary-server does for the roles it signs:
 * timestamp always, snapshot when the server holds the snapshot key. The
 * envelope is what Go's `json.Marshal(data.Signed)` writes:
 * `{"signed":<canonical JSON>,"signatures":[{"keyid","method","sig"}]}`, so
 * the bytes served are the bytes hashed by the next role up.
 */
import { canonicalBytes, canonicalJson, type JsonValue } from './canonical.js';
import { fileMetaOf } from './checks.js';
import type { FileMeta } from './metadata.js';
import { signMessage, type SigningKey } from './signatures.js';

export type SignedJson = { [key: string]: JsonValue };

/** Signs `signed` with every key and serialises the envelope. */
export function signMetadata(signed: SignedJson, keys: readonly SigningKey[]): Buffer {
  const message = canonicalBytes(signed);
  const signatures = keys.map((key) => {
    const s = signMessage(key, message);
    return `{"keyid":${JSON.stringify(s.keyid)},"method":${JSON.stringify(s.method)},"sig":${JSON.stringify(s.sig)}}`;
  });
  return Buffer.from(`{"signed":${canonicalJson(signed)},"signatures":[${signatures.join(',')}]}`, 'utf8');
}

function fileMetaJson(meta: FileMeta): SignedJson {
  const hashes: SignedJson = {};
  if (meta.hashes.sha256) hashes.sha256 = meta.hashes.sha256.toString('base64');
  if (meta.hashes.sha512) hashes.sha512 = meta.hashes.sha512.toString('base64');
  return { hashes, length: meta.length };
}

/** Go's RFC 3339 form for `expires`. */
export function goTime(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

/** A timestamp over the exact snapshot bytes. */
export function buildTimestamp(input: { snapshot: Uint8Array; version: number; expires: Date; key: SigningKey }): Buffer {
  return signMetadata(
    { _type: 'Timestamp', expires: goTime(input.expires), meta: { snapshot: fileMetaJson(fileMetaOf(input.snapshot)) }, version: input.version },
    [input.key],
  );
}

/**
 * A snapshot over root, targets and every delegation: role name → the exact
 * bytes, or the FileMeta already recorded for them (a server carrying
 * unchanged roles over from the previous snapshot).
 */
export function buildSnapshot(input: { files: ReadonlyMap<string, Uint8Array | FileMeta>; version: number; expires: Date; key: SigningKey }): Buffer {
  const meta: SignedJson = {};
  for (const [role, file] of input.files) meta[role] = fileMetaJson(file instanceof Uint8Array ? fileMetaOf(file) : file);
  return signMetadata({ _type: 'Snapshot', expires: goTime(input.expires), meta, version: input.version }, [input.key]);
}
