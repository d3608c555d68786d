/**
 * The registry's operator log captured in memory for tests: every JSON line
 * parsed, so a test can assert that an event was logged, with its fields.
 */
import { Writable } from 'node:stream';
import { createLog, type LogLevel, type RegistryLog } from '../../src/server/log.js';

export interface CapturedLog {
  readonly log: RegistryLog;
  readonly lines: Array<Record<string, unknown>>;
  /** Lines whose `event` is `event`. */
  events(event: string): Array<Record<string, unknown>>;
}

/** A writable that parses each JSON line written to it into `lines` (a log destination, a child's stdout). */
export function jsonLineSink(): { readonly stream: Writable; readonly lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  let pending = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('utf8');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { stream, lines };
}

export function captureLog(level: LogLevel = 'debug'): CapturedLog {
  const { stream, lines } = jsonLineSink();
  return { log: createLog({ level, destination: stream }), lines, events: (event) => lines.filter((l) => l.event === event) };
}
