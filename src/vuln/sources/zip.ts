/**
 * Reading a zip file on disk entry by entry through its central directory
 * (PKWARE APPNOTE 4.3.12–4.3.16, with the ZIP64 end records and extra
 * fields of 4.3.14/4.5.3), inflating each entry with Node's native zlib.
 * OSV's `all.zip` files hold tens of thousands of small entries; reading them
 * this way costs a seek and one native inflate per entry, where a streaming
 * unzip in JavaScript scans and copies the stream around every entry.
 *
 * Written by hand although yauzl reads zips the same way (central
 * directory, random access, native inflate): it reads each directory record
 * and each entry through asynchronous reads and a stream per entry, which on
 * an OSV-like all.zip of 41,150 entries costs 6.5 s against our 0.3 s (21×),
 * 1.2 s against 9 ms for the central directory alone (bench/zip.ts, figures
 * in bench/README.md); the largest OSV ecosystems have several times as many
 * entries, and `db update` reads them all.
 *
 * Only what the importers need: stored and deflated entries, no encryption,
 * no multi-disk archives. A file without a readable central directory
 * (truncated, say) is streamed instead with fflate's `Unzip`, which yields
 * every entry it can read.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { checkAborted, messageOf } from './source.js';

export interface ZipEntryInfo {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

export type ZipEntry = { readonly name: string; readonly data: Buffer } | { readonly name: string; readonly error: string };

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The end record is 22 bytes plus a comment of at most 65,535. */
const MAX_TAIL = 22 + 0xffff;
/** One advisory record is a few KiB; anything near this is not an advisory (a zip bomb, a wrong file). */
const MAX_ENTRY_BYTES = 64 * 1024 * 1024;
const WINDOW_BYTES = 1 << 20;

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** The central directory's entries, or undefined when it cannot be found or read. */
function centralDirectory(fd: number, fileSize: number): ZipEntryInfo[] | undefined {
  const tailLength = Math.min(fileSize, MAX_TAIL);
  const tail = readAt(fd, fileSize - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locatorAt = eocd - 20;
    if (locatorAt < 0 || tail.readUInt32LE(locatorAt) !== ZIP64_LOCATOR) return undefined;
    const recordOffset = Number(tail.readBigUInt64LE(locatorAt + 8));
    const record = readAt(fd, recordOffset, 56);
    if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD) return undefined;
    count = Number(record.readBigUInt64LE(32));
    cdSize = Number(record.readBigUInt64LE(40));
    cdOffset = Number(record.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > fileSize) return undefined;
  const cd = readAt(fd, cdOffset, cdSize);
  const entries: ZipEntryInfo[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) return undefined;
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLength);
    // Bit 11: UTF-8 names; otherwise CP437, which is ASCII for every name OSV uses.
    const name = nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1');
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      const extra = cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength);
      for (let e = 0; e + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(e);
        const len = extra.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff && q + 8 <= e + 4 + len) (size = Number(extra.readBigUInt64LE(q))), (q += 8);
          if (compressedSize === 0xffffffff && q + 8 <= e + 4 + len) (compressedSize = Number(extra.readBigUInt64LE(q))), (q += 8);
          if (localHeaderOffset === 0xffffffff && q + 8 <= e + 4 + len) localHeaderOffset = Number(extra.readBigUInt64LE(q));
        }
        e += 4 + len;
      }
    }
    entries.push({ name, method, flags, compressedSize, size, localHeaderOffset });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

export interface ZipReader {
  readonly entries: readonly ZipEntryInfo[];
  /** The entry's bytes, or an error message (unsupported method, encrypted, damaged). */
  read(entry: ZipEntryInfo): ZipEntry;
  close(): void;
}

