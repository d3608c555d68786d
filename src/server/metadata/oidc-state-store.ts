/**
 * OpenID Connect sign-ins in progress (auth/oidc-states.ts), kept where every
 * registry process reads them: a store of its own beside the identity and
 * session stores, in the same database, with its own table and schema
 * version (`oidc-state-sqlite.ts`, `oidc-state-postgres.ts`). Why not
 * memory: behind a load balancer the provider's callback may reach another
 * process than the one that started the sign-in; it must find the record.
 *
 * A row holds the SHA-256 of the browser's cookie (never the cookie), the
 * client it was started from (client-address.ts: an IPv4 address or an IPv6
 * /64), what the callback checks (`state`, `nonce`, the PKCE verifier), the
 * page to return to, and when it expires. Rules every implementation keeps:
 *
 * - `take` deletes and returns in one statement (DELETE … RETURNING): two
 *   processes racing on one record, exactly one gets it; an expired record
 *   is deleted and not returned;
 * - `add` is one serialized transaction: it purges a batch of expired rows,
 *   then refuses (`client-full`, `full`) when the client, or everybody, has
 *   as many live records as the caps allow; it never evicts a live record,
 *   so a flood cannot push other users' sign-ins out.
 *
 * Times are milliseconds since the epoch. Contract, tested against both by
 * `test/server/metadata/oidc-state-contract.ts`.
 */

export interface OidcStateRecord {
  /** SHA-256 of the cookie's id, base64url. */
  readonly key: string;
  /** clientKey of the address that started the sign-in. */
  readonly client: string;
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly returnPath: string;
  readonly expiresAt: number;
}

export interface OidcStateCaps {
  /** Live records in all. */
  readonly max: number;
  /** Live records of one client. */
  readonly perClient: number;
}

export type OidcStateAdded = 'added' | 'client-full' | 'full';

/** Expired rows `add` deletes in passing, at most. */
export const PURGE_BATCH = 100;

export interface OidcStateStore {
  /** Adds `record` unless the caps refuse it (live at `now`: `expiresAt > now`). */
  add(record: OidcStateRecord, now: number, caps: OidcStateCaps): Promise<OidcStateAdded>;
  /** Deletes the record under `key` and returns it when it was live at `now`; undefined when none, taken already, or expired. */
  take(key: string, now: number): Promise<OidcStateRecord | undefined>;
  /** Rows stored, expired ones not yet purged included. */
  count(): Promise<number>;
  close(): Promise<void>;
}
