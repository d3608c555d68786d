/**
 * Inline ignores: `# portcullis-ignore RULE[,RULE…] [reason]` on the line
 * (or in the block of comment lines) directly before an instruction
 * suppresses those rules for that instruction — for findings located
 * anywhere within its lines, here-documents included.
 */
import { findRule } from '../rules.js';
import type { DfInstruction, DockerfileDocument } from './document.js';

export const IGNORE_MARKER = 'portcullis-ignore';

export interface InlineIgnore {
  /** 0-based line of the comment. */
  readonly line: number;
  readonly rules: readonly string[];
  readonly reason?: string;
  readonly instruction: DfInstruction;
}

export interface IgnoreScan {
  readonly ignores: InlineIgnore[];
  /** Problems with the comments themselves, each with the comment's offset. */
  readonly problems: { offset: number; message: string }[];
}

const PATTERN = /^#\s*portcullis-ignore(?:\s+(.*))?$/;

export function scanIgnores(doc: DockerfileDocument): IgnoreScan {
  const ignores: InlineIgnore[] = [];
  const problems: { offset: number; message: string }[] = [];
  // For each line: the instruction spanning it (after its first line), and the next instruction starting at or after it.
  const inside = new Map<number, DfInstruction>();
  const startsAt = new Map<number, DfInstruction>();
  for (const i of doc.instructions) {
    startsAt.set(i.startLine, i);
    for (let l = i.startLine + 1; l <= i.endLine; l++) inside.set(l, i);
  }
  for (const line of [...doc.commentLines].sort((a, b) => a - b)) {
    const offset = doc.lineStart(line);
    const text = doc.text.slice(offset, doc.lineEnd(line)).trim();
    const m = PATTERN.exec(text);
    if (!m) {
      if (/^#\s*portcullis-ignore\S/.test(text)) problems.push({ offset, message: `not an ignore comment: write '# ${IGNORE_MARKER} RULE[,RULE…] [reason]'` });
      continue;
    }
    const rest = (m[1] ?? '').trim();
    if (rest === '') {
      problems.push({ offset, message: `${IGNORE_MARKER} names no rule` });
      continue;
    }
    const space = rest.search(/\s/);
    const list = space < 0 ? rest : rest.slice(0, space);
    const reason = space < 0 ? undefined : rest.slice(space).trim() || undefined;
    const rules = list.split(',').filter((r) => r !== '');
    for (const r of rules) if (!findRule(r)) problems.push({ offset, message: `${IGNORE_MARKER}: unknown rule id '${r}'` });
    if (inside.has(line)) {
      problems.push({ offset, message: `${IGNORE_MARKER} inside an instruction has no effect; put it on the line before the instruction` });
      continue;
    }
    // Only comment lines may stand between the ignore and its instruction.
    let l = line + 1;
    while (l < doc.lineCount && doc.commentLines.has(l) && !startsAt.has(l)) l++;
    const next = startsAt.get(l);
    if (!next) {
      problems.push({ offset, message: `${IGNORE_MARKER} is not directly before an instruction and has no effect` });
      continue;
    }
    ignores.push({ line, rules, reason, instruction: next });
  }
  return { ignores, problems };
}

/** 0-based line → the rule ids ignored on it (every line of each ignored instruction). */
export function ignoredByLine(ignores: readonly InlineIgnore[]): Map<number, Set<string>> {
  const byLine = new Map<number, Set<string>>();
  for (const ig of ignores) {
    for (let l = ig.instruction.startLine; l <= ig.instruction.endLine; l++) {
      let set = byLine.get(l);
      if (!set) byLine.set(l, (set = new Set()));
      for (const r of ig.rules) set.add(r);
    }
  }
  return byLine;
}
