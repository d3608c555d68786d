/**
 * Just enough POSIX shell to lint `RUN`, `CMD` and `ENTRYPOINT`: split a
 * script into simple commands and pipelines, with each word's unquoted value
 * and where every character of it came from in the Dockerfile. It does not
 * expand anything; `$(…)`, `${…}`, backquotes and process substitutions stay
 * inside their word as written. Redirections and their targets are dropped.
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

const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'in', '!', '{', '}', 'time', 'esac']);
const NOT_A_COMMAND = new Set(['for', 'case', 'select', 'function']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Options of wrapper commands that take a value as the next word. */
const WRAPPERS: Record<string, { valueOptions: readonly string[]; positional?: number }> = {
  sudo: { valueOptions: ['-u', '-g', '-h', '-p', '-C', '-D', '-r', '-t', '-T', '-U', '--user', '--group', '--host', '--prompt'] },
  doas: { valueOptions: ['-u', '-C'] },
  env: { valueOptions: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'] },
  nohup: { valueOptions: [] },
  exec: { valueOptions: ['-a'] },
  command: { valueOptions: [] },
  nice: { valueOptions: ['-n', '--adjustment'] },
  time: { valueOptions: ['-f', '-o'] },
  gosu: { valueOptions: [], positional: 1 },
  'su-exec': { valueOptions: [], positional: 1 },
  tini: { valueOptions: ['-p', '-e', '-l'] },
  'dumb-init': { valueOptions: ['-r', '--rewrite'] },
  setsid: { valueOptions: [] },
};

export function basename(word: string): string {
  const slash = word.lastIndexOf('/');
  return slash >= 0 ? word.slice(slash + 1) : word;
}

export interface ResolvedCommand {
  /** Base name of the program that actually runs (`apt-get` for `sudo -E /usr/bin/apt-get`). */
  readonly name: string;
  /** The word naming the program. */
  readonly word: Word;
  /** The words after it. */
  readonly args: Word[];
  /** Wrapper words that were skipped (`sudo`, `env`, …) with their own words. */
  readonly wrappers: Word[];
}

/**
 * The program a simple command runs: skipping variable assignments, shell
 * reserved words and wrappers (`sudo`, `env`, `nohup`, `exec`, `gosu user`…).
 * Undefined for compound-command heads (`for x in …`) and empty commands.
 */
export function resolveCommand(cmd: SimpleCommand): ResolvedCommand | undefined {
  const w = cmd.words;
  let i = 0;
  const wrappers: Word[] = [];
  while (i < w.length) {
    const v = (w[i] as Word).value;
    if (NOT_A_COMMAND.has(v)) return undefined;
    if (RESERVED.has(v) || ASSIGNMENT.test(v)) {
      i++;
      continue;
    }
    const wrapper = WRAPPERS[basename(v)];
    if (wrapper && i + 1 < w.length) {
      wrappers.push(w[i] as Word);
      i++;
      while (i < w.length) {
        const a = (w[i] as Word).value;
        if (a === '--') {
          i++;
          break;
        }
        if (wrapper.valueOptions.includes(a)) i += 2;
        else if (a.startsWith('-') && a.length > 1) i++;
        else if (basename(v) === 'env' && ASSIGNMENT.test(a)) i++;
        else break;
      }
      i += wrapper.positional ?? 0;
      continue;
    }
    return { name: basename(v), word: w[i] as Word, args: w.slice(i + 1), wrappers };
  }
  return undefined;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox']);

/** True for the POSIX-ish shells (`sh`, `bash`, `/bin/ash`, …). */
export function isShell(name: string): boolean {
  return SHELLS.has(basename(name));
}

/**
 * For `sh -c SCRIPT …` (also `bash -ec`, `sh -xc`): the SCRIPT word; otherwise
 * undefined.
 */
export function shellCScript(cmd: ResolvedCommand): Word | undefined {
  if (!isShell(cmd.name)) return undefined;
  for (let i = 0; i < cmd.args.length; i++) {
    const a = (cmd.args[i] as Word).value;
    if (/^-[a-z]*c[a-z]*$/.test(a)) return cmd.args[i + 1];
    if (a === '-o') {
      i++;
      continue;
    }
    if (!a.startsWith('-') && !a.startsWith('+')) return undefined;
  }
  return undefined;
}
