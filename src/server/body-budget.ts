/**
 * Bytes of request bodies held in memory at once, across every request of
 * the process. Blob uploads stream to storage, but a manifest (up to 4 MiB)
 * and Notary metadata (up to 10 MiB) are read whole before they are judged.
 * Each connection's body must keep up the minimum rate, yet at 1 KiB/s a
 * 4 MiB body may take an hour, and 4,096 connections (the default cap) each
 * trickling one would hold 16 GiB. Past this budget a body is refused with
 * 429 TOOMANYREQUESTS and Retry-After (the connection is closed, its bytes
 * unread) and logged (`body.limited`), while other requests go on; a push
 * retries.
 */
export const DEFAULT_BODY_BUDGET_BYTES = 256 * 1024 * 1024;

export class BodyBudget {
  readonly #max: number;
  #held = 0;

  constructor(maxBytes = DEFAULT_BODY_BUDGET_BYTES) {
    this.#max = maxBytes;
  }

  /** Takes `bytes` of the budget; false (nothing taken) when that would pass it. */
  take(bytes: number): boolean {
    if (this.#held + bytes > this.#max) return false;
    this.#held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#held = Math.max(0, this.#held - bytes);
  }

  /** Bytes held now. */
  get held(): number {
    return this.#held;
  }
}
