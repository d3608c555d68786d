/**
 * Sign-in sessions of the web UI: a random 256-bit id in an HttpOnly cookie
 * names a session that holds who signed in. The sessions are kept in the
 * metadata store (metadata/session-store.ts: SQLite or PostgreSQL, beside
 * the accounts), so a restart signs no one out and several registry
 * processes behind one load balancer share them; a UI built without one
 * keeps them in memory.
 *
 * What is stored is only the SHA-256 of the id (neither a lookup's timing
 * nor a copy of the database hands out a usable cookie), the user's name,
 * and the session's times. The principal is made again at every request
 * from the name (`resolve`: the accounts say whether the user still exists
 * and is an administrator; roles in projects are read by each check
 * anyway); a user who no longer exists, or whose password changed after the
 * session was opened (an administrator's reset), ends the session. The session's
 * form token (the CSRF token of its forms) is not stored either: it is
 * derived from the id (SHA-256 of a label and the id), so only the holder
 * of the cookie can know it, and the store cannot tell it.
 *
 * A session ends at sign-out (its row is deleted), after `idleMs` without a
 * request, or at `lifetimeMs` after sign-in, whichever comes first; a new
 * sign-in always makes a new id (the id a browser had before is destroyed:
 * no fixation). Use is written back at most once a minute (the idle clock's
 * precision; a quarter of a shorter idle time), not at every request. At most `maxSessions` live at once:
 * past that the oldest is dropped, so a flood of sign-ins costs a bounded
 * amount of space; ended sessions are purged every few minutes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../auth/principal.js';
import { MemorySessionStore, type UiSessionStore } from '../metadata/session-store.js';

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
  /** The form token of this session (its forms, sign-out). */
  readonly csrf: string;
  readonly createdAt: number;
  readonly lastSeen: number;
}

/** The principal a stored user name stands for now, for a session opened at `signedInAt` (ms); undefined ends the session. */
export type PrincipalResolver = (user: string, signedInAt: number) => Promise<Principal | undefined>;

export const DEFAULT_IDLE_MS = 30 * 60_000;
export const DEFAULT_LIFETIME_MS = 12 * 3_600_000;
const DEFAULT_MAX_SESSIONS = 10_000;
const SWEEP_MS = 5 * 60_000;
const SWEEP_BATCH = 1000;
/** `lastSeen` is written back when it is at least this old. */
const TOUCH_MS = 60_000;

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

function csrfOf(id: string): string {
  return createHash('sha256').update('portcullis ui form token\u0000').update(id).digest('base64url');
}

export class SessionStore {
  readonly #store: UiSessionStore;
  readonly #resolve: PrincipalResolver;
  readonly #idleMs: number;
  readonly #lifetimeMs: number;
  readonly #max: number;
  readonly #now: () => number;
  #lastSweep: number;

  constructor(options: SessionOptions & { readonly store?: UiSessionStore; readonly resolve: PrincipalResolver }) {
    this.#store = options.store ?? new MemorySessionStore();
    this.#resolve = options.resolve;
    this.#idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.#lifetimeMs = options.lifetimeMs ?? DEFAULT_LIFETIME_MS;
    this.#max = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#now = options.now ?? Date.now;
    this.#lastSweep = this.#now();
  }

  /** Live sessions and not yet purged ended ones. */
  size(): Promise<number> {
    return this.#store.count();
  }

  /** The seconds a new session's cookie may live (its absolute lifetime). */
  get maxAgeSeconds(): number {
    return Math.floor(this.#lifetimeMs / 1000);
  }

  /** A new session for `principal`, under a new id; `replacing` (the id the browser sent, if any) is destroyed. */
  async create(principal: Principal & { readonly kind: 'user' }, replacing?: string): Promise<{ id: string; session: Session }> {
    if (replacing) await this.destroy(replacing);
    await this.#sweep();
    const now = this.#now();
    const id = newToken();
    await this.#store.create({ key: keyOf(id), user: principal.name, createdAt: now, lastSeen: now, expiresAt: now + this.#lifetimeMs, idleMs: this.#idleMs }, this.#max);
    return { id, session: { principal, csrf: csrfOf(id), createdAt: now, lastSeen: now } };
  }

  /** The live session `id` names, its idle clock reset; undefined when it ended (or its user is gone). */
  async get(id: string | undefined): Promise<Session | undefined> {
    if (!id || id.length > 128) return undefined;
    const key = keyOf(id);
    const now = this.#now();
    const row = await this.#store.get(key, now);
    if (!row) return undefined;
    const principal = await this.#resolve(row.user, row.createdAt);
    if (!principal) {
      await this.#store.delete(key);
      return undefined;
    }
    if (now - row.lastSeen >= Math.min(TOUCH_MS, Math.floor(this.#idleMs / 4))) await this.#store.touch(key, now);
    return { principal, csrf: csrfOf(id), createdAt: row.createdAt, lastSeen: now };
  }

  async destroy(id: string): Promise<boolean> {
    return id.length <= 128 && this.#store.delete(keyOf(id));
  }

  async #sweep(): Promise<void> {
    const now = this.#now();
    if (now - this.#lastSweep < SWEEP_MS) return;
    this.#lastSweep = now;
    await this.#store.purgeExpired(now, SWEEP_BATCH);
  }
}
