/**
 * What a check gets: the document, the shell view of RUN / CMD / ENTRYPOINT
 * (computed once, shared by all checks), and `report`/`warn`.
 */
import { Cmd, Entrypoint, Healthcheck, Run, Shell, type Flag } from 'dockerfile-ast';
import { BUNDLED_EOL_DATA, type EolData } from '../eol.js';
import type { DockerfileRuleId } from '../rules.js';
import type { DfInstruction, DockerfileDocument, Stage } from './document.js';
import {
  isShell,
  logicalSource,
  parseJsonStrings,
  parseShell,
  rawSource,
  resolveCommand,
  shellCScript,
  wordSource,
  type Script,
  type SimpleCommand,
  type SourceText,
  type Word,
} from './shell.js';

export interface DraftFinding {
  readonly ruleId: DockerfileRuleId;
  readonly message: string;
  /** Absolute offsets of the evidence. */
  readonly start: number;
  readonly end?: number;
  readonly fix?: string;
}

/** The commands of a RUN, CMD or ENTRYPOINT, as the shell would run them. */
export interface CommandView {
  readonly instruction: DfInstruction;
  /** JSON (exec) form or shell form. */
  readonly form: 'exec' | 'shell';
  /** The scripts: the instruction's own, here-document bodies run by a shell, and `sh -c '…'` scripts inside them. */
  readonly scripts: Script[];
  /** Every simple command of every script. */
  readonly commands: SimpleCommand[];
  /** Every pipeline of every script. */
  readonly pipelines: SimpleCommand[][];
  /** RUN flags (`--mount=…`, `--network=…`). */
  readonly flags: readonly Flag[];
}

const MAX_NESTING = 4;

export class DockerfileContext {
  private readonly views = new Map<DfInstruction, CommandView | null>();
  readonly drafts: DraftFinding[] = [];
  readonly warnings: { offset: number; message: string }[] = [];

  /** End-of-life dates the base images are judged by, and the clock they are judged at. */
  readonly eol: EolData;
  readonly now: Date;

  constructor(
    readonly doc: DockerfileDocument,
    options: { readonly eol?: EolData; readonly now?: Date } = {},
  ) {
    this.eol = options.eol ?? BUNDLED_EOL_DATA;
    this.now = options.now ?? new Date();
  }

  report(draft: DraftFinding): void {
    this.drafts.push(draft);
  }

  warn(offset: number, message: string): void {
    this.warnings.push({ offset, message });
  }

  /** RUN instructions of every stage, ONBUILD RUN triggers included, in file order. */
  runs(): DfInstruction[] {
    return [...this.doc.instructions, ...this.doc.triggers].filter((i) => i.node instanceof Run).sort((a, b) => a.start - b.start);
  }

  /**
   * The shell view of a RUN, CMD, ENTRYPOINT or HEALTHCHECK CMD; undefined for
   * other instructions and when the stage's SHELL is not a POSIX shell
   * (PowerShell, cmd) and the instruction is in shell form.
   */
  commands(instr: DfInstruction): CommandView | undefined {
    if (!this.views.has(instr)) this.views.set(instr, this.build(instr) ?? null);
    return this.views.get(instr) ?? undefined;
  }

