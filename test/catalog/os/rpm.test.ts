import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { selectorFor } from '../../../src/catalog/catalog.js';
import {
  parseRpmDatabase,
  parseSourceRpm,
  readSqliteRpmdb,
  rpmCataloger,
  rpmHeaderBlobs,
  RpmHeader,
} from '../../../src/catalog/os/rpm/index.js';
import type { Package } from '../../../src/core/inventory.js';
import { fileViewFromMap, TEST_LAYER } from '../../support/file-view.js';
import { VULNDATA } from '../../support/paths.js';

const RPMDATA = join(VULNDATA, 'pkgdb', 'rpm', 'go-rpmdb-testdata');
const MARINER = join(RPMDATA, 'cbl-mariner-2.0');
const LIBUUID = join(RPMDATA, 'libuuid-bdb');
const selector = selectorFor([rpmCataloger]);

/** rpm -qa's NAME EPOCH VERSION RELEASE ARCH SOURCERPM MODULARITYLABEL, one tab-separated row per package. */
function expectedRows(tsv: string): string[] {
  return tsv.split('\n').slice(1).filter((l) => l !== '').sort();
}

function rows(packages: readonly Package[]): string[] {
  return packages
    .map((p) => {
      const m = /^(?:(\d+):)?(.*)-([^-]*)$/.exec(p.version)!;
      return [p.name, m[1] ?? '', m[2], m[3], p.arch ?? '', p.metadata?.sourceRpm ?? '', p.metadata?.modularityLabel ?? ''].join('\t');
    })
    .sort();
}

test('CBL-Mariner 2.0 SQLite rpmdb equals rpm -qa', async () => {
  const content = readFileSync(join(MARINER, 'rpmdb.sqlite'));
  const expected = expectedRows(readFileSync(join(MARINER, 'rpm-qa-expected.tsv'), 'utf8'));
  assert.equal(expected.length, 129);
  const view = fileViewFromMap({ 'var/lib/rpm/rpmdb.sqlite': content }, selector);
  const r = await rpmCataloger.catalog(view, { os: { id: 'mariner', versionId: '2.0', path: 'etc/os-release' } });
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(rows(r.packages), expected);
  const ca = r.packages.find((p) => p.name === 'ca-certificates-base')!;
  assert.equal(ca.version, '1:2.0.0-1.cm2');
  assert.equal(ca.epoch, 1);
  assert.equal(ca.purl, 'pkg:rpm/mariner/ca-certificates-base@2.0.0-1.cm2?arch=noarch&distro=mariner-2.0&epoch=1');
  assert.deepEqual(ca.source, { name: 'ca-certificates' });
  assert.equal(ca.ecosystem, 'rpm');
  assert.equal(ca.path, 'var/lib/rpm/rpmdb.sqlite');
  assert.deepEqual(ca.layer, TEST_LAYER);
  const glibc = r.packages.find((p) => p.name === 'glibc')!;
  assert.ok(glibc.licenses?.[0]?.includes('LGPL'));
  const owned = r.ownedFiles?.[0];
  assert.equal(owned?.manager, 'rpm');
  assert.ok(owned?.paths.has('etc/issue'));
  assert.ok([...(owned?.paths ?? [])].every((p) => !p.startsWith('/')));
});

test('the SQLite rpmdb in usr/lib/sysimage/rpm is found too (and is read from memory only)', async () => {
  const content = readFileSync(join(MARINER, 'rpmdb.sqlite'));
  const before = content[18];
  const r = await rpmCataloger.catalog(fileViewFromMap({ 'usr/lib/sysimage/rpm/rpmdb.sqlite': content }, selector), {});
  assert.equal(r.packages.length, 129);
  assert.equal(r.packages[0]?.path, 'usr/lib/sysimage/rpm/rpmdb.sqlite');
  assert.equal(content[18], before, 'the caller’s buffer is not modified');
  assert.match(r.packages[0]?.purl ?? '', /^pkg:rpm\/mariner-release@/); // no OS: no namespace, no distro
});

