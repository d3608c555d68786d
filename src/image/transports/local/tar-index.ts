/**
 * Random access to a plain (uncompressed) tar file without extracting it.
 *
 * Why not tar-stream here: tar-stream's extractor is a forward-only stream
 * that must be fed every byte of every entry, so serving one blob would mean
 * reading (and discarding) the whole archive up to it, again for each blob.
 * Since oci-archive and docker-archive files are plain tars, we read only the
 * 512-byte headers with positioned reads, skip over the contents with
 * arithmetic, and remember name → (offset, size). A blob is then served with
 * `fs.createReadStream(file, {start, end})`: one seek, bounded memory, no temp
 * files. Understands ustar, GNU long names (`L`/`K`) and PAX headers (`x`,
 * `g`), and base-256 sizes. Every name is checked by normaliseArchivePath.
 */
import { constants, createReadStream, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { ImageError } from '../../errors.js';
import { fsError, openRegular, READ_CHUNK_BYTES } from './files.js';
import { normaliseArchivePath, printable, resolveLinkTarget } from './paths.js';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** Normalised archive path. */
  readonly name: string;
  readonly type: TarEntryType;
  /** Offset of the first content byte in the file. */
  readonly offset: number;
  readonly size: number;
  /** Symlink target as written, or hard-link target (an archive path). */
  readonly linkname?: string;
}

const BLOCK = 512;
/** Entries we are willing to index; real image archives have a few hundred at most. */
const MAX_ENTRIES = 200_000;
/** Long-name and PAX header bodies we are willing to read. */
const MAX_META_BYTES = 1 << 20;
/** Links followed before we call it a loop (Linux uses 40). */
const MAX_LINK_HOPS = 40;

/** O_RDONLY | O_NONBLOCK: Node takes numeric open flags, @types/node types `flags` as a string. */
const NONBLOCKING_READ = (constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)) as unknown as string;

export class TarIndex {
  private constructor(
    readonly file: string,
    /** What to call the archive in messages, e.g. `docker-archive /x.tar`. */
    readonly what: string,
    private readonly entries: Map<string, TarEntry>,
  ) {}

