/**
 * dockerfile/chmod-world-writable: a `RUN chmod` that makes files or
 * directories writable by every user (`chmod 777`, `chmod -R 666`,
 * `chmod o+w`, `chmod a=rwx`), so every process in the container, whatever user it
 * runs as, may then replace the program or its configuration. A mode with
 * the sticky bit (`1777`, `+t`) is the shared-directory idiom of /tmp and
 * passes.
 */
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';
import { resolveCommand, type Word } from '../shell.js';

/** Whether a chmod mode argument grants write to others, without the sticky bit. */
export function worldWritableMode(mode: string): boolean {
  if (/^[0-7]{1,4}$/.test(mode)) {
    const digits = mode.padStart(4, '0');
    const special = Number(digits[0]);
    const others = Number(digits[3]);
    return (others & 2) !== 0 && (special & 1) === 0;
  }
  // Symbolic: comma-separated clauses `[ugoa]*[+=][rwxXst]*`.
  let writable = false;
  let sticky = false;
  for (const clause of mode.split(',')) {
    const m = /^([ugoa]*)([-+=])([rwxXstugo]*)$/.exec(clause);
    if (!m) return false; // not a mode we understand: no finding
    const who = m[1] ?? '';
    const op = m[2];
    const perms = m[3] ?? '';
    if (op === '-') continue;
    // No who: `+w` applies through the umask (022 in builds), so others do not get write.
    const toOthers = who.includes('o') || who.includes('a');
    if (toOthers && perms.includes('w')) writable = true;
    if (perms.includes('t')) sticky = true;
  }
  return writable && !sticky;
}

function check(ctx: DockerfileContext): void {
  for (const run of ctx.runs()) {
    const view = ctx.commands(run);
    if (!view) continue;
    for (const c of view.commands) {
      const r = resolveCommand(c);
      if (!r || r.name !== 'chmod') continue;
      const mode = r.args.find((w: Word) => !w.value.startsWith('-') || /^-[rwxXst]+$/.test(w.value));
      if (!mode || !worldWritableMode(mode.value)) continue;
      ctx.report({
        ruleId: 'dockerfile/chmod-world-writable',
        start: r.word.start,
        end: mode.end,
        message: `chmod ${mode.value} makes files writable by every user in the container`,
        fix: 'grant write to the owner or a group (chmod 755 / chmod g+w with a chgrp), and use the sticky bit (1777) for shared scratch directories',
      });
    }
  }
}

export const permissionsCheck: DockerfileCheck = { name: 'permissions', rules: ['dockerfile/chmod-world-writable'], check };
