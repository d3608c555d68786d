/**
 * The scan deadline (`scan.timeout`): a scan is CPU and memory spent inside
 * the registry on content a client chose, so it gets a bounded time. Past it
 * the scan's AbortSignal fires (the layer walk and the matcher check it), the
 * scan ends with an error naming the deadline, and the service records it as
 * failed: the pull policy refuses it like every failed scan (fail closed).
 */

/** Default `scan.timeout`: far above a real image's scan (seconds to a few minutes), far below "forever". */
export const DEFAULT_SCAN_TIMEOUT_MS = 30 * 60_000;

export class ScanDeadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;

  constructor(readonly ms: number = DEFAULT_SCAN_TIMEOUT_MS) {
    this.#timer = setTimeout(() => this.#controller.abort(new Error(this.reason)), ms);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get expired(): boolean {
    return this.#controller.signal.aborted;
  }

  /** What the failed scan's record says. */
  get reason(): string {
    return `scan stopped after ${describeMs(this.ms)}: over scan.timeout (--scan-timeout)`;
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

function describeMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
