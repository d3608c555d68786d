/**
 * A parsed Dockerfile as the checks see it: the text (validated, capped), the
 * dockerfile-ast tree, the instructions grouped into build stages (with the
 * stage each one is built FROM, when that is an earlier stage), the global
 * ARG defaults, and offset ↔ line/column conversion. Everything is addressed
 * by absolute offsets into `text` (UTF-16 units); lint.ts turns them into
 * 1-based lines and columns at the end.
 */
import { DockerfileParser, From, Onbuild, type Dockerfile, type Instruction } from 'dockerfile-ast';
import { HygieneError } from '../errors.js';
import { substituteVariables } from './variables.js';

/** The default cap on a Dockerfile's size: 1 MiB. */
export const MAX_DOCKERFILE_BYTES = 1024 * 1024;

export interface Position0 {
  readonly line: number;
  readonly character: number;
}

export interface DfInstruction {
  /** Upper-case keyword as written (`RUN`, `FROM`, or an unknown word such as `APT-GET`). */
  readonly keyword: string;
  readonly node: Instruction;
  /** Absolute offsets of the whole instruction (here-documents included). */
  readonly start: number;
  readonly end: number;
  /** 0-based first and last line. */
  readonly startLine: number;
  readonly endLine: number;
  /** The build stage it belongs to; undefined before the first FROM. */
  readonly stage?: Stage;
  /** For an ONBUILD trigger: the ONBUILD instruction that holds it. */
  readonly onbuild?: DfInstruction;
}

/** A base image reference after substitution of global ARG defaults. */
export interface BaseImage {
  /** As written (`${BASE}`, `node:${NODE_VERSION}-slim`). */
  readonly written: string;
  /** With variables replaced by their ARG defaults. */
  readonly resolved: string;
  /** Variables without a default (left as `${NAME}` in `resolved`). */
  readonly unresolved: readonly string[];
  /** Absolute offsets of the reference as written. */
  readonly start: number;
  readonly end: number;
}

export interface Stage {
  /** 0-based position among the stages. */
  readonly index: number;
  readonly from: DfInstruction;
  /** The `AS name`, lower-cased. */
  readonly name?: string;
  /** Undefined when the FROM names no image (a syntax error). */
  readonly base?: BaseImage;
  /** The earlier stage this one is built FROM, if any. */
  readonly parent?: Stage;
  /** True for FROM scratch. */
  readonly scratch: boolean;
  /** The stage's instructions in order, its FROM first; ONBUILD triggers are not included. */
  readonly instructions: DfInstruction[];
}

export interface LoadOptions {
  /** Cap in bytes (default MAX_DOCKERFILE_BYTES). */
  readonly maxBytes?: number;
}

