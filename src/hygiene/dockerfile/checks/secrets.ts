/**
 * dockerfile/secret-token: high-confidence credential patterns anywhere in an
 * instruction; dockerfile/secret-in-arg-env: ARG/ENV whose name says secret
 * and whose value is a literal. Messages never contain the value.
 */
import { Arg, Env } from 'dockerfile-ast';
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';
import { DOCUMENTATION_EXAMPLE, isSecretName, isSecretValue, TOKEN_PATTERNS } from '../../secrets/patterns.js';

export { isSecretName, TOKEN_PATTERNS, type TokenPattern } from '../../secrets/patterns.js';


function check(ctx: DockerfileContext): void {
  const { doc } = ctx;
  const flagged: { start: number; end: number }[] = [];
  for (const { kind, pattern } of TOKEN_PATTERNS) {
    for (const m of doc.text.matchAll(pattern)) {
      const start = m.index;
      const line = doc.positionAt(start).line - 1;
      if (doc.commentLines.has(line) || DOCUMENTATION_EXAMPLE.test(m[0])) continue;
      const end = start + m[0].length;
      flagged.push({ start, end });
      ctx.report({ ruleId: 'dockerfile/secret-token', start, end, message: `${kind} is written in the Dockerfile (value not shown)` });
    }
  }
  for (const instr of [...doc.instructions, ...doc.triggers]) {
    const node = instr.node;
    if (!(node instanceof Arg || node instanceof Env)) continue;
    for (const p of node.getProperties()) {
      const name = p.getName();
      const value = p.getValue();
      const valueRange = p.getValueRange();
      if (value === null || valueRange === null || !isSecretName(name)) continue;
      if (!isSecretValue(value)) continue;
      const start = doc.offsetAt(p.getNameRange().start);
      const end = doc.offsetAt(valueRange.end);
      if (flagged.some((f) => f.start < end && start < f.end)) continue;
      const what = node instanceof Arg ? `ARG ${name} has a literal default` : `ENV ${name} is set to a literal value`;
      ctx.report({ ruleId: 'dockerfile/secret-in-arg-env', start, end, message: `${what} (not shown)` });
    }
  }
}

export const secretsCheck: DockerfileCheck = { name: 'secrets', rules: ['dockerfile/secret-in-arg-env', 'dockerfile/secret-token'], check };
