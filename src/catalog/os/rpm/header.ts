/**
 * The rpm header blob as stored in every rpmdb backend (no lead, no 8-byte
 * header magic): big-endian `il` (index entry count) and `dl` (data length),
 * `il` index entries of {tag, type, offset, count} (16 bytes each), then `dl`
 * bytes of data. Written from the file format description in rpm's
 * doc/manual/format_header.md and the tag numbers in rpmtag.h.
 *
 * Hostile input is expected: every offset and count is validated against the
 * data length before anything is read or allocated, string reads stop at the
 * end of the data, and limits follow rpm's own (at most 0xffff entries, at
 * most 256 MiB of data). A bad header yields an error string, never a throw.
 */
import { appendAll } from '../../../core/index.js';

export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  LICENSE: 1014,
  VENDOR: 1011,
  OLDFILENAMES: 1027,
  ARCH: 1022,
  SOURCERPM: 1044,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  MODULARITYLABEL: 5096,
} as const;

export const RPM_TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

const MAX_ENTRIES = 0xffff;
const MAX_DATA = 0x0fffffff;
const ENTRY_SIZE = 16;

interface Entry {
  readonly type: number;
  readonly offset: number;
  readonly count: number;
}

export class RpmHeader {
  private constructor(
    private readonly data: Buffer,
    private readonly entries: ReadonlyMap<number, Entry>,
  ) {}

  /** Parses a header blob; returns an error message for anything out of bounds. */
  static parse(blob: Uint8Array): RpmHeader | string {
    const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    if (buf.length < 8) return `header too short (${buf.length} bytes)`;
    const il = buf.readUInt32BE(0);
    const dl = buf.readUInt32BE(4);
    if (il === 0 || il > MAX_ENTRIES) return `header index count ${il} out of range`;
    if (dl > MAX_DATA) return `header data length ${dl} out of range`;
    const dataStart = 8 + il * ENTRY_SIZE;
    if (dataStart + dl > buf.length) {
      return `header claims ${il} entries and ${dl} data bytes but the blob has ${buf.length} bytes`;
    }
    const data = buf.subarray(dataStart, dataStart + dl);
    const entries = new Map<number, Entry>();
    for (let i = 0; i < il; i++) {
      const at = 8 + i * ENTRY_SIZE;
      const tag = buf.readInt32BE(at);
      const type = buf.readUInt32BE(at + 4);
      const offset = buf.readInt32BE(at + 8);
      const count = buf.readUInt32BE(at + 12);
      if (type > RPM_TYPE.I18NSTRING) return `entry ${i} (tag ${tag}): unknown type ${type}`;
      if (offset < 0 || offset > dl) return `entry ${i} (tag ${tag}): offset ${offset} outside data (${dl} bytes)`;
      if (count > dl) return `entry ${i} (tag ${tag}): count ${count} larger than the data (${dl} bytes)`;
      const size = fixedSize(type);
      if (size !== undefined && offset + size * count > dl) {
        return `entry ${i} (tag ${tag}): ${count} items of ${size} bytes at ${offset} overrun the data (${dl} bytes)`;
      }
      // Region tags (61–63) and other private tags below 100 describe layout, not content.
      if (tag < 100) continue;
      entries.set(tag, { type, offset, count }); // a later ("dribble") entry overrides an earlier one
    }
    return new RpmHeader(data, entries);
  }

  has(tag: number): boolean {
    return this.entries.has(tag);
  }

  /** A STRING or the first I18NSTRING / STRING_ARRAY item; undefined when absent or malformed. */
  string(tag: number): string | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    if (e.type !== RPM_TYPE.STRING && e.type !== RPM_TYPE.I18NSTRING && e.type !== RPM_TYPE.STRING_ARRAY) return undefined;
    return this.readStrings(e.offset, 1)?.[0];
  }

  /** A STRING_ARRAY / I18NSTRING (or a single STRING as one item); undefined when malformed. */
  strings(tag: number): string[] | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    if (e.type === RPM_TYPE.STRING) return this.readStrings(e.offset, 1);
    if (e.type !== RPM_TYPE.STRING_ARRAY && e.type !== RPM_TYPE.I18NSTRING) return undefined;
    return this.readStrings(e.offset, e.count);
  }

  /** INT32 values (bounds were checked at parse time). */
  int32s(tag: number): number[] | undefined {
    const e = this.entries.get(tag);
    if (!e || e.type !== RPM_TYPE.INT32) return undefined;
    const out = new Array<number>(e.count);
    for (let i = 0; i < e.count; i++) out[i] = this.data.readInt32BE(e.offset + i * 4);
    return out;
  }

  int32(tag: number): number | undefined {
    const e = this.entries.get(tag);
    if (!e || e.type !== RPM_TYPE.INT32 || e.count < 1) return undefined;
    return this.data.readInt32BE(e.offset);
  }

  private readStrings(offset: number, count: number): string[] | undefined {
    // Each string takes at least one byte (its NUL), so count ≤ remaining bytes.
    if (count > this.data.length - offset) return undefined;
    const out: string[] = [];
    let at = offset;
    for (let i = 0; i < count; i++) {
      const end = this.data.indexOf(0, at);
      if (end < 0) return undefined;
      out.push(this.data.toString('utf8', at, end));
      at = end + 1;
    }
    return out;
  }
}

