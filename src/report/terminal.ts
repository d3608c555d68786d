/**
 * Text bound for a terminal. Image data (os-release PRETTY_NAME, config User,
 * history created_by, package names, file paths, labels) and advisory text
 * are hostile: printed raw, an image can move the cursor, rewrite earlier
 * lines (CR, CSI), set the clipboard (OSC 52), ring the bell, or reorder what
 * the reader sees with Unicode bidi overrides. Everything written to the
 * CLI's standard output and error goes through `terminalText`, which turns
 * every such character into a visible escape, `\u001b` (the JSON spelling,
 * so JSON output means exactly the same after it), and keeps only newlines
 * and tabs.
 *
 * Colour is the one escape sequence we send ourselves: a painter does not
 * emit ESC but a mark made of NUL and a per-process random nonce, which
 * `terminalText` alone turns into ESC. Data cannot forge the mark (NUL is
 * escaped like any control character, and the nonce is not knowable when
 * the image is built), so an image's own `\u001b[…` is always shown, never
 * obeyed.
 *
 * An entry of `report` of its own (docs/architecture.md): the CLI's start-up
 * path loads it and nothing else of `report`.
 */
import { randomBytes } from 'node:crypto';

/**
 * C0 controls except newline and tab, DEL, C1 controls (U+0080–U+009F, CSI
 * is U+009B), and the bidi embedding/override/isolate controls (U+202A–U+202E,
 * U+2066–U+2069) that Trojan Source showed reorder what is displayed.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_CELL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Every control character but newline and tab as a visible `\uXXXX`. */
export function escapeControlChars(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Our colour marks: NUL + nonce, then `[<params>m` as in an SGR sequence. */
const MARK = `\u0000${randomBytes(12).toString('hex')}`;
const MARK_SGR = new RegExp(`${MARK}\\[[0-9;]*m`, 'g');

/**
 * For one table cell or one field value: newlines and tabs are escaped too
 * (a newline inside a value would forge a line of output); colour marks
 * painted on the value are kept.
 */
export function escapeCell(text: string): string {
  if (!text.includes(MARK)) return text.replace(UNSAFE_IN_CELL, escapeChar);
  return text
    .split(MARK)
    .map((part) => part.replace(UNSAFE_IN_CELL, escapeChar))
    .join(MARK);
}

/** An SGR sequence (`ESC [ code m`) as a painter must write it: only terminalText makes it real. */
export function sgr(code: number): string {
  return `${MARK}[${code}m`;
}

/** Length as displayed once terminalText has run: marks take no room, escaped characters six. */
export function visibleLength(text: string): number {
  return escapeControlChars(text.replace(MARK_SGR, '')).length;
}

/**
 * The one gate to the terminal: escapes every control character (see the
 * module header) and turns our colour marks, and nothing else, into ESC.
 */
export function terminalText(text: string): string {
  if (!text.includes(MARK)) return escapeControlChars(text);
  const parts = text.split(MARK);
  let out = escapeControlChars(parts[0] ?? '');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const sequence = /^\[[0-9;]*m/.exec(part);
    // A mark is always followed by its SGR tail; anything else would be a bug, shown escaped.
    out += sequence ? `\u001b${sequence[0]}${escapeControlChars(part.slice(sequence[0].length))}` : escapeControlChars(`\u0000${part}`);
  }
  return out;
}