/** Bytes or text → validated text, without a BOM. Throws HygieneError TOO_LARGE / DOCKERFILE_INVALID. */
export function decodeDockerfile(input: string | Uint8Array, file: string, options: LoadOptions = {}): string {
  const max = options.maxBytes ?? MAX_DOCKERFILE_BYTES;
  let text: string;
  if (typeof input === 'string') {
    // Cheap bound first: a UTF-16 string of n units is at least n bytes of UTF-8.
    if (input.length > max || Buffer.byteLength(input, 'utf8') > max) {
      throw new HygieneError('TOO_LARGE', `${file}: larger than the ${max}-byte limit for a Dockerfile`);
    }
    text = input;
  } else {
    if (input.byteLength > max) {
      throw new HygieneError('TOO_LARGE', `${file}: ${input.byteLength} bytes, larger than the ${max}-byte limit for a Dockerfile`);
    }
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (cause) {
      throw new HygieneError('DOCKERFILE_INVALID', `${file}: not UTF-8 text (a binary file?)`, { cause });
    }
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    throw new HygieneError('DOCKERFILE_INVALID', `${file}: contains a NUL byte at offset ${nul} (a binary file?)`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const STAGE_SCRATCH = 'scratch';

export class DockerfileDocument {
  readonly ast: Dockerfile;
  readonly escape: string;
  /** Top-level instructions in order (ONBUILD triggers are in `triggers`). */
  readonly instructions: DfInstruction[] = [];
  /** Instructions inside ONBUILD, with `onbuild` set. */
  readonly triggers: DfInstruction[] = [];
  readonly stages: Stage[] = [];
  /** ARGs declared before the first FROM and their defaults (undefined: no default). */
  readonly globalArgs = new Map<string, string | undefined>();
  /** 0-based lines that are comments (outside and inside instructions). */
  readonly commentLines = new Set<number>();
  private readonly lineStarts: number[];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.lineStarts = computeLineStarts(text);
    this.ast = DockerfileParser.parse(text);
    this.escape = this.ast.getEscapeCharacter();
    for (const c of this.ast.getComments()) this.commentLines.add(c.getRange().start.line);
    for (const arg of this.ast.getInitialARGs()) {
      const p = arg.getProperty();
      if (p) this.globalArgs.set(p.getName(), p.getValue() ?? undefined);
    }
    let stage: Stage | undefined;
    for (const node of this.ast.getInstructions()) {
      if (node instanceof From) {
        stage = this.newStage(node);
        this.instructions.push(stage.from);
        continue;
      }
      const instr = this.wrap(node, stage);
      this.instructions.push(instr);
      stage?.instructions.push(instr);
      if (node instanceof Onbuild) {
        const trigger = node.getTriggerInstruction();
        if (trigger) this.triggers.push({ ...this.wrap(trigger, stage), onbuild: instr });
      }
    }
  }

  private wrap(node: Instruction, stage: Stage | undefined): DfInstruction {
    const r = node.getRange();
    return {
      keyword: node.getKeyword().toUpperCase(),
      node,
      start: this.offsetAt(r.start),
      end: this.offsetAt(r.end),
      startLine: r.start.line,
      endLine: r.end.line,
      stage,
    };
  }

  private newStage(node: From): Stage {
    const from = this.wrap(node, undefined);
    const range = node.getImageRange();
    const written = node.getImage();
    let base: BaseImage | undefined;
    if (written !== null && range !== null) {
      const sub = substituteVariables(written, (name) => this.globalArgs.get(name));
      base = { written, resolved: sub.value, unresolved: sub.unresolved, start: this.offsetAt(range.start), end: this.offsetAt(range.end) };
    }
    const name = node.getBuildStage()?.toLowerCase() ?? undefined;
    const ref = base?.resolved.toLowerCase();
    const parent = ref === undefined ? undefined : [...this.stages].reverse().find((s) => s.name !== undefined && s.name === ref);
    const stage: Stage = {
      index: this.stages.length,
      from,
      name,
      base,
      parent,
      scratch: ref === STAGE_SCRATCH,
      instructions: [],
    };
    (from as { stage?: Stage }).stage = stage;
    stage.instructions.push(from);
    this.stages.push(stage);
    return stage;
  }

  /** The stage `docker build` builds by default: the last one. */
  get finalStage(): Stage | undefined {
    return this.stages[this.stages.length - 1];
  }

  /** The final stage and the earlier stages it is built FROM, final first. */
  get finalChain(): Stage[] {
    const chain: Stage[] = [];
    for (let s = this.finalStage; s !== undefined && !chain.includes(s); s = s.parent) chain.push(s);
    return chain;
  }

  /** dockerfile-ast position (0-based line/character) → absolute offset. */
  offsetAt(pos: Position0): number {
    const lineStart = this.lineStarts[pos.line];
    if (lineStart === undefined) return this.text.length;
    const next = this.lineStarts[pos.line + 1] ?? this.text.length;
    return Math.min(lineStart + pos.character, next);
  }

  /** Absolute offset → 1-based line and column. */
  positionAt(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.lineStarts[lo] as number) + 1 };
  }

  /** Offset of the start of 0-based line `line`. */
  lineStart(line: number): number {
    return this.lineStarts[line] ?? this.text.length;
  }

  /** Offset just past the last character of 0-based line `line` (before its line break). */
  lineEnd(line: number): number {
    const next = this.lineStarts[line + 1];
    if (next === undefined) return this.text.length;
    let end = next;
    if (this.text[end - 1] === '\n') end--;
    if (this.text[end - 1] === '\r') end--;
    return end;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }
}

/** Line starts as vscode-languageserver-textdocument counts lines: \r\n, \n and \r each end a line. */
function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (ch === 10) starts.push(i + 1);
  }
  return starts;
}
