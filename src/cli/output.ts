/**
 * Terminal output: colour only on a terminal (and never with NO_COLOR),
 * aligned tables, JSON, and progress bars on stderr when it is a terminal.
 */
import { createRequire } from 'node:module';
import type { MultiBar, SingleBar } from 'cli-progress';
import type { ProgressEvent } from '../image/index.js';
import { escapeCell, sgr, terminalText, visibleLength } from '../report/terminal.js';

export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function defaultStreams(): OutputStreams {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

const RAW = Symbol('raw stream');

/**
 * The streams with the terminal gate on every string written to them:
 * control characters from image data become visible escapes and our colour
 * marks become ANSI (src/report/terminal.ts). Buffers (`cat`'s file bytes)
 * pass unchanged. JSON keeps its meaning: the escapes are JSON's own.
 */
export function terminalSafeStreams(io: OutputStreams): OutputStreams {
  return { ...io, stdout: gate(io.stdout), stderr: gate(io.stderr) };
}

function gate<T extends NodeJS.WritableStream & { isTTY?: boolean }>(stream: T): T {
  if ((stream as { [RAW]?: unknown })[RAW] !== undefined) return stream;
  return new Proxy(stream, {
    get(target, property) {
      if (property === RAW) return target;
      if (property === 'write') {
        return (chunk: unknown, ...rest: unknown[]): boolean =>
          Reflect.apply(target.write, target, [typeof chunk === 'string' ? terminalText(chunk) : chunk, ...rest]) as boolean;
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The stream under the gate, for writers that drive the terminal themselves (progress bars). */
export function rawStream<T extends NodeJS.WritableStream>(stream: T): T {
  return ((stream as { [RAW]?: T })[RAW] ?? stream) as T;
}

/** Messages already printed per stream: a warning repeated by every request or client is said once per process. */
const saidOn = new WeakMap<object, Set<string>>();

/** A sink that prints `portcullis: warning: …` on `stderr`, each distinct message once. */
export function warnOnce(stderr: NodeJS.WritableStream): (message: string) => void {
  return (message) => {
    const key = rawStream(stderr);
    let said = saidOn.get(key);
    if (!said) saidOn.set(key, (said = new Set()));
    if (said.has(message)) return;
    said.add(message);
    stderr.write(`portcullis: warning: ${message}\n`);
  };
}

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const ANSI = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], blue: [34, 39], magenta: [35, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof ANSI;

export type Painter = (style: Style, text: string) => string;

/** Colour as marks that only the terminal gate (terminalSafe streams) turns into ANSI; see src/report/terminal.ts. */
export function painter(enabled: boolean): Painter {
  return enabled ? (style, text) => `${sgr(ANSI[style][0])}${text}${sgr(ANSI[style][1])}` : (_style, text) => text;
}

/** A plain aligned table: header row, then rows; cells may carry colour. Control characters in cells (newlines too) are escaped. */
export function renderTable(header: readonly string[], cells: readonly (readonly string[])[], paint: Painter): string {
  const rows = cells.map((row) => row.map(escapeCell));
  const widths = header.map((h, i) => {
    let width = visibleLength(h);
    for (const r of rows) width = Math.max(width, visibleLength(r[i] ?? ''));
    return width;
  });
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [paint('bold', line(header)), ...rows.map(line)].join('\n') + '\n';
}

export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/**
 * Progress bars for blob transfers, one per blob, on stderr. A no-op when
 * stderr is not a terminal or output is quiet, so pipes and logs stay clean.
 */
export class TransferProgress {
  private readonly multi?: MultiBar;
  private readonly bars = new Map<string, SingleBar>();

  constructor(gated: { isTTY?: boolean } & NodeJS.WritableStream, enabled: boolean) {
    // cli-progress moves the cursor itself: it writes to the terminal under the gate (its text is ours: ids and sizes).
    const stderr = rawStream(gated);
    if (enabled && stderr.isTTY) {
      // Loaded only for a terminal: piped and scripted runs never pay for it.
      const { MultiBar: Bars, Presets } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
      this.multi = new Bars(
        {
          stream: stderr as NodeJS.WritableStream as unknown as NodeJS.WriteStream,
          format: ' {id} [{bar}] {percentage}% {done}/{size}',
          hideCursor: true,
          clearOnComplete: false,
          autopadding: true,
        },
        Presets.shades_classic,
      );
    }
  }

  readonly onProgress = (event: ProgressEvent): void => {
    if (!this.multi) return;
    const total = event.total ?? 0;
    let bar = this.bars.get(event.id);
    const payload = { id: shortId(event.id), done: formatBytes(event.transferred), size: total ? formatBytes(total) : '?' };
    if (!bar) {
      bar = this.multi.create(total || 1, 0, payload);
      this.bars.set(event.id, bar);
    }
    bar.update(total ? Math.min(event.transferred, total) : 0, payload);
  };

  stop(): void {
    this.multi?.stop();
  }
}

/** One state of a long task, for a progress line. */
export interface ProgressState {
  /** `download osv`, `import`. */
  readonly phase: string;
  readonly value: number;
  /** Known total, when there is one: a bar and a percentage only then. */
  readonly total?: number;
  /** What `value` counts: bytes (shown as sizes, with a rate), or records (shown as a number with this noun). */
  readonly unit: 'bytes' | { readonly singular: string; readonly plural: string };
  /** Files read so far, for imports that walk directories. */
  readonly files?: number;
  readonly detail?: string;
  /** Time since the phase began, for the rate. */
  readonly elapsedMs: number;
}

const BAR_WIDTH = 24;

/**
 * The text of a progress line: `download osv [████░░░░] 42% 1.3 MiB of 3.2 MiB, 2.1 MiB/s`,
 * `download nvd 12.0 MiB, 3.4 MiB/s` (no total), `import 12,000 advisories from 37 files …/x.json`.
 * A bar and a percentage only for a known total: an import's total is not
 * known ahead, and a bar pinned at N/N says nothing.
 */
export function progressLine(state: ProgressState): string {
  const parts = [state.phase];
  const total = state.total !== undefined && state.total > 0 ? state.total : undefined;
  if (total !== undefined) {
    const ratio = Math.min(1, Math.max(0, state.value / total));
    const filled = Math.round(ratio * BAR_WIDTH);
    parts.push(`[${'\u2588'.repeat(filled)}${'\u2591'.repeat(BAR_WIDTH - filled)}]`, `${Math.floor(ratio * 100)}%`);
  }
  if (state.unit === 'bytes' && state.value === 0 && total === undefined) {
    // A phase that has not moved bytes yet (or never does: snapshot, compress): its name says it all.
  } else if (state.unit === 'bytes') {
    parts.push(total !== undefined ? `${formatBytes(state.value)} of ${formatBytes(total)}` : formatBytes(state.value));
    if (state.elapsedMs >= 500 && state.value > 0) parts[parts.length - 1] += `, ${formatBytes(Math.round(state.value / (state.elapsedMs / 1000)))}/s`;
  } else {
    const noun = state.value === 1 ? state.unit.singular : state.unit.plural;
    parts.push(`${state.value.toLocaleString('en-US')}${total !== undefined ? ` of ${total.toLocaleString('en-US')}` : ''} ${noun}`);
    if (state.files !== undefined) parts[parts.length - 1] += ` from ${state.files} file${state.files === 1 ? '' : 's'}`;
  }
  if (state.detail) parts.push(state.detail);
  return parts.join(' ');
}

/**
 * A single progress line on stderr for phased work (db update, import, push,
 * pull), redrawn in place by cli-progress; text from progressLine. A no-op
 * unless stderr is a terminal and output is not quiet.
 */
export class PhaseProgress {
  private bar: SingleBar | undefined;
  private started = false;
  private phase = '';
  private phaseStart = Date.now();

  constructor(gated: { isTTY?: boolean } & NodeJS.WritableStream, enabled: boolean) {
    const stderr = rawStream(gated);
    if (enabled && stderr.isTTY) {
      const { SingleBar: Bar } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
      this.bar = new Bar({
        stream: stderr as NodeJS.WritableStream as unknown as NodeJS.WriteStream,
        format: (_options, _params, payload: { line?: string }) => ` ${payload.line ?? ''}`,
        hideCursor: true,
        clearOnComplete: true,
      });
    }
  }

  update(state: Omit<ProgressState, 'elapsedMs'>): void {
    if (!this.bar) return;
    if (state.phase !== this.phase) {
      this.phase = state.phase;
      this.phaseStart = Date.now();
    }
    const line = terminalText(progressLine({ ...state, elapsedMs: Date.now() - this.phaseStart }));
    if (!this.started) {
      this.bar.start(1, 0, { line });
      this.started = true;
    } else {
      this.bar.update(0, { line });
    }
  }

  stop(): void {
    if (this.started) this.bar?.stop();
  }
}

function shortId(id: string): string {
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(colon + 1, colon + 13) : id.slice(0, 12);
}
