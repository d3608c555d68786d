/**
 * A layer recording (recording.ts) as bytes, for a cache on disk or in a
 * database, and back. Nothing read back is trusted: the document must be
 * whole (a sha256 over the body, so a torn or flipped file is refused), of
 * this version, for the blob and diffID asked for, within the recording
 * bounds, and every entry is rebuilt through the tar reader's own checks
 * (`entryFromHeader`: path normalisation, unsafe names and links, whiteouts),
 * so a replayed entry is exactly what reading the tar would have produced,
 * or the recording is refused (a miss: the layer is read).
 *
 * Layout: `PCLREC01`, the header's length (u32 big-endian), the header
 * (JSON), then the body: the entries (JSON, one tuple each) followed by the
 * kept bytes of the files, in entry order. Hand-written rather than a schema
 * library: it is read on every cached scan, once per entry.
 */
import { createHash } from 'node:crypto';
import { isDigest, type Digest, type LayerCompression } from '../core/index.js';
import type { Header } from 'tar-stream';
import { MAX_RECORDED_BYTES, MAX_RECORDED_ENTRIES, type LayerRecording, type RecordedEntry } from './recording.js';
import { entryFromHeader, type LayerEntry } from './tar.js';

const MAGIC = Buffer.from('PCLREC01');
const MAX_HEADER_BYTES = 4096;
/** Bytes of entry metadata a recording may hold (paths are at most 4 KiB each; real layers average ~100 bytes). */
const MAX_ENTRIES_JSON_BYTES = 256 * 1024 * 1024;

const KINDS = ['file', 'directory', 'symlink', 'hardlink', 'other'] as const;
const HEADER_TYPES: Record<(typeof KINDS)[number], Header['type']> = { file: 'file', directory: 'directory', symlink: 'symlink', hardlink: 'link', other: 'fifo' };
const COMPRESSIONS: readonly LayerCompression[] = ['gzip', 'zstd', 'none'];

/** content state per entry: none, refused by its own `accept`, bytes follow in the body; +4: its own path is unselected. */
const NONE = 0;
const REJECTED = 1;
const BYTES = 2;
const UNSELECTED = 4;

/** `aliases`: for a refused file, the symlink aliases the refusing answer was given under. */
type Tuple = [path: string, kind: number, mode: number, uid: number, gid: number, size: number, mtime: number | null, link: string | null, state: number, aliases?: readonly string[]];
/** Aliases a refusal may name (a path has few; the alias table bounds them). */
const MAX_ALIASES = 1024;

interface RecordingHeader {
  v: 1;
  blob: string;
  diffId: string;
  compressedSize: number;
  uncompressedSize: number;
  tarEntries: number;
  compression: string;
  count: number;
  entriesBytes: number;
  contentBytes: number;
  sha256: string;
}

/** The bytes of a recording; undefined when an entry cannot be written exactly (an unreadable mtime) or it is over the bounds. */
export function encodeRecording(recording: LayerRecording): Buffer | undefined {
  const tuples: Tuple[] = [];
  const contents: Buffer[] = [];
  let contentBytes = 0;
  for (const { entry, content, rejected, unselected } of recording.entries) {
    const mtime = entry.mtime === undefined ? null : entry.mtime.getTime();
    if (mtime !== null && !Number.isFinite(mtime)) return undefined;
    const state = content !== undefined ? BYTES : rejected ? REJECTED : NONE;
    if (content !== undefined) {
      contents.push(content);
      contentBytes += content.length;
    }
    const flags = state | (unselected ? UNSELECTED : 0);
    const tuple: Tuple = [entry.path, KINDS.indexOf(entry.kind), entry.mode, entry.uid, entry.gid, entry.size, mtime, entry.linkTarget ?? null, flags];
    if (state === REJECTED && rejected && rejected.length > 0) tuple.push(rejected);
    tuples.push(tuple);
  }
  const entries = Buffer.from(JSON.stringify(tuples));
  if (entries.length > MAX_ENTRIES_JSON_BYTES) return undefined;
  const hash = createHash('sha256').update(entries);
  for (const c of contents) hash.update(c);
  const header: RecordingHeader = {
    v: 1,
    blob: recording.blob,
    diffId: recording.diffId,
    compressedSize: recording.compressedSize,
    uncompressedSize: recording.uncompressedSize,
    tarEntries: recording.tarEntries,
    compression: recording.compression,
    count: tuples.length,
    entriesBytes: entries.length,
    contentBytes,
    sha256: hash.digest('hex'),
  };
  const head = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  return Buffer.concat([MAGIC, length, head, entries, ...contents]);
}

const count = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;

/**
 * The recording in `bytes` when it is whole, valid and for this blob and
 * diffID; undefined otherwise (a miss, never an error).
 */
export function decodeRecording(bytes: Buffer, blob: Digest, diffId: Digest): LayerRecording | undefined {
  try {
    return decode(bytes, blob, diffId);
  } catch {
    return undefined;
  }
}

