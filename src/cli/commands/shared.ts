import { isDigest, type Digest, writeUserFile } from '../../core/index.js';
import { escapeControlChars } from '../../report/terminal.js';
import { UsageError } from '../flags.js';

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

/** `--severity LOW,HIGH`: upper-cased levels, each one of `allowed`. */
export function parseSeverityList<T extends string>(value: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (value === undefined) return undefined;
  const out: T[] = [];
  for (const part of value.split(',')) {
    const level = part.trim().toUpperCase();
    if (level === '') continue;
    if (!(allowed as readonly string[]).includes(level)) throw new UsageError(`--severity takes a comma list of ${allowed.join(', ')}, not "${part.trim()}"`);
    out.push(level as T);
  }
  if (out.length === 0) throw new UsageError('--severity needs at least one level');
  return out;
}

/** `--exit-code N`: 0 (the default) to 255. */
export function parseExitCodeFlag(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new UsageError(`--exit-code takes a number from 0 to 255, not "${value}"`);
  return n;
}

/**
 * Writes `-o FILE`: a regular file (or a new name) through a temporary file
 * and a rename, so a reader never sees half a report; a character device or
 * FIFO (`-o /dev/null`, `-o >(gzip …)`) directly; a directory is refused.
 * See src/core/user-files.ts.
 */
export async function writeOutputFile(path: string, text: string, options: { human?: boolean } = {}): Promise<void> {
  // A table or Markdown report is read in a terminal or a pull request later: control characters
  // from image data are escaped as on standard output. Machine formats (JSON, SARIF…) stay exact.
  await writeUserFile(path, options.human ? escapeControlChars(text) : text);
}
