/**
 * Canonical JSON as Notary computes it: `github.com/docker/go/canonical/json`
 * `MarshalCanonical` over the `signed` object decoded into Go's generic
 * `map[string]interface{}` (tuf/signed/verify.go). Differences from
 * `JSON.stringify` and from this project's own canonical form
 * (trust/keys/canonical.ts) that matter for signatures:
 *
 * - object keys sorted by their UTF-8 bytes (Go string order), not UTF-16 units;
 * - in strings only `"` and `\` are escaped; control characters, `<>&`,
 *   U+2028/2029 and all non-ASCII are written as raw UTF-8 bytes;
 * - numbers must be integers (Go decodes them as float64 and the canonical
 *   encoder refuses a fractional part) and are written in decimal; we also
 *   refuse integers beyond 2^53, where float64 and our numbers would drift;
 * - no whitespace anywhere.
 *
 * Nothing here does I/O.
 */
import { TufError } from './errors.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function canonicalString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function write(value: unknown, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'string':
      out.push(canonicalString(value));
      return;
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TufError('CANONICAL_JSON', `canonical JSON has no representation for the number ${value}`);
      out.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'object': {
      if (Array.isArray(value)) {
        out.push('[');
        value.forEach((item, i) => {
          if (i > 0) out.push(',');
          write(item, out);
        });
        out.push(']');
        return;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new TufError('CANONICAL_JSON', 'canonical JSON takes plain objects only');
      const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort(byUtf8);
      out.push('{');
      keys.forEach((key, i) => {
        if (i > 0) out.push(',');
        out.push(canonicalString(key), ':');
        write((value as Record<string, unknown>)[key], out);
      });
      out.push('}');
      return;
    }
    default:
      throw new TufError('CANONICAL_JSON', `canonical JSON has no representation for ${typeof value}`);
  }
}

/** The canonical JSON text of a decoded JSON value. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

/** The canonical JSON bytes (UTF-8) of a decoded JSON value: what Notary signs and hashes key objects over. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/** Decodes UTF-8 JSON bytes; invalid UTF-8 becomes U+FFFD, as Go's decoder does. */
export function parseJson(bytes: Uint8Array, what: string): JsonValue {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as JsonValue;
  } catch (error) {
    throw new TufError('METADATA_INVALID', `${what} is not JSON`, { cause: error });
  }
}