test('libuuid Berkeley DB hash Packages equals rpm -qa', async () => {
  const content = readFileSync(join(LIBUUID, 'Packages'));
  const expected = expectedRows(readFileSync(join(LIBUUID, 'rpm-qa-expected.tsv'), 'utf8'));
  const r = await rpmCataloger.catalog(fileViewFromMap({ 'var/lib/rpm/Packages': content }, selector), {
    os: { id: 'rhel', versionId: '8.8', path: 'etc/os-release' },
  });
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(rows(r.packages), expected);
  const p = r.packages[0]!;
  assert.deepEqual(p.source, { name: 'util-linux' });
  assert.equal(p.purl, 'pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&distro=rhel-8.8');
  assert.ok(r.ownedFiles?.[0]?.paths.has('usr/lib64/libuuid.so.1'));
});

test('source rpm names', () => {
  assert.deepEqual(parseSourceRpm('util-linux-2.32.1-42.el8_8.src.rpm'), { name: 'util-linux', version: '2.32.1-42.el8_8' });
  assert.deepEqual(parseSourceRpm('a-b-c-1.0-1.nosrc.rpm'), { name: 'a-b-c', version: '1.0-1' });
  assert.equal(parseSourceRpm('nodashes.src.rpm'), undefined);
  assert.equal(parseSourceRpm('foo-1.0-1.x86_64.rpm'), undefined);
});

// ---- NDB: Debian's rpm cannot write it, so a Packages.db is laid out here from real headers.

function ndbFile(blobs: readonly Buffer[]): Buffer {
  const slotPages = Math.ceil((32 + (blobs.length + 1) * 16) / 4096);
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4096 * slotPages);
  head.write('RpmP', 0, 'latin1');
  head.writeUInt32LE(0, 4);
  head.writeUInt32LE(1, 8);
  head.writeUInt32LE(slotPages, 12);
  head.writeUInt32LE(blobs.length + 1, 16);
  let block = (4096 * slotPages) / 16;
  blobs.forEach((blob, i) => {
    const at = 32 + i * 16;
    const size = 16 + blob.length + 12;
    const blocks = Math.ceil(size / 16);
    head.write('Slot', at, 'latin1');
    head.writeUInt32LE(i + 1, at + 4);
    head.writeUInt32LE(block, at + 8);
    head.writeUInt32LE(blocks, at + 12);
    const b = Buffer.alloc(blocks * 16);
    b.write('BlbS', 0, 'latin1');
    b.writeUInt32LE(i + 1, 4);
    b.writeUInt32LE(1, 8);
    b.writeUInt32LE(blob.length, 12);
    blob.copy(b, 16);
    b.writeUInt32LE(blob.length, 16 + blob.length + 4);
    b.write('BlbE', 16 + blob.length + 8, 'latin1');
    parts.push(b);
    block += blocks;
  });
  // the rest of the slot page holds free slots
  for (let at = 32 + blobs.length * 16; at + 16 <= head.length; at += 16) head.write('Slot', at, 'latin1');
  return Buffer.concat([head, ...parts]);
}

test('NDB Packages.db (laid out from the Mariner headers) gives the same packages', async () => {
  const blobs = readSqliteRpmdb(readFileSync(join(MARINER, 'rpmdb.sqlite'))).blobs;
  assert.equal(blobs.length, 129);
  const ndb = ndbFile(blobs);
  const r = await rpmCataloger.catalog(fileViewFromMap({ 'usr/lib/sysimage/rpm/Packages.db': ndb }, selector), {});
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(rows(r.packages), expectedRows(readFileSync(join(MARINER, 'rpm-qa-expected.tsv'), 'utf8')));
  // a slot pointing outside the file is a warning, the rest is kept
  const bad = Buffer.from(ndb);
  bad.writeUInt32LE(0x7fffffff, 32 + 8);
  const r2 = parseRpmDatabase({ path: 'usr/lib/sysimage/rpm/Packages.db', content: bad });
  assert.equal(r2.packages.length, 128);
  assert.match(r2.warnings[0] ?? '', /^usr\/lib\/sysimage\/rpm\/Packages\.db: package 1: blocks .* outside the file/);
});