  private build(instr: DfInstruction): CommandView | undefined {
    const node = instr.node;
    if (!(node instanceof Run || node instanceof Cmd || node instanceof Entrypoint || node instanceof Healthcheck)) return undefined;
    const argsRange = node.getArgumentsRange();
    if (!argsRange) return undefined;
    let start = this.doc.offsetAt(argsRange.start);
    const end = this.doc.offsetAt(argsRange.end);
    const flags = node instanceof Run || node instanceof Healthcheck ? node.getFlags() : [];
    for (const f of flags) start = Math.max(start, this.doc.offsetAt(f.getRange().end));
    if (node instanceof Healthcheck) {
      const sub = node.getSubcommand();
      if (!sub || sub.getValue().toUpperCase() !== 'CMD') return undefined;
      start = Math.max(start, this.doc.offsetAt(sub.getRange().end));
    }
    const scripts: Script[] = [];
    const heredocs = node instanceof Run ? node.getHeredocs() : [];
    const header = logicalSource(this.doc.text, start, heredocs.length > 0 ? this.headerEnd(heredocs, end) : end, this.doc.escape);
    const json = heredocs.length === 0 ? parseJsonStrings(header) : undefined;
    let form: 'exec' | 'shell';
    if (json) {
      form = 'exec';
      scripts.push({ commands: json.length > 0 ? [{ words: json, op: '' }] : [], pipelines: json.length > 0 ? [[{ words: json, op: '' }]] : [], problems: [] });
    } else {
      form = 'shell';
      if (!this.posixShellFor(instr)) return undefined;
      const headerScript = parseShell(blankHeredocMarkers(header));
      scripts.push(headerScript);
      const first = headerScript.commands[0] ? resolveCommand(headerScript.commands[0]) : undefined;
      const bodyIsShell = headerScript.commands.length === 0 || (first !== undefined && isShell(first.name) && shellCScript(first) === undefined);
      for (const h of heredocs) {
        const range = h.getContentRange();
        if (!range || !bodyIsShell) continue;
        const body = rawSource(this.doc.text, this.doc.offsetAt(range.start), this.doc.offsetAt(range.end));
        const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(body.text);
        if (shebang) {
          const interp = shebang[1]?.endsWith('/env') ? (shebang[2] ?? '') : (shebang[1] ?? '');
          if (!isShell(interp)) continue;
        }
        scripts.push(parseShell(body));
      }
    }
    // `sh -c '…'` inside: parse the script too.
    for (let k = 0; k < scripts.length && k < 64; k++) {
      const depth = (scripts[k] as Script & { depth?: number }).depth ?? 0;
      if (depth >= MAX_NESTING) continue;
      for (const cmd of (scripts[k] as Script).commands) {
        const resolved = resolveCommand(cmd);
        const script = resolved ? shellCScript(resolved) : undefined;
        if (script) scripts.push(Object.assign(parseShell(wordSource(script)), { depth: depth + 1 }));
      }
    }
    for (const s of scripts) for (const p of s.problems) this.warn(instr.start, `${instr.keyword}: ${p}`);
    return {
      instruction: instr,
      form,
      scripts,
      commands: scripts.flatMap((s) => s.commands),
      pipelines: scripts.flatMap((s) => s.pipelines),
      flags,
    };
  }

  /** End of the header of a RUN with here-documents: the end of the line before the first body. */
  private headerEnd(heredocs: ReturnType<Run['getHeredocs']>, end: number): number {
    const first = heredocs[0];
    if (!first) return end;
    return Math.min(end, this.doc.lineEnd(first.getStartRange().start.line));
  }

  /** False when a SHELL instruction before `instr` (in its stage or a parent stage) selects a non-POSIX shell. */
  private posixShellFor(instr: DfInstruction): boolean {
    const chain: Stage[] = [];
    for (let s = instr.stage; s !== undefined && !chain.includes(s); s = s.parent) chain.push(s);
    for (const stage of chain) {
      const shells = this.shellsOf(stage);
      // The last SHELL before the instruction (binary search: a file may hold many).
      let lo = 0;
      let hi = shells.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((shells[mid] as DfInstruction).start < instr.start) lo = mid + 1;
        else hi = mid;
      }
      const last = shells[lo - 1];
      if (last) {
        const words = this.shellWords(last);
        return words === undefined || isShell(words[0]?.value ?? 'sh');
      }
    }
    return true;
  }

  private readonly shells = new Map<Stage, DfInstruction[]>();

  private shellsOf(stage: Stage): DfInstruction[] {
    let list = this.shells.get(stage);
    if (!list) {
      list = stage.instructions.filter((i) => i.node instanceof Shell);
      this.shells.set(stage, list);
    }
    return list;
  }

  private shellWords(instr: DfInstruction): Word[] | undefined {
    const r = instr.node.getArgumentsRange();
    if (!r) return undefined;
    return parseJsonStrings(logicalSource(this.doc.text, this.doc.offsetAt(r.start), this.doc.offsetAt(r.end), this.doc.escape));
  }
}

/** `<<EOF`, `<<-'EOF'`, `<<"EOF"` → spaces, so the header tokenizes as the command alone. */
function blankHeredocMarkers(src: SourceText): SourceText {
  const text = src.text.replace(/<<-?\s*(["']?)[A-Za-z0-9_.-]+\1/g, (m) => ' '.repeat(m.length));
  return { ...src, text };
}
