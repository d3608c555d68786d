/**
 * How long to wait before another attempt: exponential backoff with jitter
 * (half the delay fixed, half random, so clients that failed together do not
 * come back together), or exactly what the server asked for in Retry-After
 * (seconds or an HTTP date, RFC 9110 §10.2.3).
 */

/** Milliseconds a Retry-After value asks for; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const when = Date.parse(text);
  return Number.isFinite(when) ? Math.max(0, when - now) : undefined;
}

/** The delay before retry number `attempt` (0 for the first retry): base·2^attempt capped at max, with jitter. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const delay = Math.min(baseMs * 2 ** attempt, maxMs);
  return delay / 2 + random() * (delay / 2);
}
