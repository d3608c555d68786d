/**
 * A streaming reader of yum `updateinfo.xml` (optionally gzipped): the
 * errata document of an rpm-md repository (`repodata/repomd.xml` names it
 * as `<data type="updateinfo">`). Amazon Linux publishes its security
 * advisories (ALAS) only in this form.
 *
 * ```xml
 * <updates>
 *   <update type="security" status="final" …>
 *     <id>ALAS2-2023-2001</id> <title>…</title> <severity>important</severity>
 *     <issued date="2023-03-02 19:04"/> <updated date="…"/> <description>…</description>
 *     <references><reference type="cve" id="CVE-…" href="…"/></references>
 *     <pkglist><collection short="…"><name>…</name>
 *       <package name="…" epoch="0" version="…" release="…" arch="x86_64"><filename>…</filename></package>
 *     </collection></pkglist>
 *   </update>
 * </updates>
 * ```
 *
 * The real Amazon Linux 2 document is tens of MB, so it is never built into
 * a tree: `saxes` (a maintained, well-formedness-checking SAX parser; no DTD
 * expansion, so no entity bombs) emits events and one `<update>` at a time is
 * kept. Every input bound is explicit (`UpdateinfoLimits`): decompressed
 * bytes (a gzip bomb fails at the cap), the input between two parser events
 * (saxes buffers a text node, comment or tag until it ends, so a huge one
 * fails here instead of filling memory), element depth, and per record the
 * text kept, packages and references. A record over a per-record cap is
 * still returned, with the problem named, for the caller to skip or trim.
 * A document that is not well-formed, or whose root is not `<updates>`,
 * throws SourceError('FEED_INVALID') with one line naming where.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { SourceError, checkAborted, messageOf } from './source.js';

export interface UpdateinfoLimits {
  /** Decompressed bytes of the whole document (default 1 GiB; the real AL2 document is under 100 MB). */
  readonly maxBytes: number;
  /** Input characters between two parser events: the longest text node, comment or tag (default 16 Mi). */
  readonly maxEventGap: number;
  /** Characters kept of one field; `<description>` beyond it is cut (default 64 KiB). */
  readonly maxText: number;
  /** `<package>` entries kept per update (default 20,000: a kernel ALAS lists a few hundred). */
  readonly maxPackages: number;
  /** `<reference>` entries kept per update (default 5,000). */
  readonly maxReferences: number;
}

export const DEFAULT_UPDATEINFO_LIMITS: UpdateinfoLimits = {
  maxBytes: 1 << 30,
  maxEventGap: 16 << 20,
  maxText: 64 << 10,
  maxPackages: 20_000,
  maxReferences: 5_000,
};

const MAX_DEPTH = 32;

export interface UpdatePackage {
  readonly name?: string;
  readonly epoch?: string;
  readonly version?: string;
  readonly release?: string;
  readonly arch?: string;
}

export interface UpdateReference {
  readonly type?: string;
  readonly id?: string;
}

/** One `<update>` as written; fields are undefined when absent. */
export interface UpdateRecord {
  /** The line of its `<update>` tag, to name it in messages. */
  readonly line: number;
  readonly type?: string;
  readonly status?: string;
  id?: string;
  title?: string;
  severity?: string;
  description?: string;
  issued?: string;
  updated?: string;
  readonly references: UpdateReference[];
  readonly packages: UpdatePackage[];
  /** Caps this record went over, each a message: `more than N packages`/`references` (the list stops there), a field cut, an attribute dropped. */
  readonly problems: string[];
}

type TextField = 'id' | 'title' | 'severity' | 'description';
const TEXT_FIELDS: ReadonlySet<string> = new Set<TextField>(['id', 'title', 'severity', 'description']);

/** Adds a problem once. */
function note(record: UpdateRecord, problem: string): void {
  if (!record.problems.includes(problem)) record.problems.push(problem);
}

/** Longest attribute value kept: longer ones (no real name, version or id is) are dropped and noted, not sliced (a slice keeps its whole parent string alive). */
const MAX_ATTRIBUTE = 256;

function attribute(record: UpdateRecord, attributes: Record<string, string>, name: string): string | undefined {
  const value = attributes[name];
  if (value === undefined || value.length <= MAX_ATTRIBUTE) return value;
  note(record, `a ${name} attribute longer than ${MAX_ATTRIBUTE} characters: dropped`);
  return undefined;
}

function invalid(label: string, message: string, cause?: unknown): SourceError {
  return new SourceError('FEED_INVALID', `${label}: ${message}`, cause === undefined ? undefined : { cause });
}

