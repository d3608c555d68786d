/**
 * dockerfile/multiple-processes: the final stage's CMD or ENTRYPOINT starts a
 * process supervisor, starts services before the main program, or backgrounds
 * a process with `&`. One finding per instruction, on the first evidence.
 */
import { Cmd, Entrypoint } from 'dockerfile-ast';
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';
import { resolveCommand, type Word } from '../shell.js';

const SUPERVISORS = new Set(['supervisord', 'runsvdir', 'runit', 's6-svscan', 'systemd', 'init', 'openrc-init', 'monit', 'circusd', 'pm2', 'pm2-runtime']);

function check(ctx: DockerfileContext): void {
  for (const stage of ctx.doc.finalChain) {
    for (const instr of stage.instructions) {
      if (!(instr.node instanceof Cmd || instr.node instanceof Entrypoint)) continue;
      const view = ctx.commands(instr);
      if (!view) continue;
      let evidence: { word: Word; end: number; message: string } | undefined;
      for (const c of view.commands) {
        const r = resolveCommand(c);
        if (!r) continue;
        if (SUPERVISORS.has(r.name)) {
          evidence = { word: r.word, end: r.word.end, message: `${instr.keyword} starts the process supervisor ${r.name}` };
        } else if (r.name === 'service' && r.args.length >= 2 && /^(?:re)?start$/.test(r.args[1]?.value ?? '')) {
          evidence = { word: r.word, end: (r.args[1] as Word).end, message: `${instr.keyword} starts the service '${r.args[0]?.value}'` };
        } else if (r.word.value.startsWith('/etc/init.d/') && /^(?:re)?start$/.test(r.args[0]?.value ?? '')) {
          evidence = { word: r.word, end: (r.args[0] as Word).end, message: `${instr.keyword} starts the service '${r.name}'` };
        } else if (r.name === 'systemctl' && /^(?:re)?start$/.test(r.args[0]?.value ?? '')) {
          evidence = { word: r.word, end: r.args[r.args.length - 1]?.end ?? r.word.end, message: `${instr.keyword} starts a systemd service` };
        } else if (c.op === '&') {
          evidence = { word: r.word, end: c.words[c.words.length - 1]?.end ?? r.word.end, message: `${instr.keyword} runs ${r.name} in the background with '&'` };
        }
        if (evidence) break;
      }
      if (evidence) ctx.report({ ruleId: 'dockerfile/multiple-processes', start: evidence.word.start, end: evidence.end, message: evidence.message });
    }
  }
}

export const processesCheck: DockerfileCheck = { name: 'processes', rules: ['dockerfile/multiple-processes'], check };
