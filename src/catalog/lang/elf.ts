/**
 * A minimal, bounds-checked ELF reader over bytes: section headers (with
 * names), program headers, section data and reads at virtual addresses via
 * PT_LOAD segments. 32/64-bit, little/big endian. Every offset, size and
 * count read from the file is checked against the buffer before use; data is
 * returned as subarrays (no copies), so a hostile header can never cause a
 * large allocation. Damage throws LangCatalogError('ELF_INVALID').
 *
 * Also the path heuristic used by the binary cataloguers (go-binary, cargo
 * auditable) to decide which files may be executables.
 */
import { LangCatalogError } from './errors.js';

export interface ElfSection {
  readonly name: string;
  readonly type: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
}

export interface ElfProgram {
  readonly type: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
}

export interface ElfFile {
  readonly bits: 32 | 64;
  readonly littleEndian: boolean;
  readonly sections: readonly ElfSection[];
  readonly programs: readonly ElfProgram[];
  readonly bytes: Uint8Array;
}

export const PT_LOAD = 1;
const SHT_NOBITS = 8;
/** More section or program headers than this is damage, not a real binary. */
const MAX_HEADERS = 1 << 16;

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

function fail(message: string): never {
  throw new LangCatalogError('ELF_INVALID', message);
}

/** Reads unsigned integers with bounds checks; 64-bit values must fit in a safe integer. */
export class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private check(offset: number, size: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > this.bytes.length) {
      fail(`read of ${size} bytes at ${offset} is outside the ${this.bytes.length}-byte file`);
    }
  }
  u8(offset: number): number {
    this.check(offset, 1);
    return this.view.getUint8(offset);
  }
  u16(offset: number): number {
    this.check(offset, 2);
    return this.view.getUint16(offset, this.littleEndian);
  }
  u32(offset: number): number {
    this.check(offset, 4);
    return this.view.getUint32(offset, this.littleEndian);
  }
  u64(offset: number): number {
    this.check(offset, 8);
    const v = this.view.getBigUint64(offset, this.littleEndian);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`64-bit value at ${offset} is too large`);
    return Number(v);
  }
  word(offset: number, bits: 32 | 64): number {
    return bits === 64 ? this.u64(offset) : this.u32(offset);
  }
}

/** Bytes [offset, offset+size) of the buffer, or an error when outside it. */
export function slice(bytes: Uint8Array, offset: number, size: number, what: string): Uint8Array {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > bytes.length) {
    fail(`${what} (${size} bytes at ${offset}) is outside the ${bytes.length}-byte file`);
  }
  return bytes.subarray(offset, offset + size);
}

export function parseElf(bytes: Uint8Array): ElfFile {
  if (!isElf(bytes)) fail('not an ELF file');
  if (bytes.length < 52) fail('ELF header truncated');
  const cls = bytes[4];
  const data = bytes[5];
  if (cls !== 1 && cls !== 2) fail(`bad ELF class ${String(cls)}`);
  if (data !== 1 && data !== 2) fail(`bad ELF data encoding ${String(data)}`);
  const bits: 32 | 64 = cls === 2 ? 64 : 32;
  const r = new Reader(bytes, data === 1);
  const is64 = bits === 64;
  if (is64 && bytes.length < 64) fail('ELF header truncated');
  const phoff = r.word(is64 ? 32 : 28, bits);
  const shoff = r.word(is64 ? 40 : 32, bits);
  const phentsize = r.u16(is64 ? 54 : 42);
  let phnum = r.u16(is64 ? 56 : 44);
  const shentsize = r.u16(is64 ? 58 : 46);
  let shnum = r.u16(is64 ? 60 : 48);
  let shstrndx = r.u16(is64 ? 62 : 50);

  const minSh = is64 ? 64 : 40;
  const minPh = is64 ? 56 : 32;
  // Extended numbering: counts that do not fit in 16 bits live in section 0.
  if (shoff !== 0 && shentsize >= minSh && shoff + shentsize <= bytes.length) {
    if (shnum === 0) shnum = r.word(shoff + (is64 ? 32 : 20), bits);
    if (shstrndx === 0xffff) shstrndx = r.u32(shoff + (is64 ? 44 : 28));
    if (phnum === 0xffff) phnum = r.u32(shoff + (is64 ? 44 : 28) - 4);
  }

  const programs: ElfProgram[] = [];
  if (phoff !== 0 && phnum > 0) {
    if (phentsize < minPh) fail(`program header entry size ${phentsize} too small`);
    if (phnum > MAX_HEADERS || phoff + phnum * phentsize > bytes.length) fail('program headers outside the file');
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      programs.push(
        is64
          ? { type: r.u32(o), offset: r.u64(o + 8), vaddr: r.u64(o + 16), filesz: r.u64(o + 32), memsz: r.u64(o + 40) }
          : { type: r.u32(o), offset: r.u32(o + 4), vaddr: r.u32(o + 8), filesz: r.u32(o + 16), memsz: r.u32(o + 20) },
      );
    }
  }

  const sections: ElfSection[] = [];
  if (shoff !== 0 && shnum > 0) {
    if (shentsize < minSh) fail(`section header entry size ${shentsize} too small`);
    if (shnum > MAX_HEADERS || shoff + shnum * shentsize > bytes.length) fail('section headers outside the file');
    const raw: Array<Omit<ElfSection, 'name'> & { nameOff: number }> = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      raw.push(
        is64
          ? { nameOff: r.u32(o), type: r.u32(o + 4), addr: r.u64(o + 16), offset: r.u64(o + 24), size: r.u64(o + 32) }
          : { nameOff: r.u32(o), type: r.u32(o + 4), addr: r.u32(o + 12), offset: r.u32(o + 16), size: r.u32(o + 20) },
      );
    }
    const strtab = raw[shstrndx];
    const names = strtab && strtab.type !== SHT_NOBITS ? slice(bytes, strtab.offset, strtab.size, 'section name table') : undefined;
    for (const s of raw) {
      let name = '';
      if (names && s.nameOff < names.length) {
        let end = names.indexOf(0, s.nameOff);
        if (end < 0) end = names.length;
        name = Buffer.from(names.buffer, names.byteOffset + s.nameOff, Math.min(end - s.nameOff, 256)).toString('latin1');
      }
      sections.push({ name, type: s.type, addr: s.addr, offset: s.offset, size: s.size });
    }
  }
  return { bits, littleEndian: data === 1, sections, programs, bytes };
}

