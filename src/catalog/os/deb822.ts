/**
 * RFC 822-style control paragraphs as dpkg writes them (deb822(5)): `Field: value`
 * lines, continuation lines starting with a space or tab, paragraphs
 * separated by blank lines. Field names are case-insensitive (kept
 * lower-cased here). Malformed lines are reported with their line number and
 * skipped; parsing never throws.
 */

export interface Paragraph {
  /** 1-based line of the paragraph's first field. */
  readonly line: number;
  /** Lower-cased field name → value (continuation lines joined with "\n", first line trimmed). */
  readonly fields: Map<string, string>;
}

export interface ParseProblem {
  readonly line: number;
  readonly message: string;
}

export function parseParagraphs(text: string): { paragraphs: Paragraph[]; problems: ParseProblem[] } {
  const paragraphs: Paragraph[] = [];
  const problems: ParseProblem[] = [];
  const lines = text.split('\n');
  let fields: Map<string, string> | undefined;
  let start = 0;
  let lastKey: string | undefined;
  const end = (): void => {
    if (fields && fields.size) paragraphs.push({ line: start, fields });
    fields = undefined;
    lastKey = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (line.trim() === '') {
      end();
      continue;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      if (!fields || lastKey === undefined) {
        problems.push({ line: i + 1, message: 'continuation line outside a field' });
        continue;
      }
      fields.set(lastKey, `${fields.get(lastKey) ?? ''}\n${line.trim()}`);
      continue;
    }
    if (line[0] === '#') continue;
    const colon = line.indexOf(':');
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) {
      problems.push({ line: i + 1, message: `not a "Field: value" line: "${line.slice(0, 60)}"` });
      continue;
    }
    if (!fields) {
      fields = new Map();
      start = i + 1;
    }
    const key = line.slice(0, colon).toLowerCase();
    if (fields.has(key)) problems.push({ line: i + 1, message: `duplicate field "${line.slice(0, colon)}"` });
    else fields.set(key, line.slice(colon + 1).trim());
    lastKey = key;
  }
  end();
  return { paragraphs, problems };
}
