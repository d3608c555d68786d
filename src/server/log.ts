/**
 * The operator's log of `portcullis serve`: one JSON object per line (pino),
 * or pino-pretty's text for a person at a terminal. Every line carries an
 * `event` naming what happened, so an operator (or a test) can select
 * requests, scans, denials, auth failures and errors without parsing
 * messages:
 *
 * | event          | level | when |
 * |----------------|-------|------|
 * | `startup`      | info  | listening; where, storage, metadata, advisory DB, policy |
 * | `request`      | info  | every HTTP request, once, when its answer is sent |
 * | `scan`         | info/warn | a scan finished (`state` done, failed, skipped) |
 * | `pull.denied`  | warn  | the pull policy refused a manifest (with the reason) |
 * | `auth.failed`  | warn  | credentials were sent and refused, or a caller was rate-limited |
 * | `upload.refused` | warn | a request for an upload through another repository or by another principal (answered 404) |
 * | `upload.limited` | warn | a client reached its cap of open uploads (answered 429) |
 * | `upload.purged` | info | abandoned uploads were removed (`count`) |
 * | `delete`       | info  | a tag, a manifest (with its `accessories`) or a blob link was deleted |
 * | `gc`           | info/error | a garbage collection ran: counts, `bytesFreed`, `durationMs`; or failed (`err`) |
 * | `webhook`      | info/warn | a webhook delivery attempt: `outcome` delivered, retried, or failed for good |
 * | `storage.full` | error | a write failed for lack of space (ENOSPC, EDQUOT, SQLITE_FULL) |
 * | `error`        | error | anything answered 500, with its cause chain |
 *
 * Secrets never reach it: requests are logged from facts the API recorded
 * (route, repository, principal), never from headers or bodies.
 *
 * An entry of `server` of its own (docs/architecture.md): the CLI builds the
 * log while it checks `serve`'s flags, before it loads the server.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type RegistryLog = Logger;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'json' | 'text';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];

export interface LogOptions {
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  /** Where lines go (default stdout). */
  readonly destination?: NodeJS.WritableStream;
  /** Colours in text format (default: when the destination is a terminal). */
  readonly color?: boolean;
}

export function createLog(options: LogOptions = {}): RegistryLog {
  const settings = {
    level: options.level ?? 'info',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    // Causes matter most for storage and database failures: keep the chain.
    serializers: { err: pino.stdSerializers.errWithCause },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const destination = options.destination ?? process.stdout;
  if (options.format === 'text') {
    const isTty = (destination as { isTTY?: boolean }).isTTY === true;
    return pino(settings, pretty({ destination, sync: true, colorize: options.color ?? isTty, singleLine: true, translateTime: 'SYS:HH:MM:ss.l' }));
  }
  return pino(settings, destination);
}

/** A log that writes nothing (library use and tests that do not read it). */
export function silentLog(): RegistryLog {
  return pino({ level: 'silent' });
}

/** The codes Node gives when a disk or quota is full. */
export function isStorageFull(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
