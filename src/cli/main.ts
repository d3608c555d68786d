/**
 * The top of the CLI: run the program, turn any error into one line on
 * stderr and a documented exit code. Unexpected errors (bugs) say so. All
 * output passes the terminal gate (src/report/terminal.ts): control
 * characters from image data are shown escaped, never obeyed.
 */
import { CommanderError } from 'commander';
import { isPortcullisError } from '../core/errors.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { defaultStreams, terminalSafeStreams, type OutputStreams } from './output.js';
import { buildProgram } from './program.js';

export async function main(argv: readonly string[], streams: OutputStreams = defaultStreams()): Promise<number> {
  // Every string on stdout and stderr goes through the terminal gate (control characters escaped).
  const io = terminalSafeStreams(streams);
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return program.exitCodeValue();
  } catch (error) {
    return reportError(error, io);
  }
}

export function reportError(error: unknown, io: OutputStreams): number {
  if (error instanceof CommanderError) {
    // commander already printed its message (or help/version); map its exit.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.Ok;
    return ExitCode.Usage;
  }
  if (isPortcullisError(error)) {
    io.stderr.write(`portcullis: ${oneLine(error.message)}\n`);
    if (io.env.PORTCULLIS_DEBUG && error.stack) io.stderr.write(`${error.stack}\n`);
    return exitCodeFor(error.code);
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`portcullis: internal error: ${oneLine(message)} (this is a bug; please report it with PORTCULLIS_DEBUG=1 output)\n`);
  if (io.env.PORTCULLIS_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return ExitCode.Internal;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
