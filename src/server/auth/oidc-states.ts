/**
 * Sign-ins in progress: what `/ui/oidc/login` must remember until the
 * provider sends the browser back to `/ui/oidc/callback` — the `state` sent
 * to the provider, the `nonce` the ID token must carry, the PKCE verifier,
 * and the UI page to return to. The browser holds only a random 256-bit id
 * naming the record (a short-lived cookie, ui/oidc.ts), so:
 * - the callback is bound to the browser that started the sign-in: a code
 *   and state injected into another browser (login CSRF) find no record;
 * - each record is taken once (`take` deletes it first): a replayed
 *   callback, or a second tab racing the first, finds nothing;
 * - records live `ttlMs` (10 minutes: time to type a password and a second
 *   factor at the provider), at most `max` at once, the oldest dropped past
 *   it, so a flood of started sign-ins costs bounded memory.
 *
 * Kept in this process's memory, not the metadata store: a callback that
 * reaches another process behind a load balancer finds no record and the
 * sign-in is refused (fail closed; the user starts again). Use sticky
 * sessions for /ui/oidc/ with several processes.
 */
import { randomBytes } from 'node:crypto';

export interface LoginState {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  /** A UI path of this origin (login.ts `safeNext`). */
  readonly returnPath: string;
}

const DEFAULT_TTL_MS = 10 * 60_000;
const DEFAULT_MAX = 10_000;
const ID = /^[A-Za-z0-9_-]{43}$/;

export class LoginStates {
  readonly #records = new Map<string, LoginState & { readonly expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: { readonly ttlMs?: number; readonly max?: number; readonly now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#max = options.max ?? DEFAULT_MAX;
    this.#now = options.now ?? Date.now;
  }

  get ttlSeconds(): number {
    return Math.floor(this.#ttlMs / 1000);
  }

  get size(): number {
    return this.#records.size;
  }

  /** Remembers `state` under a new random id (the cookie's value). */
  add(state: LoginState): string {
    const now = this.#now();
    // Map order is insertion order: the oldest first, so expired ones and the overflow go from the front.
    for (const [id, record] of this.#records) {
      if (record.expiresAt > now && this.#records.size < this.#max) break;
      this.#records.delete(id);
    }
    const id = randomBytes(32).toString('base64url');
    this.#records.set(id, { ...state, expiresAt: now + this.#ttlMs });
    return id;
  }

  /** The record `id` names, removed; undefined when there is none, it expired or it was taken already. */
  take(id: string | undefined): LoginState | undefined {
    if (!id || !ID.test(id)) return undefined;
    const record = this.#records.get(id);
    if (!record) return undefined;
    this.#records.delete(id);
    if (record.expiresAt <= this.#now()) return undefined;
    const { expiresAt: _expiresAt, ...state } = record;
    return state;
  }
}
