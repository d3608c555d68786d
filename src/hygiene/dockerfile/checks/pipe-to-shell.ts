/**
 * dockerfile/pipe-to-shell: `curl … | sh`, `wget -O- … | sudo bash -`,
 * `sh -c "$(curl …)"`, `bash <(curl …)`, `eval "$(wget -qO- …)"` in RUN,
 * CMD or ENTRYPOINT.
 */
import { Cmd, Entrypoint, Run } from 'dockerfile-ast';
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';
import { isShell, resolveCommand } from '../shell.js';

const DOWNLOADERS = new Set(['curl', 'wget', 'fetch']);
const INTERPRETERS = /^(?:python[0-9.]*|perl|ruby|node|php)$/;
const SUBSTITUTED_DOWNLOAD = /(?:\$\(|`|<\()\s*(?:\S*\/)?(curl|wget)\b/;
const RUNS_ITS_ARGUMENT = new Set(['eval', 'source', '.']);

const runsCode = (name: string): boolean => isShell(name) || INTERPRETERS.test(name);

function check(ctx: DockerfileContext): void {
  const { doc } = ctx;
  const instructions = [...doc.instructions, ...doc.triggers].filter((i) => i.node instanceof Run || i.node instanceof Cmd || i.node instanceof Entrypoint);
  for (const instr of instructions) {
    const view = ctx.commands(instr);
    if (!view) continue;
    for (const pipeline of view.pipelines) {
      const resolved = pipeline.map((c) => resolveCommand(c));
      const dl = resolved.findIndex((r) => r !== undefined && DOWNLOADERS.has(r.name));
      if (dl < 0) continue;
      const sink = resolved.slice(dl + 1).find((r) => r !== undefined && runsCode(r.name));
      const source = resolved[dl];
      if (sink && source) {
        ctx.report({
          ruleId: 'dockerfile/pipe-to-shell',
          start: source.word.start,
          end: sink.word.end,
          message: `${source.name} output is piped into ${sink.name}`,
        });
      }
    }
    for (const c of view.commands) {
      const r = resolveCommand(c);
      if (!r || !(runsCode(r.name) || RUNS_ITS_ARGUMENT.has(r.name))) continue;
      const arg = r.args.find((a) => SUBSTITUTED_DOWNLOAD.test(a.value));
      if (!arg) continue;
      const tool = SUBSTITUTED_DOWNLOAD.exec(arg.value)?.[1] as string;
      ctx.report({
        ruleId: 'dockerfile/pipe-to-shell',
        start: r.word.start,
        end: arg.end,
        message: `${r.name} runs the output of ${tool}`,
      });
    }
  }
}

export const pipeToShellCheck: DockerfileCheck = { name: 'pipe-to-shell', rules: ['dockerfile/pipe-to-shell'], check };