/** Whether the file starts with a gzip member's magic bytes. */
function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** The document as text, gunzipped when it is gzip, failing at `limits.maxBytes` decompressed. */
async function* decodedChunks(path: string, label: string, limits: UpdateinfoLimits): AsyncGenerator<string> {
  const file = createReadStream(path, { highWaterMark: 64 << 10 });
  const gzip = isGzipFile(path);
  const gunzip = gzip ? createGunzip({ chunkSize: 64 << 10 }) : undefined;
  if (gunzip) pipeline(file, gunzip, () => undefined); // an error of either ends the iteration below with it
  const decoder = new StringDecoder('utf8');
  let total = 0;
  try {
    for await (const raw of (gunzip ?? file) as AsyncIterable<Buffer>) {
      total += raw.length;
      if (total > limits.maxBytes) throw invalid(label, `${gzip ? 'decompresses to' : 'is'} over the cap of ${limits.maxBytes} bytes; not read`);
      yield decoder.write(raw);
    }
  } catch (error) {
    if (error instanceof SourceError || !gzip) throw error;
    throw invalid(label, `corrupt gzip: ${messageOf(error)}`, error);
  } finally {
    gunzip?.destroy();
    file.destroy();
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/**
 * Yields each `<update>` of the document at `path` in order. Throws
 * SourceError('FEED_INVALID') when the document is not well-formed, not
 * `<updates>`, or over a document-wide cap; records already yielded stand.
 */
export async function* readUpdateinfo(
  path: string,
  options: { readonly label?: string; readonly limits?: Partial<UpdateinfoLimits>; readonly signal?: AbortSignal } = {},
): AsyncGenerator<UpdateRecord> {
  const label = options.label ?? path;
  const limits: UpdateinfoLimits = { ...DEFAULT_UPDATEINFO_LIMITS, ...options.limits };
  const parser = new SaxesParser({ position: true, xmlns: false });
  const done: UpdateRecord[] = [];
  let depth = 0;
  let sawRoot = false;
  let current: UpdateRecord | undefined;
  let field: TextField | undefined;
  let fieldDepth = 0;
  let lastEvent = 0;
  const seen = (): void => {
    lastEvent = parser.position;
  };
  const append = (text: string): void => {
    seen();
    if (!current || !field) return;
    const had = current[field] ?? '';
    if (had.length >= limits.maxText) return;
    let next = had + text;
    if (next.length > limits.maxText) {
      next = next.slice(0, limits.maxText);
      note(current, `<${field}> longer than ${limits.maxText} characters: cut at the cap`);
    }
    current[field] = next;
  };
  parser.on('opentag', (tag: SaxesTagPlain) => {
    seen();
    depth++;
    if (depth > MAX_DEPTH) throw invalid(label, `elements nested deeper than ${MAX_DEPTH} at line ${parser.line}; not read`);
    const a = tag.attributes;
    if (depth === 1) {
      if (tag.name !== 'updates') throw invalid(label, `not a yum updateinfo document (the root element is <${tag.name.slice(0, 40)}>, not <updates>)`);
      sawRoot = true;
      return;
    }
    if (depth === 2 && tag.name === 'update') {
      current = { line: parser.line, references: [], packages: [], problems: [] };
      const type = attribute(current, a, 'type');
      const status = attribute(current, a, 'status');
      if (type !== undefined) Object.assign(current, { type });
      if (status !== undefined) Object.assign(current, { status });
      return;
    }
    if (!current) return;
    if (depth === 3 && TEXT_FIELDS.has(tag.name)) {
      field = tag.name as TextField;
      fieldDepth = depth;
      current[field] = current[field] ?? '';
    } else if (depth === 3 && (tag.name === 'issued' || tag.name === 'updated')) {
      current[tag.name] = attribute(current, a, 'date');
    } else if (tag.name === 'reference' && depth === 4) {
      if (current.references.length < limits.maxReferences) current.references.push({ type: attribute(current, a, 'type'), id: attribute(current, a, 'id') });
      else note(current, `more than ${limits.maxReferences} references`);
    } else if (tag.name === 'package' && depth === 5) {
      if (current.packages.length >= limits.maxPackages) return note(current, `more than ${limits.maxPackages} packages`);
      const r = current;
      current.packages.push({ name: attribute(r, a, 'name'), epoch: attribute(r, a, 'epoch'), version: attribute(r, a, 'version'), release: attribute(r, a, 'release'), arch: attribute(r, a, 'arch') });
    }
  });
  parser.on('text', append);
  parser.on('cdata', append);
  parser.on('comment', seen);
  parser.on('processinginstruction', seen);
  parser.on('doctype', seen);
  parser.on('closetag', () => {
    seen();
    if (field && depth === fieldDepth) field = undefined;
    if (depth === 2 && current) {
      done.push(current);
      current = undefined;
    }
    depth--;
  });
  parser.on('error', (error: Error) => {
    throw invalid(label, `not well-formed XML: ${error.message.replace(/\s+/g, ' ')}`, error);
  });

  for await (const chunk of decodedChunks(path, label, limits)) {
    checkAborted(options.signal);
    parser.write(chunk);
    if (parser.position - lastEvent > limits.maxEventGap) {
      throw invalid(label, `a text node, comment or tag longer than ${limits.maxEventGap} characters at line ${parser.line}; not read`);
    }
    while (done.length > 0) yield done.shift()!;
  }
  parser.close();
  if (!sawRoot) throw invalid(label, 'empty document: not a yum updateinfo document');
  while (done.length > 0) yield done.shift()!;
}
