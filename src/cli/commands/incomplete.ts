/**
 * The CLI's answer to an incomplete result (`incomplete` on an Inventory or a
 * ScanResult: a cataloguer failed or could not read a package database, the
 * matcher could not match a distribution's packages). Fail closed: without
 * `--allow-incomplete` every reason goes to stderr, even with --quiet, and
 * the command exits 12 (ExitCode.Incomplete), whatever the findings: an
 * empty list from a scan that could not look is not a clean image. With the
 * flag the reasons are warnings and the command's own exit code stands.
 * Reasons quote paths from the image, so control characters are escaped
 * before they reach a terminal.
 */
import { ExitCode } from '../exit-codes.js';
import type { OutputStreams } from '../output.js';

export interface IncompleteOptions {
  readonly allowIncomplete?: boolean;
  readonly quiet?: boolean;
}

/** What was incomplete and what may therefore be missing, for the closing line. */
export type IncompleteSubject = 'scan' | 'inventory' | 'lint';

const CONSEQUENCE: Record<IncompleteSubject, string> = {
  scan: 'the scan could not read everything it needed: findings may be missing',
  inventory: 'the inventory could not read everything it needed: packages may be missing',
  lint: 'the package inventory could not read everything it needed: checks that use it may be wrong',
};

/** One line, printable: C0/C1 control characters (escape sequences, newlines) as `\xNN`. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Reports `reasons` on stderr; answers ExitCode.Incomplete when the command
 * must fail, undefined when the result is complete or accepted.
 */
export function incompleteExit(
  reasons: readonly string[] | undefined,
  subject: IncompleteSubject,
  options: IncompleteOptions,
  io: OutputStreams,
): number | undefined {
  if (!reasons || reasons.length === 0) return undefined;
  if (options.allowIncomplete) {
    if (!options.quiet) {
      for (const r of reasons) io.stderr.write(`portcullis: warning: incomplete: ${printable(r)}\n`);
      io.stderr.write(`portcullis: warning: ${CONSEQUENCE[subject]} (accepted with --allow-incomplete)\n`);
    }
    return undefined;
  }
  for (const r of reasons) io.stderr.write(`portcullis: incomplete: ${printable(r)}\n`);
  io.stderr.write(`portcullis: ${CONSEQUENCE[subject]} (exit code ${ExitCode.Incomplete}; --allow-incomplete accepts it)\n`);
  return ExitCode.Incomplete;
}