// ---- BDB: a small multi-page hash file with overflow chains, laid out here, beside the real libuuid one.

function bdbFile(records: ReadonlyArray<readonly [number, Buffer]>, pageSize = 4096): Buffer {
  const pages: Buffer[] = [Buffer.alloc(pageSize)];
  const meta = pages[0]!;
  meta.writeUInt32LE(0x061561, 12);
  meta.writeUInt32LE(9, 16);
  meta.writeUInt32LE(pageSize, 20);
  meta[25] = 8;
  const newPage = (type: number): [Buffer, number] => {
    const p = Buffer.alloc(pageSize);
    const n = pages.length;
    p.writeUInt32LE(n, 8);
    p[25] = type;
    pages.push(p);
    return [p, n];
  };
  const overflow = (data: Buffer): number => {
    const room = pageSize - 26;
    let first = 0;
    let prev: Buffer | undefined;
    for (let off = 0; off < data.length; off += room) {
      const [p, n] = newPage(7);
      const chunk = data.subarray(off, off + room);
      chunk.copy(p, 26);
      p.writeUInt16LE(chunk.length, 22);
      if (prev) prev.writeUInt32LE(n, 16);
      else first = n;
      prev = p;
    }
    return first;
  };
  // two records per hash page
  for (let i = 0; i < records.length; i += 2) {
    const [page] = newPage(13);
    let top = pageSize;
    let index = 0;
    for (const [key, value] of records.slice(i, i + 2)) {
      const k = Buffer.alloc(5);
      k[0] = 1;
      k.writeUInt32LE(key, 1);
      top -= k.length;
      k.copy(page, top);
      page.writeUInt16LE(top, 26 + index++ * 2);
      const d = Buffer.alloc(12);
      d[0] = 3;
      d.writeUInt32LE(overflow(value), 4);
      d.writeUInt32LE(value.length, 8);
      top -= d.length;
      d.copy(page, top);
      page.writeUInt16LE(top, 26 + index++ * 2);
    }
    page.writeUInt16LE(index, 20);
  }
  meta.writeUInt32LE(pages.length - 1, 32);
  return Buffer.concat(pages);
}

test('Berkeley DB hash with several pages and overflow chains (headers from Mariner)', () => {
  const blobs = readSqliteRpmdb(readFileSync(join(MARINER, 'rpmdb.sqlite'))).blobs.slice(0, 9);
  const counter = Buffer.alloc(4);
  counter.writeUInt32LE(10, 0);
  const file = bdbFile([[0, counter], ...blobs.map((b, i) => [i + 1, b] as const)]);
  const r = parseRpmDatabase({ path: 'var/lib/rpm/Packages', content: file });
  assert.deepEqual(r.warnings, []);
  assert.equal(r.packages.length, 9);
  const all = expectedRows(readFileSync(join(MARINER, 'rpm-qa-expected.tsv'), 'utf8'));
  for (const row of rows(r.packages)) assert.ok(all.includes(row), row);
  // an overflow chain that loops back is a warning, not a hang
  const looped = Buffer.from(file);
  const pageSize = 4096;
  for (let pg = 1; pg * pageSize < looped.length; pg++) {
    if (looped[pg * pageSize + 25] === 7 && looped.readUInt32LE(pg * pageSize + 16) !== 0) {
      looped.writeUInt32LE(pg, pg * pageSize + 16);
      break;
    }
  }
  const r2 = parseRpmDatabase({ path: 'var/lib/rpm/Packages', content: looped });
  assert.equal(r2.packages.length, 8);
  assert.ok(r2.warnings.some((w) => /^var\/lib\/rpm\/Packages: page \d+: overflow chain loops/.test(w)), r2.warnings.join('\n'));
});

