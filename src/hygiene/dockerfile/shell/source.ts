/**
 * Dockerfile text with the offset of every character kept: an instruction's
 * arguments with line continuations joined, a region as written, a word
 * re-read as a script. Every finding points back into the Dockerfile through
 * these offsets.
 */

/** Text with, for each character, its absolute offset in the Dockerfile. */
export interface SourceText {
  readonly text: string;
  readonly offsets: readonly number[];
  /** The offset just past the last character. */
  readonly end: number;
}

export interface Word {
  /** With quotes removed and escapes applied. */
  readonly value: string;
  /** Offset of each character of `value`. */
  readonly offsets: readonly number[];
  /** Offsets of the word as written (quotes included). */
  readonly start: number;
  readonly end: number;
}

export function sourceOf(text: string, offsets: readonly number[], end: number): SourceText {
  return { text, offsets, end };
}

/** A word's value as a SourceText (for re-parsing `sh -c '…'`). */
export function wordSource(word: Word): SourceText {
  return { text: word.value, offsets: word.offsets, end: word.end };
}

/** The region [start, end) of `doc` as it is, offset by offset. */
export function rawSource(doc: string, start: number, end: number): SourceText {
  const offsets: number[] = [];
  for (let i = start; i < end; i++) offsets.push(i);
  return { text: doc.slice(start, end), offsets, end };
}

/**
 * An instruction's arguments as the builder sees them: escape-newline line
 * continuations joined, and the comment and empty lines inside a
 * continuation dropped.
 */
export function logicalSource(doc: string, start: number, end: number, escape: string): SourceText {
  let text = '';
  const offsets: number[] = [];
  let i = start;
  while (i < end) {
    const ch = doc[i] as string;
    if (ch === escape) {
      let j = i + 1;
      while (j < end && (doc[j] === ' ' || doc[j] === '\t')) j++;
      if (j >= end || doc[j] === '\n' || doc[j] === '\r') {
        // A continuation: skip the line break, then whole empty or comment lines.
        i = skipLineBreak(doc, j);
        for (;;) {
          let k = i;
          while (k < end && (doc[k] === ' ' || doc[k] === '\t')) k++;
          if (k < end && (doc[k] === '\n' || doc[k] === '\r')) {
            i = skipLineBreak(doc, k);
          } else if (k < end && doc[k] === '#') {
            while (k < end && doc[k] !== '\n' && doc[k] !== '\r') k++;
            i = skipLineBreak(doc, k);
          } else break;
        }
        continue;
      }
    }
    text += ch;
    offsets.push(i);
    i++;
  }
  return { text, offsets, end };
}

function skipLineBreak(doc: string, i: number): number {
  if (doc[i] === '\r') i++;
  if (doc[i] === '\n') i++;
  return i;
}
