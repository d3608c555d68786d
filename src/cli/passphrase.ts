/**
 * Where the CLI gets a passphrase from, in this order:
 * 1. a file (`--passphrase-file`): its content, less one trailing newline;
 * 2. the environment: PORTCULLIS_ROOT_PASSPHRASE for the root key,
 *    PORTCULLIS_REPOSITORY_PASSPHRASE for repository keys (COSIGN_PASSWORD
 *    for a cosign key file given to `sign --key`);
 * 3. a no-echo prompt on the controlling terminal (/dev/tty), also when
 *    stdin is a pipe; asked twice for a new passphrase.
 * With none of these (no terminal in CI): PASSPHRASE_REQUIRED, naming the
 * variable and the flag to use.
 *
 * Every source is injectable (env, readFile, prompt) so tests and other
 * front ends never touch the real terminal. The passphrase is never logged,
 * never put in an error, and the prompt echoes nothing.
 */
import { openSync } from 'node:fs';
import { readRegularFile, UserFileError } from '../core/index.js';

/** A passphrase file holds one line; a FIFO or device is refused (src/core/user-files.ts). */
const MAX_PASSPHRASE_FILE_BYTES = 64 * 1024;
import { StringDecoder } from 'node:string_decoder';
import { ReadStream, WriteStream } from 'node:tty';
import { KeyError, type KeyRole } from '../trust/index.js';

export const PASSPHRASE_ENV: Readonly<Record<KeyRole, string>> = Object.freeze({
  root: 'PORTCULLIS_ROOT_PASSPHRASE',
  repository: 'PORTCULLIS_REPOSITORY_PASSPHRASE',
});

/** Ask for a passphrase without echo; resolves to what was typed. */
export type PromptFunction = (message: string) => Promise<string>;

export interface PassphraseOptions {
  /** `--passphrase-file`. */
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Default: promptFromTerminal. Pass `null` to forbid prompting (non-interactive runs). */
  readonly prompt?: PromptFunction | null;
  readonly readFile?: (path: string) => Promise<Buffer>;
  /** A new passphrase: prompt twice and compare (PASSPHRASE_MISMATCH). */
  readonly confirm?: boolean;
  /** What the prompt calls the key (default from the role). */
  readonly label?: string;
  /**
   * The environment variable to read instead of the role's (COSIGN_PASSWORD
   * for a cosign key file). Named in the message when nothing gave a passphrase.
   */
  readonly envName?: string;
  /** An empty value of that variable is a passphrase (cosign keys made without a password). */
  readonly allowEmptyEnv?: boolean;
}

/** Where the passphrase came from (for messages; never the passphrase). */
export type PassphraseSource = 'file' | 'env' | 'prompt';

export interface ResolvedPassphrase {
  readonly passphrase: string;
  readonly source: PassphraseSource;
}