// ---- hostile headers

function header(entries: Array<[number, number, number, number]>, data: Buffer): Buffer {
  const b = Buffer.alloc(8 + entries.length * 16);
  b.writeUInt32BE(entries.length, 0);
  b.writeUInt32BE(data.length, 4);
  entries.forEach(([tag, type, offset, count], i) => {
    b.writeInt32BE(tag, 8 + i * 16);
    b.writeUInt32BE(type, 12 + i * 16);
    b.writeInt32BE(offset, 16 + i * 16);
    b.writeUInt32BE(count, 20 + i * 16);
  });
  return Buffer.concat([b, data]);
}

test('hostile rpm headers are rejected with a reason, before any large allocation', () => {
  const data = Buffer.from('name\x001\x001\x00', 'latin1');
  const ok = header([[1000, 6, 0, 1], [1001, 6, 5, 1], [1002, 6, 7, 1]], data);
  assert.ok(RpmHeader.parse(ok) instanceof RpmHeader);
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(0xffffffff, 0);
  huge.writeUInt32BE(0xffffffff, 4);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['short', Buffer.alloc(3), /too short/],
    ['huge il/dl', huge, /out of range/],
    ['dl past end', header([[1000, 6, 0, 1]], data).subarray(0, 20), /claims/],
    ['offset past data', header([[1000, 6, 999, 1]], data), /offset 999 outside/],
    ['negative offset', header([[1000, 6, -4, 1]], data), /offset -4 outside/],
    ['int32 array overrun', header([[1116, 4, 0, 1000]], data), /count 1000 larger|overrun/],
    ['int32 array overrun 2', header([[1116, 4, 8, 2]], data), /overrun/],
    ['unknown type', header([[1000, 42, 0, 1]], data), /unknown type/],
    ['string array count huge', header([[1117, 8, 0, 0x7fffffff]], data), /count .* larger/],
  ];
  for (const [name, blob, re] of cases) {
    const h = RpmHeader.parse(blob);
    assert.equal(typeof h, 'string', name);
    assert.match(h as string, re, name);
  }
  // an unterminated string and a DIRINDEXES entry out of range are caught when read
  const unterminated = RpmHeader.parse(header([[1000, 6, 0, 1]], Buffer.from('abc', 'latin1')));
  assert.ok(unterminated instanceof RpmHeader);
  assert.equal(unterminated.string(1000), undefined);
  const files = Buffer.concat([data, Buffer.from('/usr/\0a\0', 'latin1'), Buffer.from([0, 0, 0, 5])]);
  const badIndex = header(
    [[1000, 6, 0, 1], [1001, 6, 5, 1], [1002, 6, 7, 1], [1118, 8, 9, 1], [1117, 8, 15, 1], [1116, 4, 17, 1]],
    files,
  );
  const db = ndbFile([badIndex, ok]);
  const r = parseRpmDatabase({ path: 'var/lib/rpm/Packages.db', content: db });
  assert.equal(r.packages.length, 2);
  assert.ok(r.warnings.some((w) => /DIRINDEXES entry 5 out of range/.test(w)));
});

