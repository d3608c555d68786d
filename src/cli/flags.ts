/**
 * Flag values as users type them: the usage error every bad flag raises (exit
 * 2) and the parsers for booleans, sizes, ages, durations and timeouts. No
 * image or registry code here: the flag tables (program/) import this at
 * start-up, so `--help` and `--version` load nothing of `image`.
 */
import { PortcullisError } from '../core/errors.js';

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

export function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} takes a whole number, not "${value}"`);
  return n;
}

/** `7d`, `12h`, `2w`, `30m` or a bare number of days → days. */
export function parseMaxAge(value: string | undefined, flag = 'max-age'): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([mhdw]?)$/.exec(value.trim());
  if (!m) throw new UsageError(`--${flag} takes a duration such as 7d, 12h or 2w, not "${value}"`);
  const n = Number(m[1]);
  const unit = m[2] || 'd';
  return unit === 'm' ? n / 1440 : unit === 'h' ? n / 24 : unit === 'w' ? n * 7 : n;
}
