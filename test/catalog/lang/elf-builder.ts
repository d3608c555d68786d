/**
 * Builds small, well-formed ELF files for tests (32/64-bit, either byte
 * order): one PT_LOAD segment mapping the whole file at `base`, the given
 * sections, and a section-name table. A section's address is `base + its
 * file offset`; `sectionOffset(i)` tells a caller where section i will be
 * before building, so section contents may hold pointers into the file.
 */
export interface ElfSpec {
  bits: 32 | 64;
  littleEndian: boolean;
  base: number;
  sections: Array<{ name: string; data: Uint8Array }>;
}

const align = (n: number, a = 16): number => Math.ceil(n / a) * a;

export function headerSize(bits: 32 | 64): number {
  return bits === 64 ? 64 + 56 : 52 + 32;
}

/** File offset of section i, given the sizes of sections before it. */
export function sectionOffset(bits: 32 | 64, sizes: readonly number[], i: number): number {
  let off = align(headerSize(bits));
  for (let k = 0; k < i; k++) off = align(off + (sizes[k] ?? 0));
  return off;
}

export function buildElf(spec: ElfSpec): Buffer {
  const { bits, littleEndian: le, base } = spec;
  const names = ['', ...spec.sections.map((s) => s.name), '.shstrtab'];
  const nameOffsets: number[] = [];
  let strtab = '';
  for (const n of names) {
    nameOffsets.push(strtab.length);
    strtab += `${n}\0`;
  }
  const strBytes = Buffer.from(strtab, 'latin1');
  const all = [...spec.sections.map((s) => s.data), strBytes];
  const offsets = all.map((_, i) => sectionOffset(bits, all.map((d) => d.length), i));
  const shoff = align((offsets[offsets.length - 1] ?? 0) + strBytes.length, 8);
  const shentsize = bits === 64 ? 64 : 40;
  const shnum = all.length + 1;
  const total = shoff + shnum * shentsize;
  const buf = Buffer.alloc(total);
  const w16 = (o: number, v: number) => (le ? buf.writeUInt16LE(v, o) : buf.writeUInt16BE(v, o));
  const w32 = (o: number, v: number) => (le ? buf.writeUInt32LE(v, o) : buf.writeUInt32BE(v, o));
  const w64 = (o: number, v: number) => (le ? buf.writeBigUInt64LE(BigInt(v), o) : buf.writeBigUInt64BE(BigInt(v), o));
  buf.set([0x7f, 0x45, 0x4c, 0x46, bits === 64 ? 2 : 1, le ? 1 : 2, 1], 0);
  w16(16, 2); // ET_EXEC
  w16(18, bits === 64 ? 62 : 8); // x86-64 / MIPS
  w32(20, 1);
  if (bits === 64) {
    w64(24, base);
    w64(32, 64); // phoff
    w64(40, shoff);
    w16(52, 64);
    w16(54, 56);
    w16(56, 1);
    w16(58, 64);
    w16(60, shnum);
    w16(62, shnum - 1);
    // PT_LOAD
    w32(64, 1);
    w32(68, 5);
    w64(72, 0);
    w64(80, base);
    w64(88, base);
    w64(96, total);
    w64(104, total);
    w64(112, 0x1000);
  } else {
    w32(24, base);
    w32(28, 52);
    w32(32, shoff);
    w16(40, 52);
    w16(42, 32);
    w16(44, 1);
    w16(46, 40);
    w16(48, shnum);
    w16(50, shnum - 1);
    w32(52, 1);
    w32(56, 0);
    w32(60, base);
    w32(64, base);
    w32(68, total);
    w32(72, total);
    w32(76, 5);
    w32(80, 0x1000);
  }
  all.forEach((data, i) => {
    buf.set(data, offsets[i] ?? 0);
    const sh = shoff + (i + 1) * shentsize;
    const isStr = i === all.length - 1;
    w32(sh, nameOffsets[i + 1] ?? 0);
    w32(sh + 4, isStr ? 3 : 1); // SHT_STRTAB / SHT_PROGBITS
    if (bits === 64) {
      w64(sh + 8, isStr ? 0 : 3);
      w64(sh + 16, isStr ? 0 : base + (offsets[i] ?? 0));
      w64(sh + 24, offsets[i] ?? 0);
      w64(sh + 32, data.length);
      w64(sh + 48, 16);
    } else {
      w32(sh + 8, isStr ? 0 : 3);
      w32(sh + 12, isStr ? 0 : base + (offsets[i] ?? 0));
      w32(sh + 16, offsets[i] ?? 0);
      w32(sh + 20, data.length);
      w32(sh + 32, 16);
    }
  });
  return buf;
}
