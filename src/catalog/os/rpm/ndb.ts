/**
 * rpm's NDB backend (`Packages.db`, SUSE since 2021): hand-written, as no
 * JavaScript library reads it. Layout (little-endian), from rpm's
 * lib/backend/ndb design: a 32-byte file header {magic "RpmP", version,
 * generation, slot page count, next package index}; slot pages follow
 * (4096 bytes each, the header occupying the first two 16-byte slots), each
 * slot {magic "Slot", package index (0 = free), block offset, block count}
 * in 16-byte blocks; each blob starts with {magic "BlbS", package index,
 * generation, length} followed by the header blob. Checksums in the blob
 * tail are not verified (the header parser bounds-checks the blob itself).
 */

const PKGDB_MAGIC = 0x506d7052; // 'RpmP' little-endian
const SLOT_MAGIC = 0x746f6c53; // 'Slot'
const BLOBHEAD_MAGIC = 0x53626c42; // 'BlbS'
const HEADER_SIZE = 32;
const SLOT_SIZE = 16;
const BLK_SIZE = 16;
const PAGE_SIZE = 4096;
const BLOBHEAD_SIZE = 16;

export function isNdb(content: Buffer): boolean {
  return content.length >= HEADER_SIZE && content.readUInt32LE(0) === PKGDB_MAGIC;
}

export function readNdb(content: Buffer): { blobs: Buffer[]; warnings: string[]; error?: string } {
  const warnings: string[] = [];
  if (!isNdb(content)) return { blobs: [], warnings, error: 'not an NDB Packages.db' };
  const version = content.readUInt32LE(4);
  if (version !== 0) return { blobs: [], warnings, error: `unsupported NDB version ${version}` };
  const slotPages = content.readUInt32LE(12);
  const slotBytes = slotPages * PAGE_SIZE;
  if (slotPages === 0 || slotBytes > content.length) {
    return { blobs: [], warnings, error: `slot area of ${slotPages} pages does not fit in ${content.length} bytes` };
  }
  const blobs: Buffer[] = [];
  for (let at = HEADER_SIZE; at + SLOT_SIZE <= slotBytes; at += SLOT_SIZE) {
    const magic = content.readUInt32LE(at);
    const pkgIndex = content.readUInt32LE(at + 4);
    const blkOffset = content.readUInt32LE(at + 8);
    const blkCount = content.readUInt32LE(at + 12);
    if (magic !== SLOT_MAGIC) {
      warnings.push(`slot at byte ${at}: bad magic, slot area ends here`);
      break;
    }
    if (pkgIndex === 0) continue;
    const start = blkOffset * BLK_SIZE;
    const end = start + blkCount * BLK_SIZE;
    if (start < slotBytes || end > content.length || blkCount === 0) {
      warnings.push(`package ${pkgIndex}: blocks ${blkOffset}+${blkCount} outside the file, skipped`);
      continue;
    }
    if (content.readUInt32LE(start) !== BLOBHEAD_MAGIC || content.readUInt32LE(start + 4) !== pkgIndex) {
      warnings.push(`package ${pkgIndex}: bad blob header, skipped`);
      continue;
    }
    const length = content.readUInt32LE(start + 12);
    if (start + BLOBHEAD_SIZE + length > end) {
      warnings.push(`package ${pkgIndex}: blob length ${length} overruns its ${blkCount} blocks, skipped`);
      continue;
    }
    blobs.push(content.subarray(start + BLOBHEAD_SIZE, start + BLOBHEAD_SIZE + length));
  }
  return { blobs, warnings };
}
