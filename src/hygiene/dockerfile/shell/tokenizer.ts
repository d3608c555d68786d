/**
 * Just enough POSIX shell to lint `RUN`, `CMD` and `ENTRYPOINT`: split a
 * script into simple commands and pipelines, with each word's unquoted value
 * and where every character of it came from in the Dockerfile. It does not
 * expand anything; `$(…)`, `${…}`, backquotes and process substitutions stay
 * inside their word as written. Redirections and their targets are dropped.
 */
import type { SourceText, Word } from './source.js';

export type Operator = ';' | '&&' | '||' | '|' | '&' | '\n' | '(' | ')' | '';

export interface SimpleCommand {
  readonly words: Word[];
  /** The operator after the command (`''` at the end of the script). */
  readonly op: Operator;
}

export interface Script {
  readonly commands: SimpleCommand[];
  /** Commands joined by `|`, each pipeline in order (a lone command is a pipeline of one). */
  readonly pipelines: SimpleCommand[][];
  /** Things the tokenizer could not make sense of (an unterminated quote). */
  readonly problems: string[];
}

/** Split a shell script into simple commands and pipelines. */
export function parseShell(src: SourceText): Script {
  const s = src.text;
  const n = s.length;
  const commands: SimpleCommand[] = [];
  const problems: string[] = [];
  let words: Word[] = [];
  let value = '';
  let offsets: number[] = [];
  let wordStart = -1; // index in s
  let skipNextWord = false; // the word after a redirection operator is its target
  const pendingHeredocs: { delim: string; stripTabs: boolean }[] = [];
  let heredocDelimiterNext: { stripTabs: boolean } | undefined;

  const at = (i: number): number => (i < n ? (src.offsets[i] as number) : src.end);
  const add = (text: string, i: number): void => {
    if (wordStart < 0) wordStart = i;
    for (const c of text) {
      value += c;
      offsets.push(at(i));
    }
  };
  /** Add s[from, to) character by character, as written. */
  const addRaw = (from: number, to: number): void => {
    if (wordStart < 0) wordStart = from;
    for (let k = from; k < to; k++) {
      value += s[k];
      offsets.push(at(k));
    }
  };
  const endWord = (i: number): void => {
    if (wordStart < 0) return;
    const word: Word = { value, offsets, start: at(wordStart), end: i > 0 ? at(i - 1) + 1 : at(0) };
    if (heredocDelimiterNext) {
      pendingHeredocs.push({ delim: value, stripTabs: heredocDelimiterNext.stripTabs });
      heredocDelimiterNext = undefined;
      skipNextWord = false;
    } else if (skipNextWord) skipNextWord = false;
    else words.push(word);
    value = '';
    offsets = [];
    wordStart = -1;
  };
  const endCommand = (op: Operator): void => {
    if (words.length > 0) commands.push({ words, op });
    words = [];
  };
  /** Index just past the balanced group that opens at s[i] (`(` or `{`). */
  const balanced = (i: number, open: string, close: string): number => {
    let depth = 0;
    let k = i;
    while (k < n) {
      const c = s[k];
      if (c === '\\') {
        k += 2;
        continue;
      }
      if (c === "'") {
        const e = s.indexOf("'", k + 1);
        k = e < 0 ? n : e + 1;
        continue;
      }
      if (c === open) depth++;
      else if (c === close) {
        depth--;
        if (depth === 0) return k + 1;
      }
      k++;
    }
    problems.push(`unterminated '${open}'`);
    return n;
  };

  let i = 0;
  while (i < n) {
    const c = s[i] as string;
    // Line break: end of a command; then skip here-document bodies.
    if (c === '\n' || c === '\r') {
      endWord(i);
      endCommand('\n');
      i = c === '\r' && s[i + 1] === '\n' ? i + 2 : i + 1;
      while (pendingHeredocs.length > 0) {
        const h = pendingHeredocs.shift() as { delim: string; stripTabs: boolean };
        while (i < n) {
          let e = s.indexOf('\n', i);
          if (e < 0) e = n;
          let line = s.slice(i, e).replace(/\r$/, '');
          if (h.stripTabs) line = line.replace(/^\t+/, '');
          i = e + 1;
          if (line === h.delim) break;
        }
      }
      continue;
    }
    if (c === ' ' || c === '\t') {
      endWord(i);
      i++;
      continue;
    }
    if (c === '#' && wordStart < 0) {
      while (i < n && s[i] !== '\n' && s[i] !== '\r') i++;
      continue;
    }
    if (c === '\\') {
      if (s[i + 1] === '\n' || s[i + 1] === '\r') {
        i = s[i + 1] === '\r' && s[i + 2] === '\n' ? i + 3 : i + 2;
        continue;
      }
      if (wordStart < 0) wordStart = i;
      if (i + 1 < n) add(s[i + 1] as string, i + 1);
      i += 2;
      continue;
    }
    if (c === "'") {
      if (wordStart < 0) wordStart = i;
      const e = s.indexOf("'", i + 1);
      if (e < 0) {
        problems.push('unterminated single quote');
        addRaw(i + 1, n);
        i = n;
      } else {
        addRaw(i + 1, e);
        i = e + 1;
      }
      continue;
    }
    if (c === '"') {
      if (wordStart < 0) wordStart = i;
      let k = i + 1;
      while (k < n && s[k] !== '"') {
        if (s[k] === '\\' && k + 1 < n && '"\\$`\n'.includes(s[k + 1] as string)) {
          if (s[k + 1] !== '\n') add(s[k + 1] as string, k + 1);
          k += 2;
        } else if (s[k] === '$' && s[k + 1] === '(') {
          const e = balanced(k + 1, '(', ')');
          addRaw(k, e);
          k = e;
        } else {
          add(s[k] as string, k);
          k++;
        }
      }
      if (k >= n) problems.push('unterminated double quote');
      i = k + 1;
      continue;
    }
    if (c === '$' && (s[i + 1] === '(' || s[i + 1] === '{')) {
      const e = s[i + 1] === '(' ? balanced(i + 1, '(', ')') : balanced(i + 1, '{', '}');
      addRaw(i, e);
      i = e;
      continue;
    }
    if (c === '`') {
      let e = i + 1;
      while (e < n && s[e] !== '`') e += s[e] === '\\' ? 2 : 1;
      if (e >= n) problems.push('unterminated backquote');
      addRaw(i, Math.min(e + 1, n));
      i = e + 1;
      continue;
    }
    if ((c === '<' || c === '>') && s[i + 1] === '(') {
      // Process substitution: one word.
      const e = balanced(i + 1, '(', ')');
      addRaw(i, e);
      i = e;
      continue;
    }
    if (c === '<' || c === '>') {
      // A redirection. A word of digits just before it is the file descriptor.
      if (wordStart >= 0 && /^\d+$/.test(value) && wordStart + value.length === i) {
        value = '';
        offsets = [];
        wordStart = -1;
      } else endWord(i);
      let op = c;
      let k = i + 1;
      while (k < n && '<>&|-'.includes(s[k] as string) && op.length < 3) {
        op += s[k];
        k++;
      }
      if (op.startsWith('<<') && !op.startsWith('<<<')) {
        heredocDelimiterNext = { stripTabs: op.startsWith('<<-') };
      } else skipNextWord = true; // the target: a file, or the fd of `>&2`
      i = k;
      continue;
    }
    if (c === '&') {
      if (s[i + 1] === '&') {
        endWord(i);
        endCommand('&&');
        i += 2;
      } else if (s[i + 1] === '>') {
        endWord(i);
        skipNextWord = true;
        i += s[i + 2] === '>' ? 3 : 2;
      } else {
        endWord(i);
        endCommand('&');
        i++;
      }
      continue;
    }
    if (c === '|') {
      endWord(i);
      if (s[i + 1] === '|') {
        endCommand('||');
        i += 2;
      } else {
        endCommand('|');
        i += s[i + 1] === '&' ? 2 : 1;
      }
      continue;
    }
    if (c === ';') {
      endWord(i);
      endCommand(';');
      i += s[i + 1] === ';' ? 2 : 1;
      continue;
    }
    if ((c === '(' || c === ')') && wordStart < 0) {
      endCommand(c);
      i++;
      continue;
    }
    add(c, i);
    i++;
  }
  endWord(n);
  endCommand('');

  const pipelines: SimpleCommand[][] = [];
  let current: SimpleCommand[] = [];
  for (const cmd of commands) {
    current.push(cmd);
    if (cmd.op !== '|') {
      pipelines.push(current);
      current = [];
    }
  }
  if (current.length > 0) pipelines.push(current);
  return { commands, pipelines, problems };
}
