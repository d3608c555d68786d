/** dockerfile/add-remote-url: `ADD http(s)://…` without `--checksum`. */
import { Add } from 'dockerfile-ast';
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';
import { logicalSource, parseJsonStrings } from '../shell.js';

const REMOTE = /^https?:\/\//i;
/** Git sources (`ADD https://github.com/o/r.git#v1`) are not downloads a checksum applies to. */
const GIT = /\.git(?:#.*)?$/i;

/** The URL without user:password@ (never print credentials). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, '$1***@');
}

function check(ctx: DockerfileContext): void {
  const { doc } = ctx;
  for (const instr of [...doc.instructions, ...doc.triggers]) {
    const node = instr.node;
    if (!(node instanceof Add)) continue;
    if (node.getFlags().some((f) => f.getName() === 'checksum')) continue;
    const r = node.getArgumentsRange();
    if (!r) continue;
    let start = doc.offsetAt(r.start);
    for (const f of node.getFlags()) start = Math.max(start, doc.offsetAt(f.getRange().end));
    const src = logicalSource(doc.text, start, doc.offsetAt(r.end), doc.escape);
    const json = parseJsonStrings(src);
    const words = json
      ? json.map((w) => ({ value: w.value, start: w.start, end: w.end }))
      : node.getArguments().map((a) => ({ value: a.getValue(), start: doc.offsetAt(a.getRange().start), end: doc.offsetAt(a.getRange().end) }));
    const sources = words.slice(0, -1).filter((w) => w.start >= start);
    for (const w of sources) {
      if (!REMOTE.test(w.value) || GIT.test(w.value)) continue;
      ctx.report({
        ruleId: 'dockerfile/add-remote-url',
        start: w.start,
        end: w.end,
        message: `ADD downloads ${redactUrl(w.value)} without a checksum`,
        fix: `ADD --checksum=sha256:<sha256> ${redactUrl(w.value)} …`,
      });
    }
  }
}

export const addCheck: DockerfileCheck = { name: 'add', rules: ['dockerfile/add-remote-url'], check };
