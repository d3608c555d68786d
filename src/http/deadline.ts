/**
 * A whole-request deadline: undici's own timeouts are idle timeouts (no byte
 * for N seconds), so a server that trickles one byte a second keeps a request
 * open for ever under them. A Deadline aborts the request while it waits
 * (connection, headers, a backoff sleep between retries) and, once the
 * headers are in, destroys the body with the caller's error if it has not
 * been read to the end in time. It is cleared when the body closes.
 *
 * Shared by the fetcher (`fetcher.ts`) and the registry client
 * (`image/transports/docker/http.ts`), each with its own error.
 */
import type { Readable } from 'node:stream';

export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private body: Readable | undefined;
  private readonly onOuterAbort: (() => void) | undefined;
  /** Set when the deadline has passed: the error the request failed with. */
  error: Error | undefined;
  /** When the deadline passes (epoch milliseconds). */
  readonly expiresAt: number;

  /**
   * `expired` builds the error when `ms` have passed; `outer` (a caller's
   * signal) aborts this request too, and is listened to only while it lives.
   */
  constructor(
    readonly ms: number,
    expired: () => Error,
    private readonly outer?: AbortSignal,
  ) {
    this.expiresAt = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.error = expired();
      if (this.body) this.body.destroy(this.error);
      this.controller.abort(this.error);
    }, ms);
    this.timer.unref();
    if (outer?.aborted) this.controller.abort(outer.reason);
    else if (outer) {
      this.onOuterAbort = () => this.controller.abort(outer.reason);
      outer.addEventListener('abort', this.onOuterAbort, { once: true });
    }
  }

  /** Aborted at the deadline or by the outer signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Bounds reading `body` too; clears the deadline when the body closes. */
  watch(body: Readable): void {
    this.bind(body);
    if (body.destroyed || body.readableEnded) this.clear();
    else body.once('close', () => this.clear());
  }

  /** Bounds reading `body` but keeps running after it closes (a caller that may try again). */
  bind(body: Readable): void {
    this.body = body;
  }

  clear(): void {
    clearTimeout(this.timer);
    if (this.onOuterAbort) this.outer?.removeEventListener('abort', this.onOuterAbort);
  }
}

export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
