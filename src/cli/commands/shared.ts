import { isDigest, type Digest } from '../../core/digest.js';
import { UsageError } from '../context.js';

export function parseDigestFlag(value: string, name: string): Digest {
  if (!isDigest(value)) throw new UsageError(`--${name} takes a digest such as sha256:<64 hex>, not "${value}"`);
  return value;
}

export function parseFormat<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--format takes one of ${allowed.join(', ')}, not "${value}"`);
}