  /** Scans the headers of `file` once. Throws NOT_FOUND, ARCHIVE_INVALID, ARCHIVE_TRUNCATED, UNSAFE_PATH. */
  static async open(file: string, what: string): Promise<TarIndex> {
    // A FIFO or device named as the archive is refused here instead of blocking (FILE_NOT_REGULAR).
    const { handle, stats: stat } = await openRegular(file, what);
    try {
      return new TarIndex(file, what, await scan(handle, stat.size, what));
    } catch (error) {
      throw fsError(error, what);
    } finally {
      await handle.close();
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The entry as stored (links not followed). */
  entry(name: string): TarEntry | undefined {
    return this.entries.get(name);
  }

  /**
   * The regular file `name` designates, following symlinks and hard links
   * inside the archive; undefined when nothing is there. Throws SYMLINK_LOOP
   * and UNSAFE_PATH.
   */
  find(name: string): TarEntry | undefined {
    let current = normaliseArchivePath(name, this.what);
    const seen = new Set<string>();
    for (let hops = 0; ; hops++) {
      const entry = this.entries.get(current);
      if (!entry) return undefined;
      if (entry.type === 'file') return entry;
      if (entry.type !== 'symlink' && entry.type !== 'hardlink') {
        throw new ImageError('ARCHIVE_INVALID', `${this.what}: "${printable(current)}" is not a regular file`);
      }
      if (seen.has(current) || hops >= MAX_LINK_HOPS) {
        throw new ImageError('SYMLINK_LOOP', `${this.what}: symlink loop at "${printable(name)}"`);
      }
      seen.add(current);
      const target = entry.linkname ?? '';
      current =
        entry.type === 'symlink' ? resolveLinkTarget(current, target, this.what) : normaliseArchivePath(target, this.what);
    }
  }

  /** Like find, but a missing entry is NOT_FOUND. */
  get(name: string): TarEntry {
    const entry = this.find(name);
    if (!entry) throw new ImageError('NOT_FOUND', `${this.what} has no "${printable(name)}"`);
    return entry;
  }

  /**
   * A stream of the entry's bytes (or a sub-range of them). Opened again by
   * name, with O_NONBLOCK: should a FIFO have been put in the archive's place
   * since open(), the read fails or comes up short (and the digest check
   * says so) instead of blocking.
   */
  stream(entry: TarEntry, from = 0, length = entry.size - from): Readable {
    if (length <= 0) return Readable.from([]);
    return createReadStream(this.file, {
      flags: NONBLOCKING_READ,
      start: entry.offset + from,
      end: entry.offset + from + length - 1,
      highWaterMark: READ_CHUNK_BYTES,
    });
  }

  /** Reads a small entry whole, refusing one over `maxBytes`. */
  async read(entry: TarEntry, maxBytes: number): Promise<Buffer> {
    if (entry.size > maxBytes) {
      throw new ImageError('ARCHIVE_INVALID', `${this.what}: "${printable(entry.name)}" is ${entry.size} bytes, over the ${maxBytes}-byte limit`);
    }
    const { handle } = await openRegular(this.file, this.what);
    try {
      const buffer = Buffer.alloc(entry.size);
      const { bytesRead } = await handle.read(buffer, 0, entry.size, entry.offset);
      if (bytesRead !== entry.size) throw new ImageError('ARCHIVE_TRUNCATED', `${this.what} changed while being read`);
      return buffer;
    } finally {
      await handle.close();
    }
  }

  /** The first bytes of an entry (fewer when it is shorter). */
  async head(entry: TarEntry, count: number): Promise<Buffer> {
    const { handle } = await openRegular(this.file, this.what);
    try {
      const want = Math.min(count, entry.size);
      const buffer = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buffer, 0, want, entry.offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
}

interface PendingMeta {
  path?: string;
  linkpath?: string;
  size?: number;
}

async function scan(handle: fs.FileHandle, fileSize: number, what: string): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const header = Buffer.alloc(BLOCK);
  let pos = 0;
  let global: PendingMeta = {};
  let pending: PendingMeta = {};
  let count = 0;
  for (;;) {
    const { bytesRead } = await handle.read(header, 0, BLOCK, pos);
    if (bytesRead === 0 && pos > 0) {
      // Some writers omit the end-of-archive blocks; accept a clean end at an entry boundary.
      return entries;
    }
    if (bytesRead < BLOCK) {
      if (pos === 0) throw new ImageError('ARCHIVE_INVALID', `${what} is not a tar archive (too short)`);
      throw new ImageError('ARCHIVE_TRUNCATED', `${what} is truncated: partial header at offset ${pos}`);
    }
    if (isZeroBlock(header)) return entries;
    if (!checksumOk(header)) {
      if (pos === 0) throw new ImageError('ARCHIVE_INVALID', `${what} is not a tar archive`);
      throw new ImageError('ARCHIVE_INVALID', `${what} has a corrupt tar header at offset ${pos}`);
    }
    if (++count > MAX_ENTRIES) throw new ImageError('ARCHIVE_INVALID', `${what} has more than ${MAX_ENTRIES} entries`);
    const typeflag = String.fromCharCode(header[156] ?? 0);
    let size = pending.size ?? global.size ?? parseNumeric(header.subarray(124, 136), what, pos);
    const dataStart = pos + BLOCK;
    if (typeflag === '1' || typeflag === '2' || typeflag === '5') size = 0;
    const next = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (dataStart + size > fileSize) {
      throw new ImageError('ARCHIVE_TRUNCATED', `${what} is truncated: an entry at offset ${pos} needs ${size} bytes, the file ends first`);
    }

    if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
      if (size > MAX_META_BYTES) throw new ImageError('ARCHIVE_INVALID', `${what}: oversized metadata header at offset ${pos}`);
      const body = Buffer.alloc(size);
      await handle.read(body, 0, size, dataStart);
      if (typeflag === 'L') pending.path = cString(body);
      else if (typeflag === 'K') pending.linkpath = cString(body);
      else if (typeflag === 'x') pending = { ...pending, ...parsePax(body, what) };
      else global = { ...global, ...parsePax(body, what) };
      pos = next;
      continue;
    }

    let rawName = pending.path ?? global.path;
    if (rawName === undefined) {
      rawName = cString(header.subarray(0, 100));
      const magic = header.subarray(257, 263).toString('latin1');
      if (magic === 'ustar\0') {
        const prefix = cString(header.subarray(345, 500));
        if (prefix !== '') rawName = `${prefix}/${rawName}`;
      }
    }
    const linkname = pending.linkpath ?? global.linkpath ?? cString(header.subarray(157, 257));
    pending = {};
    const name = normaliseArchivePath(rawName, what);
    const type: TarEntryType =
      typeflag === '0' || typeflag === '\0' || typeflag === '7'
        ? 'file'
        : typeflag === '5'
          ? 'directory'
          : typeflag === '2'
            ? 'symlink'
            : typeflag === '1'
              ? 'hardlink'
              : 'other';
    if (type === 'hardlink') normaliseArchivePath(linkname, what);
    if (name !== '') {
      const entry: TarEntry = type === 'symlink' || type === 'hardlink' ? { name, type, offset: dataStart, size, linkname } : { name, type, offset: dataStart, size };
      entries.set(name, entry);
    }
    pos = next;
  }
}

function isZeroBlock(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

function checksumOk(header: Buffer): boolean {
  const stored = parseOctal(header.subarray(148, 156));
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

function parseOctal(field: Buffer): number | undefined {
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

function parseNumeric(field: Buffer, what: string, pos: number): number {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    // base-256 (GNU): big-endian two's complement in the remaining bytes
    if (first & 0x40) throw new ImageError('ARCHIVE_INVALID', `${what}: negative size in the header at offset ${pos}`);
    let value = first & 0x3f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + (field[i] ?? 0);
      if (!Number.isSafeInteger(value)) throw new ImageError('ARCHIVE_INVALID', `${what}: size too large at offset ${pos}`);
    }
    return value;
  }
  const value = parseOctal(field);
  if (value === undefined) throw new ImageError('ARCHIVE_INVALID', `${what}: bad size field in the header at offset ${pos}`);
  return value;
}

function cString(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return (nul >= 0 ? bytes.subarray(0, nul) : bytes).toString('utf8');
}

function parsePax(body: Buffer, what: string): PendingMeta {
  const out: PendingMeta = {};
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(body.subarray(at, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > body.length) {
      if (body.subarray(at).every((b) => b === 0)) break;
      throw new ImageError('ARCHIVE_INVALID', `${what}: malformed PAX header`);
    }
    const record = body.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) {
      const key = record.slice(0, eq);
      const value = record.slice(eq + 1);
      if (key === 'path') out.path = value;
      else if (key === 'linkpath') out.linkpath = value;
      else if (key === 'size') {
        const size = Number(value);
        if (!Number.isSafeInteger(size) || size < 0) throw new ImageError('ARCHIVE_INVALID', `${what}: bad PAX size`);
        out.size = size;
      }
    }
    at += length;
  }
  return out;
}
