/**
 * Open upload sessions per client, so that one client cannot open sessions
 * without end (each one is a folder or an S3 state object, and may hold up to
 * a blob's worth of bytes) before the purger (upload-purge.ts) gets to them:
 * past `limit` a new session is refused with 429. A client is the signed-in
 * user, or the address (clientKey: IPv4 address, IPv6 /64) when anonymous.
 *
 * Kept in this process's memory, not in the stores: counting sessions from
 * storage on every POST would cost a listing. What that means:
 * - sessions started before a restart are not counted (the purger still
 *   removes them once abandoned);
 * - with several processes sharing one bucket, the cap is per process, and a
 *   session finished by another process stays counted here until the purger's
 *   next run forgets entries untouched for longer than the purge age.
 * Memory is bounded by `limit` entries per client.
 */
import { clientKey } from './client-address.js';

interface Entry {
  readonly client: string;
  touched: number;
}

export class UploadSessions {
  readonly #byId = new Map<string, Entry>();
  readonly #counts = new Map<string, number>();

  /** The client a request counts for. */
  static clientOf(principal: string | undefined, ip: string): string {
    return principal !== undefined ? `user:${principal}` : `address:${clientKey(ip)}`;
  }

  /** Takes one of `client`'s `limit` places, or returns false when all are taken. Give it back with `opened` or `release`. */
  reserve(client: string, limit: number): boolean {
    const count = this.#counts.get(client) ?? 0;
    if (count >= limit) return false;
    this.#counts.set(client, count + 1);
    return true;
  }

  /** The reserved place now holds session `id`. */
  opened(client: string, id: string, now: number): void {
    this.#byId.set(id, { client, touched: now });
  }

  /** A reservation whose session could not be started. */
  release(client: string): void {
    this.#decrement(client);
  }

  touched(id: string, now: number): void {
    const entry = this.#byId.get(id);
    if (entry) entry.touched = now;
  }

  /** The session was finished, cancelled or purged. */
  closed(id: string): void {
    const entry = this.#byId.get(id);
    if (!entry) return;
    this.#byId.delete(id);
    this.#decrement(entry.client);
  }

  /** Forgets sessions untouched since `before` (finished elsewhere, or purged): returns how many. */
  forgetUntouchedSince(before: number): number {
    let forgotten = 0;
    for (const [id, entry] of this.#byId) {
      if (entry.touched >= before) continue;
      this.closed(id);
      forgotten++;
    }
    return forgotten;
  }

  openCount(client: string): number {
    return this.#counts.get(client) ?? 0;
  }

  #decrement(client: string): void {
    const left = (this.#counts.get(client) ?? 1) - 1;
    if (left <= 0) this.#counts.delete(client);
    else this.#counts.set(client, left);
  }
}
