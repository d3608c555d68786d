/**
 * What the final image advertises at run time: dockerfile/expose-ssh
 * (EXPOSE 22) and dockerfile/no-healthcheck (no HEALTHCHECK; HEALTHCHECK NONE
 * is a choice and passes).
 */
import { Healthcheck } from 'dockerfile-ast';
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';
import { fromSpan } from './user.js';

const PORT = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i;

function check(ctx: DockerfileContext): void {
  const { doc } = ctx;
  const chain = doc.finalChain;
  for (const stage of chain) {
    for (const instr of stage.instructions) {
      if (instr.keyword !== 'EXPOSE') continue;
      for (const a of instr.node.getArguments()) {
        const m = PORT.exec(a.getValue());
        if (!m) continue;
        const low = Number(m[1]);
        const high = m[2] !== undefined ? Number(m[2]) : low;
        const proto = (m[3] ?? 'tcp').toLowerCase();
        if (proto === 'tcp' && low <= 22 && 22 <= high) {
          ctx.report({
            ruleId: 'dockerfile/expose-ssh',
            start: doc.offsetAt(a.getRange().start),
            end: doc.offsetAt(a.getRange().end),
            message: `EXPOSE ${a.getValue()} advertises the SSH port 22`,
          });
        }
      }
    }
  }
  const final = chain[0];
  if (final && !chain.some((s) => s.instructions.some((i) => i.node instanceof Healthcheck))) {
    const image = final.base ? ` (FROM ${final.base.written})` : '';
    ctx.report({ ruleId: 'dockerfile/no-healthcheck', ...fromSpan(final), message: `the final stage${image} has no HEALTHCHECK` });
  }
}

export const runtimeCheck: DockerfileCheck = { name: 'runtime', rules: ['dockerfile/expose-ssh', 'dockerfile/no-healthcheck'], check };
