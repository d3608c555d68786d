/**
 * Sign-ins in progress: what `/ui/oidc/login` must remember until the
 * provider sends the browser back to `/ui/oidc/callback` — the `state` sent
 * to the provider, the `nonce` the ID token must carry, the PKCE verifier,
 * and the UI page to return to. The browser holds only a random 256-bit id
 * naming the record (a short-lived cookie, ui/oidc.ts); the store keeps its
 * SHA-256, so a copy of the database names no sign-in a browser holds. So:
 * - the callback is bound to the browser that started the sign-in: a code
 *   and state injected into another browser (login CSRF) find no record;
 * - each record is taken once (`take` deletes it as it reads it, in one
 *   statement): a replayed callback, or a second tab or process racing the
 *   first, finds nothing;
 * - records live `ttlMs` (10 minutes: time to type a password and a second
 *   factor at the provider); at most `perClient` live at once per client
 *   (an IPv4 address or an IPv6 /64, client-address.ts) and `max` in all,
 *   past which a new sign-in is refused rather than an old one dropped: a
 *   flood from one address cannot push other users' sign-ins out.
 *
 * The records are in the metadata store (metadata/oidc-state-store.ts),
 * beside the UI's sessions: several processes behind a load balancer share
 * them, and the callback may reach whichever of them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { clientKey } from '../client-address.js';
import type { OidcStateStore } from '../metadata/oidc-state-store.js';

export interface LoginState {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  /** A UI path of this origin (login.ts `safeNext`). */
  readonly returnPath: string;
}

/** Why a sign-in could not start: the client's cap, or everybody's. */
export type LoginStatesFull = 'client-full' | 'full';

export const DEFAULT_TTL_MS = 10 * 60_000;
export const DEFAULT_MAX = 10_000;
export const DEFAULT_PER_CLIENT = 64;
const ID = /^[A-Za-z0-9_-]{43}$/;

export interface LoginStatesOptions {
  readonly ttlMs?: number;
  readonly max?: number;
  readonly perClient?: number;
  readonly now?: () => number;
}

function keyOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

export class LoginStates {
  readonly #store: OidcStateStore;
  readonly #ttlMs: number;
  readonly #caps: { readonly max: number; readonly perClient: number };
  readonly #now: () => number;

  constructor(store: OidcStateStore, options: LoginStatesOptions = {}) {
    this.#store = store;
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#caps = { max: options.max ?? DEFAULT_MAX, perClient: options.perClient ?? DEFAULT_PER_CLIENT };
    this.#now = options.now ?? Date.now;
  }

  get ttlSeconds(): number {
    return Math.floor(this.#ttlMs / 1000);
  }

  get caps(): { readonly max: number; readonly perClient: number } {
    return this.#caps;
  }

  /** Remembers `state`, started from `address`, under a new random id (the cookie's value); or why not. */
  async add(state: LoginState, address: string): Promise<{ readonly id: string } | { readonly refused: LoginStatesFull }> {
    const now = this.#now();
    const id = randomBytes(32).toString('base64url');
    const added = await this.#store.add({ key: keyOf(id), client: clientKey(address), ...state, expiresAt: now + this.#ttlMs }, now, this.#caps);
    return added === 'added' ? { id } : { refused: added };
  }

  /** The record `id` names, removed; undefined when there is none, it expired or it was taken already. */
  async take(id: string | undefined): Promise<LoginState | undefined> {
    if (!id || !ID.test(id)) return undefined;
    const record = await this.#store.take(keyOf(id), this.#now());
    if (!record) return undefined;
    return { state: record.state, nonce: record.nonce, verifier: record.verifier, returnPath: record.returnPath };
  }
}
