/**
 * Reads an OVAL 5 definitions document (https://oval.mitre.org, the format
 * of Oracle's ELSA feed) as a stream, keeping only what a package advisory
 * needs. OVAL spreads one advisory over four sections: the definition (its
 * metadata and a criteria tree of test ids), then, after every definition,
 * the tests (test id → object id and state ids), the objects (object id →
 * package name) and the states (state id → `evr less than`, an arch or a
 * version pattern). So the definitions are kept, compactly, until the end
 * of the file, and resolved by id afterwards (oracle-oval.ts).
 *
 * Parsed with `saxes` (a streaming, non-validating XML parser; it reads no
 * DTD and no external entity). Bounded against hostile input:
 * - the uncompressed input (compressed-input.ts);
 * - a run of text or a tag longer than MAX_RUN_CHARS, elements nested deeper
 *   than MAX_ELEMENT_DEPTH, more than MAX_DEFINITIONS definitions or
 *   MAX_ENTRIES tests, objects or states: the whole file is refused
 *   (FEED_INVALID), as is XML that is not well-formed or not OVAL;
 * - per definition: criteria nested deeper than MAX_CRITERIA_DEPTH, more than
 *   MAX_CRITERIA_NODES criteria or MAX_CRITERIA_TESTS criterions, a negated
 *   criterion or an extended definition: that definition carries a
 *   `problem` and is skipped with it by the converter;
 * - stored texts are cut (titles, descriptions) or, for ids, names and
 *   versions, refused past their cap (then they resolve to nothing).
 * The criteria tree is kept flat (each node names its parent), so no step
 * recurses on the input's depth. Ids are kept as numbers where Oracle's
 * scheme allows (`OvalKey`) and strings are copied out of the parser's
 * chunks (`own`). Measured on a generated feed of Oracle's shape (8,000
 * ELSAs × 15 packages × 2 architectures, 192 MB, 3.5 MB as bzip2): the
 * heap after reading went from 432 MB (string ids, slices) to 111 MB; the
 * whole import's peak RSS is 362 MB from the plain file (4.7 s) and 447 MB
 * from the bzip2 one (18 s, most of it the JavaScript bzip2 decoder).
 */
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { decompressedChunks } from './compressed-input.js';
import { own, ovalKey, type OvalDefinition, type OvalDocument, type OvalKey, type OvalState, type OvalTest } from './oval-types.js';
import { SourceError, messageOf } from './source.js';

export type { OvalDefinition, OvalDocument, OvalKey, OvalReference, OvalState, OvalTest } from './oval-types.js';
export { ovalIdText, ovalKey } from './oval-types.js';

export const MAX_RUN_CHARS = 8 * 1024 * 1024;
export const MAX_ELEMENT_DEPTH = 256;
export const MAX_DEFINITIONS = 500_000;
export const MAX_ENTRIES = 10_000_000;
export const MAX_CRITERIA_DEPTH = 32;
export const MAX_CRITERIA_NODES = 10_000;
export const MAX_CRITERIA_TESTS = 50_000;
const MAX_TITLE = 512;
const MAX_DESCRIPTION = 4000;
const MAX_SHORT = 256;

