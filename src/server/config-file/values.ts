/**
 * The value types of serve's settings (durations, rates, addresses, counts,
 * paths), each with the words that describe it in messages, and the parsers
 * that turn a valid value into what the server uses (milliseconds, bytes per
 * second, host and port).
 */
import { z } from 'zod';

export const DURATION_TEXT = /^(\d{1,12})\s*(ms|s|m|h|d)?$/;
export const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration as written (`10s`, `5m`, `1h`, `500ms`, or a number of seconds) in milliseconds; NaN when it is none. */
export function durationMs(value: string | number): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value * 1000 : NaN;
  const m = DURATION_TEXT.exec(value.trim());
  return m ? Number(m[1]) * UNIT_MS[(m[2] ?? 's') as keyof typeof UNIT_MS] : NaN;
}

export function showDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Node's timers fire at once past 2^31 - 1 ms: no duration may reach it. */
export const MAX_TIMER_MS = 7 * 86_400_000;

export function duration(minMs: number, maxMs: number = MAX_TIMER_MS) {
  return z.union([z.int().min(0), z.string().regex(DURATION_TEXT)]).refine((v) => {
    const ms = durationMs(v);
    return ms >= minMs && ms <= maxMs;
  });
}
export function durationWords(minMs: number, maxMs: number = MAX_TIMER_MS): string {
  return `a duration from ${showDuration(minMs)} to ${showDuration(maxMs)}, such as 10s, 5m or 1h`;
}

export const RATE_TEXT = /^(\d{1,12})\s*(B|KiB|MiB)?$/i;

/** A rate as written (`1KiB`, `512`, `0`) in bytes per second; NaN when it is none. */
export function rateBytes(value: string | number): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : NaN;
  const m = RATE_TEXT.exec(value.trim());
  if (!m) return NaN;
  const unit = (m[2] ?? 'B').toLowerCase();
  return Number(m[1]) * (unit === 'mib' ? 1024 * 1024 : unit === 'kib' ? 1024 : 1);
}

export const ADDRESS = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]\s]*)):(\d{1,5})$/;

/** `HOST:PORT`, `[::1]:PORT`, `:PORT` (empty host) → host and port; undefined when it is none. */
export function parseAddress(value: string): { host: string; port: number; hostGiven: boolean } | undefined {
  const m = ADDRESS.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) return undefined;
  const host = m[1] ?? m[2] ?? '';
  return { host, port, hostGiven: host !== '' };
}

export const address = () => z.string().regex(ADDRESS).refine((v) => parseAddress(v) !== undefined);
export const path = () => z.string().min(1).max(4096);
export const count = (min: number, max: number) => z.int().min(min).max(max);
export const countWords = (min: number, max: number): string => (max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`);
export const switchWords = 'true or false';
export const MANY = Number.MAX_SAFE_INTEGER;
export const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

