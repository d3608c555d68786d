/**
 * A reader for the Berkeley DB *hash* access method, enough for rpm's legacy
 * `var/lib/rpm/Packages` (key: 4-byte header instance, value: header blob).
 * Hand-written because no maintained JavaScript library reads Berkeley DB
 * files; written from Oracle's on-disk format documentation (db_page.h
 * layouts): a meta page, hash pages of key/data item pairs, and overflow
 * page chains for values larger than a page.
 *
 * Rather than walking buckets we visit every page once, in order, and read
 * the key/data pairs of every hash page — the same set of records, and no
 * dependence on the bucket-to-page arithmetic. Everything is bounds-checked
 * against the file; overflow chains are followed at most once per page (no
 * cycles) and never past their declared total length. Byte order is taken
 * from the meta page magic (BDB writes in the creating host's order).
 * Checksummed and encrypted databases are reported as unsupported.
 */

const HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_DUPLICATE = 2;
const H_OFFPAGE = 3;
const H_OFFDUP = 4;
const PAGE_HEADER = 26;
const DBMETA_CHKSUM = 0x01;

export function isBdbHash(content: Buffer): boolean {
  if (content.length < 512) return false;
  return content.readUInt32LE(12) === HASH_MAGIC || content.readUInt32BE(12) === HASH_MAGIC;
}

export interface BdbRecord {
  readonly key: Buffer;
  readonly value: Buffer;
}

export function readBdbHash(content: Buffer): { records: BdbRecord[]; warnings: string[]; error?: string } {
  const warnings: string[] = [];
  if (!isBdbHash(content)) return { records: [], warnings, error: 'not a Berkeley DB hash database' };
  const le = content.readUInt32LE(12) === HASH_MAGIC;
  const u32 = (at: number): number => (le ? content.readUInt32LE(at) : content.readUInt32BE(at));
  const u16 = (at: number): number => (le ? content.readUInt16LE(at) : content.readUInt16BE(at));
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    return { records: [], warnings, error: `invalid page size ${pageSize}` };
  }
  if (content[25] !== P_HASHMETA) return { records: [], warnings, error: `meta page type ${content[25]} is not hash meta` };
  if (content[24] !== 0) return { records: [], warnings, error: 'encrypted Berkeley DB is not supported' };
  if ((content[26]! & DBMETA_CHKSUM) !== 0) return { records: [], warnings, error: 'checksummed Berkeley DB is not supported' };
  const pagesInFile = Math.floor(content.length / pageSize);
  let lastPage = u32(32);
  if (lastPage >= pagesInFile) {
    warnings.push(`meta page says ${lastPage + 1} pages but the file holds ${pagesInFile}; reading what is there`);
    lastPage = pagesInFile - 1;
  }

  const readOverflow = (first: number, total: number): Buffer | string => {
    const out = Buffer.alloc(total);
    let filled = 0;
    let pgno = first;
    const seen = new Set<number>();
    while (filled < total) {
      if (pgno === 0 || pgno > lastPage) return `overflow chain points at page ${pgno} outside the file`;
      if (seen.has(pgno)) return `overflow chain loops at page ${pgno}`;
      seen.add(pgno);
      const base = pgno * pageSize;
      if (content[base + 25] !== P_OVERFLOW) return `page ${pgno} in an overflow chain is not an overflow page`;
      const len = u16(base + 22);
      if (len > pageSize - PAGE_HEADER) return `overflow page ${pgno} claims ${len} bytes`;
      const take = Math.min(len, total - filled);
      content.copy(out, filled, base + PAGE_HEADER, base + PAGE_HEADER + take);
      filled += take;
      if (len === 0) return `overflow page ${pgno} is empty`;
      pgno = u32(base + 16);
    }
    return out;
  };

  const item = (base: number, entries: number, i: number): Buffer | string | undefined => {
    const inp = u16(base + PAGE_HEADER + i * 2);
    const end = i === 0 ? pageSize : u16(base + PAGE_HEADER + (i - 1) * 2);
    if (inp < PAGE_HEADER + entries * 2 || inp >= pageSize || end > pageSize || end <= inp) {
      return `item ${i} offset ${inp} out of range`;
    }
    const type = content[base + inp];
    if (type === H_KEYDATA) return content.subarray(base + inp + 1, base + end);
    if (type === H_OFFPAGE) {
      if (inp + 12 > pageSize) return `item ${i} truncated`;
      const pgno = u32(base + inp + 4);
      const tlen = u32(base + inp + 8);
      if (tlen > content.length) return `item ${i} claims ${tlen} bytes, more than the file`;
      return readOverflow(pgno, tlen);
    }
    if (type === H_DUPLICATE || type === H_OFFDUP) return undefined; // rpm never stores duplicates
    return `item ${i} has unknown type ${type}`;
  };

  const records: BdbRecord[] = [];
  for (let pgno = 1; pgno <= lastPage; pgno++) {
    const base = pgno * pageSize;
    const type = content[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(base + 20);
    if (PAGE_HEADER + entries * 2 > pageSize || entries % 2 !== 0) {
      warnings.push(`page ${pgno}: ${entries} entries do not fit, page skipped`);
      continue;
    }
    for (let i = 0; i + 1 < entries; i += 2) {
      const key = item(base, entries, i);
      const value = item(base, entries, i + 1);
      if (typeof key === 'string' || typeof value === 'string') {
        warnings.push(`page ${pgno}: ${typeof key === 'string' ? key : value}`);
        continue;
      }
      if (!key || !value) {
        warnings.push(`page ${pgno}: duplicate-key items are not supported, skipped`);
        continue;
      }
      records.push({ key, value });
    }
  }
  return { records, warnings };
}
