/**
 * What a simple command runs: the program behind assignments, reserved
 * words and wrappers (`sudo`, `env`, `gosu user`…), whether it is a shell,
 * and the script of `sh -c`. The checks ask these questions, not the tokenizer.
 */
import type { SimpleCommand } from './tokenizer.js';
import type { Word } from './source.js';

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