/** The named section's bytes (a subarray), undefined when absent; damage when it points outside the file. */
export function sectionData(elf: ElfFile, name: string): Uint8Array | undefined {
  const s = elf.sections.find((x) => x.name === name);
  if (!s || s.type === SHT_NOBITS) return undefined;
  return slice(elf.bytes, s.offset, s.size, `section ${name}`);
}

/**
 * Up to `size` bytes at virtual address `addr`, from the PT_LOAD segment (or,
 * lacking program headers, the allocated section) that holds it in the file.
 * Undefined when no segment covers the address.
 */
export function readAtAddress(elf: ElfFile, addr: number, size: number): Uint8Array | undefined {
  const ranges: Array<{ vaddr: number; offset: number; filesz: number }> = elf.programs
    .filter((p) => p.type === PT_LOAD)
    .map((p) => ({ vaddr: p.vaddr, offset: p.offset, filesz: p.filesz }));
  if (ranges.length === 0) {
    for (const s of elf.sections) if (s.addr !== 0 && s.type !== SHT_NOBITS) ranges.push({ vaddr: s.addr, offset: s.offset, filesz: s.size });
  }
  for (const p of ranges) {
    if (addr >= p.vaddr && addr < p.vaddr + p.filesz) {
      const delta = addr - p.vaddr;
      const n = Math.min(size, p.filesz - delta);
      return slice(elf.bytes, p.offset + delta, n, `data at address 0x${addr.toString(16)}`);
    }
  }
  return undefined;
}

/** Folders whose files are documentation, configuration or data, never programs. */
const NOT_BINARIES =
  /^(?:usr\/share|usr\/include|etc|var\/lib\/(?:dpkg|apt|rpm|apk)|var\/cache|var\/log|proc|sys|dev|usr\/lib\/python[^/]*|usr\/lib\/jvm\/[^/]+\/(?:legal|man))\//;
const NOT_BINARY_NAMES = /^(?:README|LICENSE|LICENCE|COPYING|NOTICE|AUTHORS|CHANGELOG|Makefile|Dockerfile|VERSION)(?:\..*)?$/i;

/**
 * Whether a path may be an executable, by path alone: anything in a `bin`,
 * `sbin` or `libexec` folder, and any file without an extension outside data
 * folders (Go and Rust programs in images often sit at `/app`, `/manager`,
 * `/ko-app/x`, `/usr/local/bin/x`, `/opt/x/x`). Cheap; the parsers check the
 * ELF magic first, so a wrong guess only costs reading the file.
 */
export function mayBeExecutable(path: string, info?: { mode: number; size: number }): boolean {
  if (info !== undefined) return (info.mode & 0o111) !== 0 && info.size >= 64;
  if (NOT_BINARIES.test(path) || /(?:^|\/)node_modules\//.test(path)) return false;
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  if (NOT_BINARY_NAMES.test(base)) return false;
  if (/(?:^|\/)(?:s?bin|libexec)\//.test(path)) return true;
  return !base.includes('.') && base !== '';
}
