/**
 * Instructions written in a way the builder accepts but that does not do
 * what the author meant:
 *
 * - dockerfile/maintainer: `MAINTAINER`, deprecated since Docker 1.13 and
 *   invisible to tools that read the OCI annotations and labels.
 * - dockerfile/workdir-relative: `WORKDIR app` is relative to whatever the
 *   previous WORKDIR (or the base image's) was; a base image update moves it.
 * - dockerfile/shell-form-cmd: the last `CMD` or `ENTRYPOINT` of the final
 *   stage in shell form runs under `/bin/sh -c`: the shell is PID 1 and does
 *   not forward SIGTERM, so `docker stop` waits for its timeout and kills the
 *   program without a clean shutdown. A shell form whose last command is
 *   `exec program` replaces the shell with the program and passes.
 */
import { Cmd, Entrypoint } from 'dockerfile-ast';
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';
import type { DfInstruction } from '../document.js';
import { substituteVariables } from '../variables.js';

function checkMaintainer(ctx: DockerfileContext): void {
  for (const instr of ctx.doc.instructions) {
    if (instr.keyword !== 'MAINTAINER') continue;
    const who = instr.node.getArgumentsContent() ?? '';
    ctx.report({
      ruleId: 'dockerfile/maintainer',
      start: instr.start,
      end: instr.start + 'MAINTAINER'.length,
      message: 'MAINTAINER is deprecated: the author is not recorded where tools look for it',
      fix: `LABEL org.opencontainers.image.authors=${JSON.stringify(who.trim())}`,
    });
  }
}

function checkWorkdir(ctx: DockerfileContext): void {
  const { doc } = ctx;
  for (const instr of doc.instructions) {
    if (instr.keyword !== 'WORKDIR') continue;
    const arg = instr.node.getArguments()[0];
    if (!arg) continue;
    const sub = substituteVariables(arg.getValue(), (name) => doc.ast.resolveVariable(name, instr.startLine) ?? undefined);
    if (sub.unresolved.length > 0) continue; // depends on a value we do not know
    const path = sub.value.replace(/^["']|["']$/g, '');
    // Absolute POSIX paths, and Windows paths (`C:\app`, `c:/app`) for Windows images.
    if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\')) continue;
    ctx.report({
      ruleId: 'dockerfile/workdir-relative',
      start: doc.offsetAt(arg.getRange().start),
      end: doc.offsetAt(arg.getRange().end),
      message: `WORKDIR ${arg.getValue()} is relative: it resolves against the previous WORKDIR or the base image's`,
      fix: `WORKDIR /${path.replace(/^\.\/?/, '')}`,
    });
  }
}

function lastOf(ctx: DockerfileContext, kind: typeof Cmd | typeof Entrypoint): DfInstruction | undefined {
  for (const stage of ctx.doc.finalChain) {
    const found = stage.instructions.filter((i) => i.node instanceof kind);
    const last = found[found.length - 1];
    if (last) return last;
  }
  return undefined;
}

function checkShellForm(ctx: DockerfileContext): void {
  for (const instr of [lastOf(ctx, Entrypoint), lastOf(ctx, Cmd)]) {
    if (!instr) continue;
    const view = ctx.commands(instr);
    if (!view || view.form !== 'shell') continue;
    // `… && exec program`: the shell replaces itself with the long-running program, which then gets the signals.
    const top = view.scripts[0]?.commands ?? [];
    const lastWord = top[top.length - 1]?.words[0]?.value;
    if (lastWord === undefined || lastWord === 'exec') continue;
    const single = view.commands.length === 1 ? view.commands[0] : undefined;
    const fix = single ? `${instr.keyword} ${JSON.stringify(single.words.map((w) => w.value))}` : `${instr.keyword} exec <the program and its arguments> (or the JSON form)`;
    ctx.report({
      ruleId: 'dockerfile/shell-form-cmd',
      start: instr.start,
      end: instr.start + instr.keyword.length,
      message: `${instr.keyword} in shell form runs under /bin/sh -c, which does not pass SIGTERM on to the program`,
      fix,
    });
  }
}

function check(ctx: DockerfileContext): void {
  checkMaintainer(ctx);
  checkWorkdir(ctx);
  checkShellForm(ctx);
}

export const instructionsCheck: DockerfileCheck = {
  name: 'instructions',
  rules: ['dockerfile/maintainer', 'dockerfile/workdir-relative', 'dockerfile/shell-form-cmd'],
  check,
};
