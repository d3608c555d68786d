/**
 * dockerfile/runs-as-root: the final stage (with the stages it is built FROM)
 * ends without USER, or with USER root / USER 0.
 * dockerfile/sudo: sudo in a RUN.
 */
import { User } from 'dockerfile-ast';
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';
import type { DfInstruction, Stage } from '../document.js';
import { basename, resolveCommand } from '../shell.js';
import { substituteVariables } from '../variables.js';

/** Bases built to run unprivileged: distroless `:nonroot`, `:debug-nonroot`, `…-nonroot`. */
const NONROOT_BASE = /[:/-]nonroot(?:$|[-@:])/i;

/** The extent of a stage's FROM line worth pointing at: `FROM image` (or just `FROM`). */
export function fromSpan(stage: Stage): { start: number; end: number } {
  return { start: stage.from.start, end: stage.base?.end ?? stage.from.end };
}

function lastUser(chain: readonly Stage[]): DfInstruction | undefined {
  for (const stage of chain) {
    const users = stage.instructions.filter((i) => i.node instanceof User);
    const last = users[users.length - 1];
    if (last) return last;
  }
  return undefined;
}

function checkRoot(ctx: DockerfileContext): void {
  const { doc } = ctx;
  const chain = doc.finalChain;
  const final = chain[0];
  if (!final) return;
  const user = lastUser(chain);
  if (!user) {
    const root = chain[chain.length - 1] as Stage;
    if (root.base && NONROOT_BASE.test(root.base.resolved)) return;
    const image = final.base ? ` (FROM ${final.base.written})` : '';
    ctx.report({
      ruleId: 'dockerfile/runs-as-root',
      ...fromSpan(final),
      message: `the final stage${image} has no USER instruction, so it runs as the base image's user (root for most images)`,
      fix: 'USER 10001',
    });
    return;
  }
  const args = user.node.getArguments();
  const first = args[0];
  if (!first) return;
  const sub = substituteVariables(first.getValue(), (name) => doc.ast.resolveVariable(name, user.startLine) ?? undefined);
  if (sub.unresolved.length > 0) return;
  const name = sub.value.split(':')[0];
  if (name === 'root' || name === '0') {
    ctx.report({
      ruleId: 'dockerfile/runs-as-root',
      start: doc.offsetAt(first.getRange().start),
      end: doc.offsetAt(first.getRange().end),
      message: `USER ${first.getValue()} is the last USER of the final stage, so the container runs as root`,
      fix: 'USER 10001',
    });
  }
}

function checkSudo(ctx: DockerfileContext): void {
  for (const instr of ctx.runs()) {
    const view = ctx.commands(instr);
    if (!view) continue;
    for (const c of view.commands) {
      const r = resolveCommand(c);
      const sudo = r ? r.wrappers.find((w) => basename(w.value) === 'sudo') : c.words.find((w) => basename(w.value) === 'sudo');
      const word = sudo ?? (r?.name === 'sudo' ? r.word : undefined);
      if (word) ctx.report({ ruleId: 'dockerfile/sudo', start: word.start, end: word.end, message: `sudo in RUN${r && r.name !== 'sudo' ? ` (sudo ${r.name})` : ''}` });
    }
  }
}

export const userCheck: DockerfileCheck = {
  name: 'user',
  rules: ['dockerfile/runs-as-root', 'dockerfile/sudo'],
  check(ctx) {
    checkRoot(ctx);
    checkSudo(ctx);
  },
};
