/**
 * Sign-in sessions of the web UI, kept in the server's memory: a random
 * 256-bit id in an HttpOnly cookie names a session that holds the principal
 * its sign-in proved and a form token of its own (the sign-out form's CSRF
 * token). The map is keyed by the SHA-256 of the id, so neither a lookup's
 * timing nor a heap dump hands out a usable cookie.
 *
 * A session ends at sign-out, after `idleMs` without a request, or at
 * `lifetimeMs` after sign-in, whichever comes first; a new sign-in always
 * makes a new id (the id a browser had before is destroyed: no fixation).
 * At most `maxSessions` live at once: past that the oldest is dropped, so a
 * flood of sign-ins costs a bounded amount of memory. Expired sessions are
 * dropped when met and by a sweep every few minutes.
 *
 * Why memory and not the database: a session is worth less than the cost of
 * a write per request, and a restart signing everyone out is acceptable. The
 * price: several registry processes behind one load balancer need sticky
 * sessions for the UI (docs/serve.md "Web UI").
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../auth/principal.js';

export interface SessionOptions {
  /** Ends a session this long after its last request (default 30 minutes). */
  readonly idleMs?: number;
  /** Ends a session this long after sign-in, whatever its use (default 12 hours). */
  readonly lifetimeMs?: number;
  readonly maxSessions?: number;
  readonly now?: () => number;
}

export interface Session {
  readonly principal: Principal;
  /** The form token of this session (sign-out). */
  readonly csrf: string;
  readonly createdAt: number;
  lastSeen: number;
}

export const DEFAULT_IDLE_MS = 30 * 60_000;
export const DEFAULT_LIFETIME_MS = 12 * 3_600_000;
const DEFAULT_MAX_SESSIONS = 10_000;
const SWEEP_MS = 5 * 60_000;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time equality of two tokens (false for different lengths or a missing one). */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function keyOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #idleMs: number;
  readonly #lifetimeMs: number;
  readonly #max: number;
  readonly #now: () => number;
  #lastSweep: number;

  constructor(options: SessionOptions = {}) {
    this.#idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.#lifetimeMs = options.lifetimeMs ?? DEFAULT_LIFETIME_MS;
    this.#max = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#now = options.now ?? Date.now;
    this.#lastSweep = this.#now();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** The seconds a new session's cookie may live (its absolute lifetime). */
  get maxAgeSeconds(): number {
    return Math.floor(this.#lifetimeMs / 1000);
  }

  /** A new session for `principal`, under a new id; `replacing` (the id the browser sent, if any) is destroyed. */
  create(principal: Principal, replacing?: string): { id: string; session: Session } {
    if (replacing) this.destroy(replacing);
    this.#sweep();
    while (this.#sessions.size >= this.#max) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const now = this.#now();
    const id = newToken();
    const session: Session = { principal, csrf: newToken(), createdAt: now, lastSeen: now };
    this.#sessions.set(keyOf(id), session);
    return { id, session };
  }

  /** The live session `id` names, its idle clock reset; undefined (and forgotten) when it ended. */
  get(id: string | undefined): Session | undefined {
    if (!id || id.length > 128) return undefined;
    const key = keyOf(id);
    const session = this.#sessions.get(key);
    if (!session) return undefined;
    const now = this.#now();
    if (this.#expired(session, now)) {
      this.#sessions.delete(key);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  destroy(id: string): boolean {
    return this.#sessions.delete(keyOf(id));
  }

  #expired(session: Session, now: number): boolean {
    return now - session.lastSeen >= this.#idleMs || now - session.createdAt >= this.#lifetimeMs;
  }

  #sweep(): void {
    const now = this.#now();
    if (now - this.#lastSweep < SWEEP_MS) return;
    this.#lastSweep = now;
    for (const [key, session] of this.#sessions) if (this.#expired(session, now)) this.#sessions.delete(key);
  }
}
