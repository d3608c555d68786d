/**
 * dockerfile/syntax: lines the builder would reject. Each is reported where
 * it is and the rest of the file is still checked.
 */
import { Add, Copy, From, Run } from 'dockerfile-ast';
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';
import type { DfInstruction } from '../document.js';

const KNOWN = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);
/** Instructions that take no arguments are not a thing; CMD and ENTRYPOINT are left to the builder. */
const NEEDS_ARGUMENTS = new Set([...KNOWN].filter((k) => k !== 'CMD' && k !== 'ENTRYPOINT'));

function check(ctx: DockerfileContext): void {
  const { doc } = ctx;
  let previous: DfInstruction | undefined;
  for (const instr of doc.instructions) {
    const node = instr.node;
    const keywordRange = node.getInstructionRange();
    const kwStart = doc.offsetAt(keywordRange.start);
    const kwEnd = doc.offsetAt(keywordRange.end);
    if (!KNOWN.has(instr.keyword)) {
      const continued = previous && previous.endLine === instr.startLine - 1 && previous.keyword === 'RUN';
      ctx.report({
        ruleId: 'dockerfile/syntax',
        start: kwStart,
        end: kwEnd,
        message: `unknown instruction '${node.getInstruction()}'${continued ? ` (is a '${doc.escape}' missing at the end of line ${instr.startLine}?)` : ''}`,
      });
      previous = instr;
      continue;
    }
    previous = instr;
    if (!instr.stage && instr.keyword !== 'ARG') {
      ctx.report({ ruleId: 'dockerfile/syntax', start: kwStart, end: kwEnd, message: `${instr.keyword} before the first FROM` });
    }
    if (node.getArgumentsRange() === null && NEEDS_ARGUMENTS.has(instr.keyword)) {
      ctx.report({ ruleId: 'dockerfile/syntax', start: kwStart, end: kwEnd, message: `${instr.keyword} without arguments` });
      continue;
    }
    if (node instanceof From && node.getImage() === null) {
      ctx.report({ ruleId: 'dockerfile/syntax', start: kwStart, end: kwEnd, message: 'FROM without an image' });
    }
    if (node instanceof Copy || node instanceof Add) {
      const raw = node.getRawArgumentsContent() ?? '';
      if (!raw.includes('<<') && !raw.trimStart().startsWith('[') && node.getArguments().length < 2) {
        ctx.report({ ruleId: 'dockerfile/syntax', start: kwStart, end: kwEnd, message: `${instr.keyword} needs a source and a destination` });
      }
    }
    if (node instanceof Run) {
      for (const h of node.getHeredocs()) {
        if (h.getDelimiterRange() === null) {
          const r = h.getStartRange();
          ctx.report({
            ruleId: 'dockerfile/syntax',
            start: doc.offsetAt(r.start),
            end: doc.offsetAt(r.end),
            message: `here-document '${h.getName()}' is never closed`,
          });
        }
      }
    }
  }
  if (doc.stages.length === 0) {
    ctx.report({ ruleId: 'dockerfile/syntax', start: 0, message: 'no FROM instruction' });
  }
}

export const syntaxCheck: DockerfileCheck = { name: 'syntax', rules: ['dockerfile/syntax'], check };
