/**
 * JSON helpers shared by the signature formats: a bounded parse of untrusted
 * bytes, and field lookup the way Go's encoding/json does it (cosign parses
 * with it): keys match case-insensitively. Two keys
 * that differ only in case are refused — an ambiguity an attacker could use
 * to show one value to us and another to cosign.
 */
import { isRecord } from '../../core/index.js';
import { SignatureError, type SignatureErrorCode } from './errors.js';

export const MAX_SIGNATURE_OBJECT_BYTES = 4 * 1024 * 1024;

export function parseJson(bytes: Uint8Array | string, what: string, code: SignatureErrorCode, max = MAX_SIGNATURE_OBJECT_BYTES): unknown {
  const length = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  if (length > max) throw new SignatureError(code, `${what} is ${length} bytes, over the ${max}-byte limit`);
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new SignatureError(code, `${what} is not valid JSON`, { cause });
  }
}

/**
 * A name folded as Go's encoding/json folds field names (`foldName`): ASCII
 * letters upper-cased, every other character replaced by the smallest one of
 * its case-fold set — so `ſ` (U+017F) is `S` and the Kelvin sign `K` is `K`,
 * and `docker-manifeſt-digest` names the same field as
 * `docker-manifest-digest` for cosign. Lower-casing alone misses those two.
 */
export function goFoldName(name: string): string {
  let out = '';
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) {
      out += ch.toUpperCase();
      continue;
    }
    let smallest = cp;
    for (const c of [ch.toLowerCase(), ch.toUpperCase(), ch.toLowerCase().toUpperCase(), ch.toUpperCase().toLowerCase()]) {
      const only = c.codePointAt(0)!;
      if (c.length === String.fromCodePoint(only).length && only < smallest) smallest = only;
    }
    out += smallest < 0x80 ? String.fromCodePoint(smallest).toUpperCase() : String.fromCodePoint(smallest);
  }
  return out;
}

/** Go encoding/json field lookup (keys matched as Go folds them; two keys for one field → error). */
export function goField(obj: Record<string, unknown>, name: string, what: string, code: SignatureErrorCode): unknown {
  const folded = goFoldName(name);
  const matches = Object.keys(obj).filter((k) => goFoldName(k) === folded);
  if (matches.length > 1) throw new SignatureError(code, `${what} has ambiguous keys ${matches.map((m) => JSON.stringify(m)).join(', ')}`);
  return matches.length === 1 ? obj[matches[0]!] : undefined;
}

export function record(value: unknown, what: string, code: SignatureErrorCode): Record<string, unknown> {
  if (!isRecord(value)) throw new SignatureError(code, `${what} is not a JSON object`);
  return value;
}

export function str(value: unknown, what: string, code: SignatureErrorCode): string {
  if (typeof value !== 'string') throw new SignatureError(code, `${what} is not a string`);
  return value;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Standard base64 (or base64url, which DSSE allows); refuses anything else. */
export function base64Bytes(value: unknown, what: string, code: SignatureErrorCode): Buffer {
  const s = str(value, what, code).replace(/\s+/g, '');
  if (BASE64.test(s)) return Buffer.from(s, 'base64');
  if (BASE64URL.test(s)) return Buffer.from(s, 'base64url');
  throw new SignatureError(code, `${what} is not base64`);
}