function decode(bytes: Buffer, blob: Digest, diffId: Digest): LayerRecording | undefined {
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const headLength = bytes.readUInt32BE(MAGIC.length);
  const bodyStart = MAGIC.length + 4 + headLength;
  if (headLength > MAX_HEADER_BYTES || bodyStart > bytes.length) return undefined;
  const header: unknown = JSON.parse(bytes.subarray(MAGIC.length + 4, bodyStart).toString('utf8'));
  if (!isHeader(header) || header.blob !== blob || header.diffId !== diffId) return undefined;
  if (bodyStart + header.entriesBytes + header.contentBytes !== bytes.length) return undefined;
  const body = bytes.subarray(bodyStart);
  if (createHash('sha256').update(body).digest('hex') !== header.sha256) return undefined;
  const tuples: unknown = JSON.parse(body.subarray(0, header.entriesBytes).toString('utf8'));
  if (!Array.isArray(tuples) || tuples.length !== header.count) return undefined;
  const entries: RecordedEntry[] = [];
  let offset = header.entriesBytes;
  for (const tuple of tuples as unknown[]) {
    const recorded = entryOf(tuple);
    if (!recorded) return undefined;
    const out: RecordedEntry = { entry: recorded.entry };
    if (recorded.state === BYTES) {
      const end = offset + recorded.entry.size;
      if (end > body.length) return undefined;
      // A copy: the entry must not keep the whole file's buffer alive through a small view.
      out.content = Buffer.from(body.subarray(offset, end));
      offset = end;
    } else if (recorded.state === REJECTED) out.rejected = recorded.aliases;
    if (recorded.unselected) out.unselected = true;
    entries.push(out);
  }
  if (offset !== body.length) return undefined;
  return {
    blob,
    diffId,
    compressedSize: header.compressedSize,
    uncompressedSize: header.uncompressedSize,
    tarEntries: header.tarEntries,
    compression: header.compression as LayerCompression,
    entries,
  };
}

function isHeader(value: unknown): value is RecordingHeader {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Record<string, unknown>;
  return (
    h.v === 1 &&
    typeof h.blob === 'string' &&
    isDigest(h.blob) &&
    typeof h.diffId === 'string' &&
    isDigest(h.diffId) &&
    count(h.compressedSize) &&
    count(h.uncompressedSize) &&
    count(h.tarEntries) &&
    typeof h.compression === 'string' &&
    (COMPRESSIONS as readonly string[]).includes(h.compression) &&
    count(h.count, MAX_RECORDED_ENTRIES) &&
    count(h.entriesBytes, MAX_ENTRIES_JSON_BYTES) &&
    count(h.contentBytes, MAX_RECORDED_BYTES) &&
    typeof h.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(h.sha256)
  );
}

/** One tuple, rebuilt through the tar reader's checks; undefined when anything is off. */
function entryOf(tuple: unknown): { entry: LayerEntry; state: number; aliases: readonly string[]; unselected: boolean } | undefined {
  if (!Array.isArray(tuple) || tuple.length < 9 || tuple.length > 10) return undefined;
  const [path, kindIndex, mode, uid, gid, size, mtime, link, flags, marked] = tuple as unknown[];
  if (!count(flags, BYTES | UNSELECTED)) return undefined;
  const state = flags & ~UNSELECTED;
  const unselected = (flags & UNSELECTED) !== 0;
  const aliases = marked === undefined ? [] : marked;
  if (!Array.isArray(aliases) || aliases.length > MAX_ALIASES || !aliases.every((a) => typeof a === 'string')) return undefined;
  if (aliases.length > 0 && state !== REJECTED) return undefined;
  if (typeof path !== 'string' || !count(kindIndex, KINDS.length - 1) || !count(mode, 0o7777) || !count(uid) || !count(gid) || !count(size)) return undefined;
  if (mtime !== null && (typeof mtime !== 'number' || !Number.isFinite(mtime))) return undefined;
  if (link !== null && typeof link !== 'string') return undefined;
  if (state !== NONE && state !== REJECTED && state !== BYTES) return undefined;
  const kind = KINDS[kindIndex] as (typeof KINDS)[number];
  if (kind !== 'file' && (size !== 0 || flags !== NONE)) return undefined;
  if ((kind === 'symlink' || kind === 'hardlink') !== (link !== null)) return undefined;
  // tar-stream types mtime as always present; a tar without one gives none, and entryFromHeader reads it so.
  const header = { name: path, type: HEADER_TYPES[kind], mode, uid, gid, size, ...(mtime !== null ? { mtime: new Date(mtime) } : {}), ...(link !== null ? { linkname: link } : {}) } as Header;
  const entry = entryFromHeader(header, 'recorded layer');
  // Exactly what was written: a path or link target that normalises to something else was never recorded by us.
  if (!entry || entry.path !== path || (entry.linkTarget ?? null) !== link) return undefined;
  if (entry.whiteout ? kind !== 'other' || state !== NONE : entry.kind !== kind || entry.size !== size) return undefined;
  return { entry, state, aliases: aliases as string[], unselected };
}
