/**
 * Counts failed logins per user name and per client (clientKey: an IPv4
 * address or an IPv6 /64) over a sliding window, and says when a caller must
 * wait: after `perUser` failures for one name, or `perAddress` from one
 * client, within `windowMs`, further attempts are refused *before* the
 * password is checked, so a guesser cannot spend the server's CPU either.
 *
 * Checks in flight count as failures-to-be (a reservation): 100 concurrent
 * guesses cannot all start before the first one fails. A success clears the
 * user's own failures (only someone who knows the password can do that) but
 * never the client's: logging in to one's own account does not reset the
 * count of guesses made from that address at other accounts.
 *
 * Memory: each key keeps at most `limit` timestamps; each map keeps at most
 * `maxKeys` keys, the least recently touched dropped first.
 */

export interface FailureLimits {
  /** Failed logins for one user name within the window before it is refused (default 10). */
  readonly perUser: number;
  /** Failed logins from one client within the window before it is refused (default 30). */
  readonly perAddress: number;
  /** Default 5 minutes. */
  readonly windowMs: number;
}

export const DEFAULT_FAILURE_LIMITS: FailureLimits = { perUser: 10, perAddress: 30, windowMs: 5 * 60_000 };

const MAX_KEYS = 100_000;
const MAX_USER_KEY = 256;

interface Track {
  /** Times of the most recent failures, oldest first, at most `limit` of them. */
  readonly failures: number[];
  pending: number;
}

class Counter {
  readonly #tracks = new Map<string, Track>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds to wait, or 0 when an attempt may start now. */
  waitMs(key: string, now: number): number {
    const track = this.#tracks.get(key);
    if (!track) return 0;
    while (track.failures.length > 0 && track.failures[0]! <= now - this.windowMs) track.failures.shift();
    if (track.failures.length + track.pending < this.limit) return 0;
    // Full of past failures: until the oldest one that keeps it full leaves the window. Full of checks still
    // running (they will most likely fail): a whole window.
    const oldest = track.failures.length >= this.limit ? track.failures[track.failures.length - this.limit] : undefined;
    return oldest !== undefined ? oldest + this.windowMs - now : this.windowMs;
  }

  begin(key: string): void {
    this.#touch(key).pending++;
  }

  end(key: string, outcome: 'failed' | 'succeeded' | 'abandoned', now: number, clearOnSuccess: boolean): void {
    const track = this.#touch(key);
    track.pending = Math.max(0, track.pending - 1);
    if (outcome === 'failed') {
      track.failures.push(now);
      if (track.failures.length > this.limit) track.failures.splice(0, track.failures.length - this.limit);
    } else if (outcome === 'succeeded' && clearOnSuccess) {
      track.failures.length = 0;
    }
    if (track.failures.length === 0 && track.pending === 0) this.#tracks.delete(key);
  }

  #touch(key: string): Track {
    let track = this.#tracks.get(key);
    if (track) this.#tracks.delete(key);
    else track = { failures: [], pending: 0 };
    this.#tracks.set(key, track);
    if (this.#tracks.size > MAX_KEYS) this.#tracks.delete(this.#tracks.keys().next().value!);
    return track;
  }
}

export type Reservation = { readonly ok: true; readonly user: string; readonly address: string } | { readonly ok: false; readonly retryAfterSeconds: number };

export class FailureLimiter {
  readonly #users: Counter;
  readonly #addresses: Counter;

  constructor(limits: Partial<FailureLimits> = {}) {
    const l = { ...DEFAULT_FAILURE_LIMITS, ...limits };
    this.#users = new Counter(l.perUser, l.windowMs);
    this.#addresses = new Counter(l.perAddress, l.windowMs);
  }

  /** Either permission to check one password (settle it with `settle`), or how long to wait. */
  reserve(user: string, address: string, now: number): Reservation {
    const userKey = user.slice(0, MAX_USER_KEY);
    const waitMs = Math.max(this.#users.waitMs(userKey, now), this.#addresses.waitMs(address, now));
    if (waitMs > 0) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    this.#users.begin(userKey);
    this.#addresses.begin(address);
    return { ok: true, user: userKey, address };
  }

  /** `abandoned`: the check did not run (pool busy, error): counts neither way. */
  settle(reservation: Extract<Reservation, { ok: true }>, outcome: 'failed' | 'succeeded' | 'abandoned', now: number): void {
    this.#users.end(reservation.user, outcome, now, true);
    this.#addresses.end(reservation.address, outcome, now, false);
  }
}