test('fuzzed headers and corrupt database files: warnings naming the file, never a throw', () => {
  const blobs = readSqliteRpmdb(readFileSync(join(MARINER, 'rpmdb.sqlite'))).blobs.slice(0, 20);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) % 0x7fffffff) / 0x7fffffff;
  const mutated: Buffer[] = [];
  for (let i = 0; i < 400; i++) {
    const b = Buffer.from(blobs[i % blobs.length]!);
    const n = 1 + Math.floor(rand() * 8);
    for (let j = 0; j < n; j++) {
      // bias towards the index (offsets, counts) where damage matters most
      const at = rand() < 0.7 ? Math.floor(rand() * Math.min(b.length, 8 + 16 * 64)) : Math.floor(rand() * b.length);
      b[at] = Math.floor(rand() * 256);
    }
    mutated.push(rand() < 0.1 ? b.subarray(0, Math.floor(rand() * b.length)) : b);
  }
  const r = parseRpmDatabase({ path: 'var/lib/rpm/Packages.db', content: ndbFile(mutated) });
  for (const w of r.warnings) assert.match(w, /^var\/lib\/rpm\/Packages\.db: /);
  // Every record is accounted for exactly once: a package, or one "record N: …, skipped" warning.
  assert.equal(r.incomplete.length, 0, r.incomplete.join('\n'));
  const skipped: number[] = [];
  for (const w of r.warnings) {
    const m = /^var\/lib\/rpm\/Packages\.db: record (\d+): .*, skipped$/s.exec(w);
    if (m) skipped.push(Number(m[1]));
  }
  assert.equal(new Set(skipped).size, skipped.length, 'no record skipped twice');
  assert.ok(skipped.every((i) => i >= 1 && i <= mutated.length), 'skipped records are numbered 1..400');
  assert.equal(r.packages.length + skipped.length, mutated.length, `${r.packages.length} packages + ${skipped.length} skipped records`);
  // The fuzz reached both outcomes.
  assert.ok(r.packages.length > 0 && skipped.length > 0, `${r.packages.length} packages, ${skipped.length} skipped`);
  // Each record alone gives the same outcome as in the whole file: one record cannot spoil another.
  const alone = mutated.map((blob) => parseRpmDatabase({ path: 'var/lib/rpm/Packages.db', content: ndbFile([blob]) }).packages.length);
  assert.ok(alone.every((n) => n <= 1));
  assert.deepEqual(
    alone.flatMap((n, i) => (n === 0 ? [i + 1] : [])),
    [...skipped].sort((a, b) => a - b),
  );

  const sqlite = readFileSync(join(MARINER, 'rpmdb.sqlite'));
  const bdb = readFileSync(join(LIBUUID, 'Packages'));
  const garbage = Buffer.from(Array.from({ length: 16384 }, (_, i) => (i * 2654435761) % 251));
  const files: Array<[string, Buffer]> = [
    ['var/lib/rpm/rpmdb.sqlite', sqlite.subarray(0, 8192)],
    ['var/lib/rpm/rpmdb.sqlite', Buffer.concat([sqlite.subarray(0, 100), garbage])],
    ['var/lib/rpm/Packages', bdb.subarray(0, 6000)],
    ['var/lib/rpm/Packages', Buffer.concat([bdb.subarray(0, 64), garbage])],
    ['var/lib/rpm/Packages', garbage],
    ['var/lib/rpm/Packages.db', ndbFile(blobs).subarray(0, 5000)],
    ['var/lib/rpm/Packages', Buffer.alloc(0)],
  ];
  for (const [path, content] of files) {
    const res = parseRpmDatabase({ path, content });
    assert.ok(res.warnings.length > 0 || res.packages.length > 0 || res.incomplete.length > 0, path);
    for (const w of [...res.warnings, ...res.incomplete]) assert.ok(w.startsWith(`${path}: `), w);
  }
  const blobsOf = rpmHeaderBlobs(garbage);
  assert.equal(blobsOf.blobs.length, 0);
  // A database that is none of rpm's formats could not be read at all: incomplete, not a warning.
  assert.deepEqual(parseRpmDatabase({ path: 'var/lib/rpm/Packages', content: garbage }).incomplete, [
    'var/lib/rpm/Packages: not an rpm database (neither SQLite, Berkeley DB hash nor NDB)',
  ]);
});

// ---- fresh databases written by Debian's real rpm
