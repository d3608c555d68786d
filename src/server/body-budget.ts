/**
 * Bytes of request bodies held in memory at once. Blob uploads stream to
 * storage, but a manifest (up to 4 MiB) and Notary metadata (up to 10 MiB)
 * are read whole before they are judged. Each connection's body must keep up
 * the minimum rate, yet at 1 KiB/s a 4 MiB body may take an hour, and 4,096
 * connections (the default cap) each trickling one would hold 16 GiB.
 *
 * Two bounds: the process holds at most `maxBytes` in all, and one client
 * (the signed-in user, else the address, as for upload sessions) at most
 * `maxPerClient`, so one client's tricklers cannot take the whole budget
 * from everyone else's pushes. Past either, the body is refused with 429
 * TOOMANYREQUESTS and Retry-After (the connection closed, the rest unread)
 * and logged (`body.limited`); a push retries.
 */
export const DEFAULT_BODY_BUDGET_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_BODY_BUDGET_PER_CLIENT = 32 * 1024 * 1024;

export class BodyBudget {
  readonly #max: number;
  readonly #maxPerClient: number;
  #held = 0;
  readonly #byClient = new Map<string, number>();

  constructor(maxBytes = DEFAULT_BODY_BUDGET_BYTES, maxPerClient = DEFAULT_BODY_BUDGET_PER_CLIENT) {
    this.#max = maxBytes;
    this.#maxPerClient = maxPerClient;
  }

  /** Takes `bytes` for `client`; false (nothing taken) when that would pass either bound. */
  take(client: string, bytes: number): boolean {
    const own = this.#byClient.get(client) ?? 0;
    if (this.#held + bytes > this.#max || own + bytes > this.#maxPerClient) return false;
    this.#held += bytes;
    this.#byClient.set(client, own + bytes);
    return true;
  }

  give(client: string, bytes: number): void {
    const own = (this.#byClient.get(client) ?? 0) - bytes;
    if (own > 0) this.#byClient.set(client, own);
    else this.#byClient.delete(client);
    this.#held = Math.max(0, this.#held - bytes);
  }

  /** Bytes held now, in all or by one client. */
  held(client?: string): number {
    return client === undefined ? this.#held : (this.#byClient.get(client) ?? 0);
  }
}