/** Resolve the passphrase of a key of this role (see the module comment for the order). */
export async function resolvePassphrase(role: KeyRole, options: PassphraseOptions = {}): Promise<ResolvedPassphrase> {
  if (options.file !== undefined) {
    const read = options.readFile ?? ((p: string) => readRegularFile(p, { what: `the passphrase file ${p}`, maxBytes: MAX_PASSPHRASE_FILE_BYTES }));
    let bytes: Buffer;
    try {
      bytes = await read(options.file);
    } catch (cause) {
      if (cause instanceof UserFileError) throw cause;
      throw new KeyError('PASSPHRASE_REQUIRED', `cannot read the passphrase file ${options.file}`, { cause: sanitizeCause(cause) });
    }
    const passphrase = stripOneNewline(bytes.toString('utf8'));
    bytes.fill(0);
    if (passphrase.length === 0) throw new KeyError('PASSPHRASE_REQUIRED', `the passphrase file ${options.file} is empty`);
    return { passphrase, source: 'file' };
  }
  const env = options.env ?? process.env;
  const envName = options.envName ?? PASSPHRASE_ENV[role];
  const fromEnv = env[envName];
  if (fromEnv !== undefined && (fromEnv.length > 0 || options.allowEmptyEnv === true)) return { passphrase: fromEnv, source: 'env' };

  const label = options.label ?? `${role} key`;
  // Named in full so a CI log says exactly what to set.
  const howTo = `set ${envName} or give ${role === 'root' ? '--root-passphrase-file' : '--passphrase-file'}`;
  const prompt = options.prompt === undefined ? promptFromTerminal : options.prompt;
  if (prompt === null) throw new KeyError('PASSPHRASE_REQUIRED', `no passphrase for the ${label}: ${howTo}`);
  let first: string;
  try {
    first = await prompt(options.confirm ? `New passphrase for the ${label}: ` : `Passphrase for the ${label}: `);
  } catch (error) {
    // The only PASSPHRASE_REQUIRED a prompt raises is "no terminal" (CI, cron, a pipe without a tty).
    if (error instanceof KeyError && error.code === 'PASSPHRASE_REQUIRED') {
      throw new KeyError('PASSPHRASE_REQUIRED', `no terminal to ask for the passphrase of the ${label}: ${howTo}`);
    }
    throw error;
  }
  if (first.length === 0) throw new KeyError('PASSPHRASE_REQUIRED', 'an empty passphrase was entered');
  if (options.confirm) {
    const second = await prompt(`Repeat the passphrase for the ${label}: `);
    if (second !== first) throw new KeyError('PASSPHRASE_MISMATCH', 'the two passphrases differ');
  }
  return { passphrase: first, source: 'prompt' };
}

function stripOneNewline(s: string): string {
  if (s.endsWith('\r\n')) return s.slice(0, -2);
  if (s.endsWith('\n')) return s.slice(0, -1);
  return s;
}

/** Keep only the errno code of a file error (its message names the path only, but be strict). */
function sanitizeCause(cause: unknown): unknown {
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? { code } : undefined;
}

/** The input side of a raw-mode terminal, as far as readHiddenLine needs it. */
export interface RawInput {
  setRawMode(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  removeListener(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface TextOutput {
  write(text: string): unknown;
}

/**
 * Read one line from a terminal in raw mode, echoing nothing: Enter ends it,
 * Backspace/Delete erase, Ctrl-U clears, Ctrl-C (or Ctrl-D on an empty line)
 * aborts with PASSPHRASE_ABORTED. Raw mode is always switched off again.
 */
export function readHiddenLine(input: RawInput, output: TextOutput, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let chars: string[] = [];
    const decoder = new StringDecoder('utf8');
    const finish = (err?: KeyError): void => {
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (err) {
        chars = [];
        reject(err);
      } else {
        const line = chars.join('');
        chars = [];
        resolve(line);
      }
    };
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new KeyError('PASSPHRASE_ABORTED', 'the passphrase prompt was interrupted'));
        if (ch === '\u0004') {
          if (chars.length === 0) return finish(new KeyError('PASSPHRASE_ABORTED', 'end of input at the passphrase prompt'));
          continue;
        }
        if (ch === '\u007f' || ch === '\b') {
          chars.pop();
          continue;
        }
        if (ch === '\u0015') {
          chars = [];
          continue;
        }
        if (ch < ' ') continue;
        chars.push(ch);
      }
    };
    output.write(message);
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

/**
 * The default prompt: open /dev/tty (so it works when stdin is a pipe), put
 * it in raw mode (echo off) and read a line. PASSPHRASE_REQUIRED when there
 * is no terminal.
 */
export async function promptFromTerminal(message: string): Promise<string> {
  let fdIn: number;
  let fdOut: number;
  try {
    fdIn = openSync('/dev/tty', 'r');
    fdOut = openSync('/dev/tty', 'w');
  } catch {
    throw new KeyError('PASSPHRASE_REQUIRED', 'no terminal to ask for a passphrase: set the passphrase environment variable or give --passphrase-file');
  }
  const input = new ReadStream(fdIn);
  const output = new WriteStream(fdOut);
  try {
    return await readHiddenLine(input, output, message);
  } finally {
    input.destroy();
    output.destroy();
  }
}
