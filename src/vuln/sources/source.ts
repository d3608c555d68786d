/**
 * The role every advisory feed plays: read one input (a file, a directory
 * tree or an archive) as a stream and hand normalised advisories to a sink.
 * A record that cannot be read (bad JSON/YAML, unknown ecosystem, a version
 * its ecosystem's scheme rejects, an impossible range) is skipped: the sink
 * hears `skip(record, reason)` naming it, the import goes on. A source never
 * throws for bad records, only for an input it cannot open at all.
 */
import type { Advisory } from '../../core/index.js';
import { PortcullisError } from '../../core/errors.js';

export interface AdvisorySink {
  /** A normalised advisory; the source awaits the returned promise (backpressure). */
  advisory(advisory: Advisory): void | Promise<void>;
  /** A record was skipped; `record` names it (`path[#entry]: id`). */
  skip(record: string, reason: string): void;
  /** A record was kept but something in it was dropped (an invalid CVSS vector, an unknown release). */
  warn(record: string, message: string): void;
}

export interface SourceOptions {
  readonly signal?: AbortSignal;
  /** Name to use for the input in warnings (default: the path). */
  readonly label?: string;
  /** Alpine-style secdb without `distroversion`: the ecosystem to use (`Wolfi`, `Chainguard`, `MinimOS`). */
  readonly ecosystem?: string;
}

export interface SourceSummary {
  /** Advisories handed to the sink. */
  readonly advisories: number;
  /** Records skipped (each also reported through `sink.skip`). */
  readonly skipped: number;
}

export interface Source {
  /** The feed name stored with each record: `osv`, `alpine-secdb`, `debian-tracker`, `nvd`, `amazon-updateinfo`. */
  readonly name: string;
  import(input: string, sink: AdvisorySink, options?: SourceOptions): Promise<SourceSummary>;
}

export type SourceErrorCode = 'INPUT_UNREADABLE' | 'ABORTED' | 'FEED_INVALID';

export class SourceError extends PortcullisError<SourceErrorCode> {}

/** Wraps a sink to count what passes through it. */
export function countingSink(sink: AdvisorySink): AdvisorySink & { readonly counts: { advisories: number; skipped: number } } {
  const counts = { advisories: 0, skipped: 0 };
  return {
    counts,
    advisory(a) {
      counts.advisories++;
      return sink.advisory(a);
    },
    skip(record, reason) {
      counts.skipped++;
      sink.skip(record, reason);
    },
    warn(record, message) {
      sink.warn(record, message);
    },
  };
}

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SourceError('ABORTED', 'import aborted', { cause: signal.reason });
}

/** The message of an unknown thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** RFC 3339 with a zone: NVD writes `2024-03-29T17:15:21.150` (UTC, no zone). */
export function withZone(date: string | undefined): string | undefined {
  if (typeof date !== 'string' || date === '') return undefined;
  return /(Z|[+-]\d\d:?\d\d)$/.test(date) ? date : `${date}Z`;
}
