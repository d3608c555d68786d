/**
 * Registry flags as skopeo users type them, turned into a SystemContext:
 * --tls-verify, --cert-dir, --creds, --authfile, --platform (and for copy the
 * --src-/--dest- variants, which win over the shared ones).
 */
import { PortcullisError } from '../core/errors.js';
import { parsePlatform } from '../image/platform.js';
import type { Credentials, SystemContext } from '../image/types.js';
import { warnOnce, type OutputStreams } from './output.js';

export interface RegistryFlags {
  tlsVerify?: boolean;
  certDir?: string;
  creds?: string;
  authfile?: string;
  platform?: string;
  timeout?: string;
  retries?: string;
  /** -q: warnings are not printed either. */
  quiet?: boolean;
}

export class UsageError extends PortcullisError<'USAGE'> {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export function parseBooleanFlag(value: string | boolean | undefined, name: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new UsageError(`--${name} takes true or false, not "${value}"`);
}

export function parseCreds(value: string): Credentials {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UsageError('--creds takes USERNAME:PASSWORD');
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/**
 * The SystemContext for these flags. With `io`, warnings from image access
 * (a loopback registry answering plain HTTP) go to its stderr, each once,
 * unless -q.
 */
export function systemContext(flags: RegistryFlags, io: Pick<OutputStreams, 'env'> & Partial<Pick<OutputStreams, 'stderr'>> = { env: process.env }): SystemContext {
  const env = io.env;
  const context: SystemContext = { env };
  if (io.stderr && flags.quiet !== true) context.onWarning = warnOnce(io.stderr);
  if (flags.tlsVerify !== undefined) context.tlsVerify = flags.tlsVerify;
  if (flags.certDir) context.certDir = flags.certDir;
  if (flags.creds) context.credentials = parseCreds(flags.creds);
  if (flags.authfile) context.authFile = flags.authfile;
  if (flags.platform) context.platform = parsePlatform(flags.platform);
  if (flags.timeout !== undefined) context.timeoutMs = parseTimeout(flags.timeout);
  if (flags.retries) context.retries = positiveInt(flags.retries, 'retries');
  if (env.PORTCULLIS_CACHE_DIR) context.cacheDir = env.PORTCULLIS_CACHE_DIR;
  if (env.PORTCULLIS_CACHE_MAX_SIZE) context.cacheMaxBytes = parseByteSize(env.PORTCULLIS_CACHE_MAX_SIZE, 'PORTCULLIS_CACHE_MAX_SIZE');
  return context;
}

/** `1048576`, `512K`, `16M`, `2G`, `1T`, with an optional `iB`/`B` (powers of 1024 all). */
export function parseByteSize(value: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt])?(?:i?b)?$/i.exec(value.trim());
  const power = m?.[2] ? 'kmgt'.indexOf(m[2].toLowerCase()) + 1 : 0;
  const n = m ? Math.floor(Number(m[1]) * 1024 ** power) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${name} takes a size such as 500M, 2G or 2GiB, not "${value}"`);
  return n;
}

/** `30m`, `12h`, `7d`, `2w` (and `s`): an age, for "unused for longer than". */
export function parseAge(value: string, name: string): number {
  const m = /^(\d{1,6})\s*(s|m|h|d|w)$/i.exec(value.trim());
  const unit: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  if (!m) throw new UsageError(`${name} takes an age such as 12h, 7d or 2w, not "${value}"`);
  return Number(m[1]) * (unit[m[2]!.toLowerCase()] ?? 0);
}

/**
 * `--timeout`: `30` (seconds), `30s`, `500ms`, `2m`, `1h`. At least 1 ms and
 * at most a day: no timeout at all is not offered (a stalled registry would
 * hold the command forever).
 */
export function parseTimeout(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const ms = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000) : NaN;
  if (!Number.isFinite(ms) || ms < 1 || ms > 86_400_000) {
    throw new UsageError(`--timeout takes a duration such as 30s, 500ms or 2m (more than 0, at most 24h), not "${value}"`);
  }
  return Math.round(ms);
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} takes a whole number, not "${value}"`);
  return n;
}
