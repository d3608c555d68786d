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

/** Reads standard input to the end, with a cap (secrets are small; a runaway pipe is an error). */
export async function readStdin(stream: NodeJS.ReadableStream, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += buf.length;
    if (total > maxBytes) throw new UsageError(`standard input is larger than ${maxBytes} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