function localName(name: string): string {
  const i = name.lastIndexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

type Capture =
  | { readonly into: 'title' | 'description' | 'severity' | 'cve' | 'platform'; text: string; readonly max: number; over: boolean }
  | { readonly into: 'name' | keyof OvalState; text: string; readonly max: number; over: boolean };

class OvalHandler {
  readonly doc: OvalDocument = { definitions: [], tests: new Map(), objects: new Map(), states: new Map() };
  depth = 0;
  root: string | undefined;
  section: string | undefined;
  def: OvalDefinition | undefined;
  /** Indices of the open criteria of `def` (bounded by MAX_CRITERIA_DEPTH); deeper ones are only counted. */
  readonly openCriteria: number[] = [];
  criteriaDepth = 0;
  criterions = 0;
  test: OvalTest | undefined;
  /** The id of the object whose `<name>` may come next. */
  pendingObject: OvalKey | undefined;
  state: OvalState | undefined;
  stateOperation: string | undefined;
  capture: Capture | undefined;

  constructor(readonly label: string) {}

  fail(message: string): never {
    throw new SourceError('FEED_INVALID', `${this.label}: ${message}`);
  }

  open(tag: SaxesTagPlain): void {
    this.depth++;
    if (this.depth > MAX_ELEMENT_DEPTH) this.fail(`elements nested deeper than ${MAX_ELEMENT_DEPTH}; not read`);
    const name = localName(tag.name);
    const a = tag.attributes;
    if (this.depth === 1) {
      this.root = name;
      if (name !== 'oval_definitions') this.fail(`not an OVAL definitions document (the root element is <${tag.name}>)`);
      return;
    }
    if (this.depth === 2) {
      this.section = name;
      return;
    }
    if (this.section === 'definitions') this.openInDefinitions(name, a);
    else if (this.section === 'tests') this.openInTests(name, a);
    else if (this.section === 'objects') this.openInObjects(name, a);
    else if (this.section === 'states') this.openInStates(name, a);
  }

  openInDefinitions(name: string, a: Record<string, string>): void {
    if (this.depth === 3 && name === 'definition') {
      if (this.doc.definitions.length >= MAX_DEFINITIONS) this.fail(`more than ${MAX_DEFINITIONS} definitions; not read`);
      this.def = { id: own(a.id ?? ''), className: own(a.class ?? ''), version: own(a.version ?? ''), title: '', description: '', severity: '', references: [], cves: [], platforms: [], parents: [], tests: [], testNodes: [] };
      this.doc.definitions.push(this.def);
      this.openCriteria.length = 0;
      this.criteriaDepth = 0;
      this.criterions = 0;
      return;
    }
    const def = this.def;
    if (!def) return;
    switch (name) {
      case 'title':
        this.capture = { into: 'title', text: '', max: MAX_TITLE, over: false };
        return;
      case 'description':
        if (this.criteriaDepth === 0) this.capture = { into: 'description', text: '', max: MAX_DESCRIPTION, over: false };
        return;
      case 'severity':
        this.capture = { into: 'severity', text: '', max: MAX_SHORT, over: false };
        return;
      case 'cve':
        this.capture = { into: 'cve', text: '', max: MAX_SHORT, over: false };
        return;
      case 'platform':
        this.capture = { into: 'platform', text: '', max: MAX_SHORT, over: false };
        return;
      case 'issued':
        if (a.date) def.issued = own(a.date.slice(0, MAX_SHORT));
        return;
      case 'reference':
        if (def.references.length < 1000 && a.source && a.ref_id) {
          def.references.push({ source: own(a.source.slice(0, MAX_SHORT)), id: own(a.ref_id.slice(0, MAX_SHORT)), ...(a.ref_url ? { url: own(a.ref_url.slice(0, 2048)) } : {}) });
        }
        return;
      case 'criteria':
        this.openCriteriaNode(def, a);
        return;
      case 'criterion':
        this.addCriterion(def, a);
        return;
      case 'extend_definition':
        def.problem ??= 'extends another definition (extend_definition), which is not supported';
        return;
    }
  }

  openCriteriaNode(def: OvalDefinition, a: Record<string, string>): void {
    this.criteriaDepth++;
    if (def.problem) return;
    if (this.criteriaDepth > MAX_CRITERIA_DEPTH) {
      def.problem = `criteria nested deeper than ${MAX_CRITERIA_DEPTH}`;
      return;
    }
    if (def.parents.length >= MAX_CRITERIA_NODES) {
      def.problem = `more than ${MAX_CRITERIA_NODES} criteria`;
      return;
    }
    if (a.negate === 'true') {
      def.problem = 'a negated criteria, which is not supported';
      return;
    }
    const parent = this.openCriteria.length > 0 ? this.openCriteria[this.openCriteria.length - 1]! : -1;
    def.parents.push(parent);
    this.openCriteria.push(def.parents.length - 1);
  }

  addCriterion(def: OvalDefinition, a: Record<string, string>): void {
    if (def.problem) return;
    const node = this.openCriteria.length > 0 ? this.openCriteria[this.openCriteria.length - 1]! : undefined;
    if (node === undefined || this.criteriaDepth !== this.openCriteria.length) return;
    if (a.negate === 'true') {
      def.problem = `a negated criterion (${a.comment ?? a.test_ref ?? ''}), which is not supported`;
      return;
    }
    if (++this.criterions > MAX_CRITERIA_TESTS) {
      def.problem = `more than ${MAX_CRITERIA_TESTS} criterions`;
      return;
    }
    if (a.test_ref && a.test_ref.length <= MAX_SHORT) {
      def.tests.push(ovalKey(a.test_ref));
      def.testNodes.push(node);
    } else def.problem = 'a criterion without a usable test_ref';
  }

  openInTests(name: string, a: Record<string, string>): void {
    if (this.depth === 3) {
      this.test = undefined;
      if (!name.endsWith('_test') || !a.id || a.id.length > MAX_SHORT) return;
      this.countEntry();
      this.test = { kind: name === 'rpminfo_test' ? 'rpminfo_test' : own(name), states: [] };
      this.doc.tests.set(ovalKey(a.id), this.test);
      return;
    }
    if (!this.test || this.depth !== 4) return;
    if (name === 'object' && a.object_ref && a.object_ref.length <= MAX_SHORT) this.test.object = ovalKey(a.object_ref);
    else if (name === 'state' && a.state_ref && a.state_ref.length <= MAX_SHORT && this.test.states.length < 16) {
      const key = ovalKey(a.state_ref);
      if (this.test.states.length === 0) this.test.states = [key];
      else this.test.states.push(key);
    }
  }

  openInObjects(name: string, a: Record<string, string>): void {
    if (this.depth === 3) {
      this.pendingObject = undefined;
      if (!name.endsWith('_object') || !a.id || a.id.length > MAX_SHORT) return;
      this.countEntry();
      this.pendingObject = ovalKey(a.id);
      return;
    }
    if (this.pendingObject !== undefined && this.depth === 4 && name === 'name') this.capture = { into: 'name', text: '', max: MAX_SHORT, over: false };
  }

  openInStates(name: string, a: Record<string, string>): void {
    if (this.depth === 3) {
      this.state = undefined;
      if (!name.endsWith('_state') || !a.id || a.id.length > MAX_SHORT) return;
      this.countEntry();
      this.state = {};
      this.doc.states.set(ovalKey(a.id), this.state);
      return;
    }
    if (!this.state || this.depth !== 4) return;
    if (name === 'evr' || name === 'version' || name === 'arch' || name === 'release') {
      this.capture = { into: name, text: '', max: MAX_SHORT, over: false };
      if (name === 'evr') this.stateOperation = own(a.operation ?? 'equals');
    } else if (name === 'signature_keyid') this.capture = { into: 'signatureKeyId', text: '', max: MAX_SHORT, over: false };
  }

  countEntry(): void {
    if (this.doc.tests.size + this.doc.objects.size + this.doc.states.size >= MAX_ENTRIES) this.fail(`more than ${MAX_ENTRIES} tests, objects and states; not read`);
  }

  text(text: string): void {
    const c = this.capture;
    if (!c || c.over) return;
    if (c.text.length + text.length > c.max) {
      c.text += text.slice(0, c.max - c.text.length);
      c.over = true;
    } else c.text += text;
  }

  /** The element just closed. */
  close(name: string): void {
    const c = this.capture;
    if (c) this.finishCapture(c);
    this.capture = undefined;
    const local = localName(name);
    if (this.section === 'definitions' && this.def) {
      if (local === 'criteria') {
        if (this.criteriaDepth === this.openCriteria.length) this.openCriteria.pop();
        this.criteriaDepth--;
      } else if (local === 'definition' && this.depth === 3) this.def = undefined;
    }
    if (this.depth === 2) this.section = undefined;
    this.depth--;
  }

  finishCapture(c: Capture): void {
    const text = own(c.text.trim());
    const def = this.def;
    switch (c.into) {
      case 'title':
        if (def) def.title = c.over ? `${text}…` : text;
        return;
      case 'description':
        if (def) def.description = c.over ? `${text}…` : text;
        return;
      case 'severity':
        if (def) def.severity = text;
        return;
      case 'cve':
        if (def && def.cves.length < 10_000 && !c.over) def.cves.push(text);
        return;
      case 'platform':
        if (def && def.platforms.length < 100 && !c.over) def.platforms.push(text);
        return;
      case 'name':
        if (this.pendingObject !== undefined && !c.over) this.doc.objects.set(this.pendingObject, text);
        return;
      default:
        if (!this.state || c.over) return;
        this.state[c.into] = text;
        if (c.into === 'evr' && this.stateOperation) this.state.evrOperation = this.stateOperation;
    }
  }
}

/**
 * Reads the OVAL document at `path` (plain, gzip or bzip2). Throws
 * SourceError FEED_INVALID, with the file and the reason on one line, for a
 * file that is not well-formed XML, not OVAL, or over a cap.
 */
export async function readOval(path: string, options: { label?: string; maxBytes?: number; signal?: AbortSignal } = {}): Promise<OvalDocument> {
  const label = options.label ?? path;
  const handler = new OvalHandler(label);
  const parser = new SaxesParser({ xmlns: false, position: true });
  parser.on('opentag', (tag) => handler.open(tag));
  parser.on('text', (text) => handler.text(text));
  parser.on('cdata', (text) => handler.text(text));
  parser.on('closetag', (tag) => handler.close(tag.name));
  const decoder = new StringDecoder('utf8');
  let run = 0;
  const feed = (text: string): void => {
    const lt = text.lastIndexOf('<');
    run = lt < 0 ? run + text.length : text.length - lt - 1;
    if (run > MAX_RUN_CHARS) handler.fail(`a text or tag longer than ${MAX_RUN_CHARS} characters; not read`);
    try {
      parser.write(text);
    } catch (error) {
      if (error instanceof SourceError) throw error;
      handler.fail(`not well-formed XML at ${messageOf(error)}`);
    }
  };
  for await (const chunk of decompressedChunks(path, { label, ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}), ...(options.signal ? { signal: options.signal } : {}) })) {
    feed(decoder.write(chunk));
  }
  feed(decoder.end());
  try {
    parser.close();
  } catch (error) {
    if (error instanceof SourceError) throw error;
    handler.fail(handler.root === undefined ? 'not an OVAL definitions document (no XML element)' : `not well-formed XML at ${messageOf(error)}`);
  }
  if (handler.root === undefined) handler.fail('not an OVAL definitions document (no XML element)');
  return handler.doc;
}
