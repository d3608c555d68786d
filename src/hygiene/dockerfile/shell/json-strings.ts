/** The exec form of `RUN`, `CMD` and `ENTRYPOINT`: a JSON array of strings, read with offsets. */
import type { SourceText, Word } from './source.js';

/** Reads `["a", "b"]` with the offset of every value character; undefined when it is not a JSON array of strings. */
export function parseJsonStrings(src: SourceText): Word[] | undefined {
  const s = src.text;
  let i = 0;
  const ws = (): void => {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
  };
  ws();
  if (s[i] !== '[') return undefined;
  i++;
  const words: Word[] = [];
  ws();
  if (s[i] === ']') {
    i++;
    ws();
    return i === s.length ? words : undefined;
  }
  for (;;) {
    ws();
    if (s[i] !== '"') return undefined;
    const startIdx = i;
    i++;
    let value = '';
    const offsets: number[] = [];
    for (;;) {
      if (i >= s.length) return undefined;
      const ch = s[i] as string;
      if (ch === '"') break;
      if (ch === '\\') {
        const e = s[i + 1];
        const at = src.offsets[i] as number;
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          value += simple[e];
          offsets.push(at);
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) {
          value += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16));
          offsets.push(at);
          i += 6;
        } else return undefined;
        continue;
      }
      if (ch < ' ') return undefined;
      value += ch;
      offsets.push(src.offsets[i] as number);
      i++;
    }
    i++; // closing quote
    words.push({ value, offsets, start: src.offsets[startIdx] as number, end: (src.offsets[i - 1] as number) + 1 });
    ws();
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (s[i] === ']') {
      i++;
      ws();
      return i === s.length ? words : undefined;
    }
    return undefined;
  }
}