/** Opens `path` by its central directory; undefined when it has none that can be read. */
export function openZip(path: string): ZipReader | undefined {
  const fd = openSync(path, 'r');
  let entries: ZipEntryInfo[] | undefined;
  try {
    entries = centralDirectory(fd, fstatSync(fd).size);
  } catch {
    entries = undefined;
  }
  if (!entries) {
    closeSync(fd);
    return undefined;
  }
  // Entries lie one after the other: read the file a window at a time rather than twice per entry.
  let window: Buffer = Buffer.alloc(0);
  let windowStart = 0;
  const bytes = (position: number, length: number): Buffer => {
    if (position < windowStart || position + length > windowStart + window.length) {
      window = readAt(fd, position, Math.max(length, WINDOW_BYTES));
      windowStart = position;
    }
    const from = position - windowStart;
    return window.subarray(from, Math.min(from + length, window.length));
  };
  return {
    entries,
    read(entry: ZipEntryInfo): ZipEntry {
      const name = entry.name;
      // Hostile archives: never allocate or inflate past the cap, whatever the directory claims.
      if (entry.size > MAX_ENTRY_BYTES || entry.compressedSize > MAX_ENTRY_BYTES) {
        return { name, error: `entry of ${Math.max(entry.size, entry.compressedSize)} bytes is over the ${MAX_ENTRY_BYTES}-byte limit` };
      }
      if (entry.flags & 0x1) return { name, error: 'encrypted entry' };
      if (entry.method !== 0 && entry.method !== 8) return { name, error: `unknown compression type ${entry.method}` };
      const header = bytes(entry.localHeaderOffset, 30);
      if (header.length < 30 || header.readUInt32LE(0) !== LOCAL) return { name, error: 'invalid zip data' };
      const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
      const raw = bytes(start, entry.compressedSize);
      if (raw.length !== entry.compressedSize) return { name, error: 'unexpected EOF' };
      let data: Buffer;
      try {
        data = entry.method === 0 ? Buffer.from(raw) : inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) });
      } catch (error) {
        return { name, error: (error as Error).message };
      }
      if (data.length !== entry.size) return { name, error: `inflated to ${data.length} bytes, the directory says ${entry.size}` };
      return { name, data };
    },
    close(): void {
      closeSync(fd);
    },
  };
}

/**
 * The entries of the zip at `path` whose names `want` accepts, in order, each
 * with its bytes or why it cannot be read; one entry in memory at a time.
 */
export async function* zipEntries(path: string, want: (name: string) => boolean, signal?: AbortSignal): AsyncGenerator<ZipEntry> {
  const zip = openZip(path);
  if (!zip) {
    yield* streamEntries(path, want, signal);
    return;
  }
  try {
    for (const info of zip.entries) {
      if (!want(info.name)) continue;
      checkAborted(signal);
      yield zip.read(info);
    }
  } finally {
    zip.close();
  }
}

/** The streaming reader for zips without a readable central directory. */
async function* streamEntries(path: string, want: (name: string) => boolean, signal?: AbortSignal): AsyncGenerator<ZipEntry> {
  const done: ZipEntry[] = [];
  const errors: ZipEntry[] = [];
  const unzip = new Unzip((file: UnzipFile) => {
    if (!want(file.name)) return;
    const parts: Uint8Array[] = [];
    let size = 0;
    file.ondata = (err, data, final) => {
      if (err) {
        errors.push({ name: file.name, error: err.message });
        return;
      }
      parts.push(data);
      size += data.length;
      if (final) {
        const out = Buffer.alloc(size);
        let o = 0;
        for (const p of parts) {
          out.set(p, o);
          o += p.length;
        }
        done.push({ name: file.name, data: out });
      }
    };
    try {
      file.start();
    } catch (error) {
      errors.push({ name: file.name, error: messageOf(error) });
    }
  });
  unzip.register(UnzipInflate);
  const drain = function* (): Generator<ZipEntry> {
    while (errors.length > 0) yield errors.shift()!;
    while (done.length > 0) yield done.shift()!;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16 })) {
    checkAborted(signal);
    unzip.push(chunk as Uint8Array, false);
    yield* drain();
  }
  unzip.push(new Uint8Array(0), true);
  yield* drain();
}