function fixedSize(type: number): number | undefined {
  switch (type) {
    case RPM_TYPE.NULL:
      return 0;
    case RPM_TYPE.CHAR:
    case RPM_TYPE.INT8:
    case RPM_TYPE.BIN:
      return 1;
    case RPM_TYPE.INT16:
      return 2;
    case RPM_TYPE.INT32:
      return 4;
    case RPM_TYPE.INT64:
      return 8;
    default:
      return undefined;
  }
}

export interface RpmPackageInfo {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly epoch?: number;
  readonly arch?: string;
  readonly sourceRpm?: string;
  readonly license?: string;
  readonly vendor?: string;
  readonly modularityLabel?: string;
  readonly files: string[];
  /** A non-fatal problem with this header (e.g. an inconsistent file list). */
  readonly problem?: string;
}

/** The package fields of a header; an error string when NAME/VERSION/RELEASE are missing or the file list is inconsistent. */
export function packageInfo(header: RpmHeader): RpmPackageInfo | string {
  const name = header.string(RPMTAG.NAME);
  const version = header.string(RPMTAG.VERSION);
  const release = header.string(RPMTAG.RELEASE);
  if (!name) return 'header without NAME';
  if (version === undefined || release === undefined) return `package "${name}": header without VERSION or RELEASE`;
  const files: string[] = [];
  let problem: string | undefined;
  const basenames = header.strings(RPMTAG.BASENAMES);
  if (basenames) {
    const dirnames = header.strings(RPMTAG.DIRNAMES);
    const dirindexes = header.int32s(RPMTAG.DIRINDEXES);
    if (!dirnames || !dirindexes || dirindexes.length !== basenames.length) {
      problem = `package "${name}": inconsistent file list (BASENAMES/DIRNAMES/DIRINDEXES), files ignored`;
    } else {
      for (let i = 0; i < basenames.length; i++) {
        const d = dirindexes[i]!;
        if (d < 0 || d >= dirnames.length) {
          problem = `package "${name}": DIRINDEXES entry ${d} out of range, files ignored`;
          files.length = 0;
          break;
        }
        files.push(dirnames[d]! + basenames[i]!);
      }
    }
  } else {
    const old = header.strings(RPMTAG.OLDFILENAMES);
    if (old) appendAll(files, old);
  }
  const epoch = header.int32(RPMTAG.EPOCH);
  const info: RpmPackageInfo = {
    name,
    version,
    release,
    ...(epoch !== undefined ? { epoch } : {}),
    ...optional('arch', header.string(RPMTAG.ARCH)),
    ...optional('sourceRpm', header.string(RPMTAG.SOURCERPM)),
    ...optional('license', header.string(RPMTAG.LICENSE)),
    ...optional('vendor', header.string(RPMTAG.VENDOR)),
    ...optional('modularityLabel', header.string(RPMTAG.MODULARITYLABEL)),
    files,
    ...(problem ? { problem } : {}),
  };
  return info;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value ? { [key]: value } : {}) as { [P in K]?: string };
}

/** `name-version-release.src.rpm` → name and `version-release`. */
export function parseSourceRpm(value: string): { name: string; version: string } | undefined {
  const base = value.replace(/\.(no)?src\.rpm$/, '');
  if (base === value) return undefined;
  const r = base.lastIndexOf('-');
  if (r <= 0) return undefined;
  const v = base.lastIndexOf('-', r - 1);
  if (v <= 0) return undefined;
  return { name: base.slice(0, v), version: base.slice(v + 1) };
}
