import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseElf } from '../../../src/catalog/lang/elf.js';
import { LangCatalogError } from '../../../src/catalog/lang/errors.js';
import {
  decodeBuildInfo,
  goBinaryCataloger,
  goPackages,
  parseGoBinary,
  parseModInfo,
  readBuildInfo,
  stdlibVersion,
} from '../../../src/catalog/lang/go-binary.js';
import { VULNDATA } from '../../support/paths.js';
import { buildElf, sectionOffset } from './elf-builder.js';

const FIXTURES = join(VULNDATA, 'pkgdb/go-buildinfo');

/** `go version -m` output → { goVersion, lines (without the leading tab) }. */
function parseVersionM(text: string): { goVersion: string; lines: string[] } {
  const [head = '', ...rest] = text.replace(/\n$/, '').split('\n');
  return { goVersion: head.slice(head.indexOf(': ') + 2), lines: rest.map((l) => l.replace(/^\t/, '')) };
}

/** The modules `go version -m` lists, as `kind path version` rows (`=>` folded into the dep it replaces). */
function modulesOf(lines: string[]): string[] {
  return lines.filter((l) => /^(mod|dep|=>)\t/.test(l)).map((l) => l.split('\t').slice(0, 3).join(' '));
}

describe('go-binary: extracted .go.buildinfo sections (go1.22) against `go version -m`', () => {
  for (const name of ['goexperiment', 'main-version-via-ldflags.elf']) {
    it(name, () => {
      const expected = parseVersionM(readFileSync(join(FIXTURES, `${name}.go-version-m.txt`), 'utf8'));
      const info = decodeBuildInfo(readFileSync(join(FIXTURES, `${name}.go.buildinfo-section.bin`)));
      assert.equal(info.goVersion, expected.goVersion);
      assert.deepEqual(info.modinfo.replace(/\n$/, '').split('\n'), expected.lines);
    });
  }
  it('stdlib without the go prefix and without GOEXPERIMENT; ldflags -X main.version for a (devel) main module', () => {
    const exp = goPackages(decodeBuildInfo(readFileSync(join(FIXTURES, 'goexperiment.go.buildinfo-section.bin'))), 'x');
    assert.deepEqual(exp.packages.map((p) => p.purl), ['pkg:golang/stdlib@1.22.1']);
    assert.equal(exp.packages[0]?.metadata?.kind, 'stdlib');
    const ld = goPackages(decodeBuildInfo(readFileSync(join(FIXTURES, 'main-version-via-ldflags.elf.go.buildinfo-section.bin'))), 'x');
    assert.deepEqual(ld.packages.map((p) => [p.purl, p.metadata?.kind]), [
      ['pkg:golang/github.com/aquasecurity/test@v1.0.0', 'main'],
      ['pkg:golang/stdlib@1.22.1', 'stdlib'],
    ]);
    assert.equal(ld.packages[0]?.metadata?.recordedVersion, '(devel)');
    assert.equal(ld.packages[0]?.metadata?.vcsRevision, '9640d75c13845419f5797e2e3ac3475f8d801d79');
  });
});

/** Go ≤1.17 layout: header with two pointers to Go string headers, in a real ELF (crafted here). */
function pointerFormatElf(bits: 32 | 64, littleEndian: boolean, goVersion: string, modinfo: string): Buffer {
  const ptr = bits / 8;
  const base = bits === 64 ? 0x400000 : 0x10000;
  const start = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
  const end = Buffer.from('f932433186182072008242104116d8f2', 'hex');
  const mod = Buffer.concat([start, Buffer.from(modinfo), end]);
  const ver = Buffer.from(goVersion);
  // Section layout: [32-byte header][string header ver][string header mod][ver bytes][mod bytes]
  const hdrs = 32;
  const size = hdrs + 4 * ptr + ver.length + mod.length;
  const off = sectionOffset(bits, [size], 0);
  const addr = base + off;
  const data = Buffer.alloc(size);
  data.write('\xff Go buildinf:', 0, 'latin1');
  data[14] = ptr;
  data[15] = littleEndian ? 0 : 1;
  const put = (o: number, v: number) => {
    if (ptr === 8) (littleEndian ? data.writeBigUInt64LE(BigInt(v), o) : data.writeBigUInt64BE(BigInt(v), o));
    else littleEndian ? data.writeUInt32LE(v, o) : data.writeUInt32BE(v, o);
  };
  const verHdr = hdrs;
  const modHdr = hdrs + 2 * ptr;
  const verData = hdrs + 4 * ptr;
  const modData = verData + ver.length;
  put(16, addr + verHdr);
  put(16 + ptr, addr + modHdr);
  put(verHdr, addr + verData);
  put(verHdr + ptr, ver.length);
  put(modHdr, addr + modData);
  put(modHdr + ptr, mod.length);
  ver.copy(data, verData);
  mod.copy(data, modData);
  return buildElf({ bits, littleEndian, base, sections: [{ name: '.go.buildinfo', data }] });
}

describe('go-binary: pre-1.18 pointer format (crafted ELF, real go1.15 modinfo from `go version -m`)', () => {
  const expected = parseVersionM(readFileSync(join(FIXTURES, 'test.elf.go-version-m.txt'), 'utf8'));
  const modinfo = `${expected.lines.join('\n')}\n`;
  for (const [bits, le] of [
    [64, true],
    [32, false],
    [32, true],
    [64, false],
  ] as const) {
    it(`${bits}-bit ${le ? 'little' : 'big'} endian`, () => {
      const elf = pointerFormatElf(bits, le, expected.goVersion, modinfo);
      const info = readBuildInfo(elf);
      assert.equal(info?.goVersion, 'go1.15.2');
      assert.equal(info?.modinfo, modinfo);
      const { packages, warnings } = parseGoBinary(elf, 'app/test');
      assert.deepEqual(warnings, []);
      assert.deepEqual(packages.map((p) => `${p.metadata?.kind} ${p.purl}`), [
        'main pkg:golang/github.com/aquasecurity/test@(devel)',
        'dep pkg:golang/github.com/aquasecurity/go-pep440-version@v0.0.0-20210121094942-22b2f8951d46',
        'dep pkg:golang/github.com/aquasecurity/go-version@v0.0.0-20210121072130-637058cfe492',
        'dep pkg:golang/golang.org/x/xerrors@v0.0.0-20200804184101-5ec99f83aff1',
        'stdlib pkg:golang/stdlib@1.15.2',
      ]);
    });
  }
  it('modinfo lines from every fixture parse into the modules `go version -m` listed', () => {
    for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.go-version-m.txt'))) {
      const e = parseVersionM(readFileSync(join(FIXTURES, f), 'utf8'));
      const mod = parseModInfo(e.lines.join('\n'));
      const rows = [...(mod.main ? [`mod ${mod.main.path} ${mod.main.version}`] : []), ...mod.deps.map((d) => `dep ${d.path} ${d.version}`)];
      assert.deepEqual(rows, modulesOf(e.lines), f);
    }
  });
});

describe('go-binary: bounds and sad paths on crafted input', () => {
  it('pointer format with pointers outside the file → GO_BUILDINFO_INVALID', () => {
    const data = Buffer.alloc(48);
    data.write('\xff Go buildinf:', 0, 'latin1');
    data[14] = 8;
    data.writeBigUInt64LE(0xdeadbeefn, 16);
    const elf = buildElf({ bits: 64, littleEndian: true, base: 0x400000, sections: [{ name: '.go.buildinfo', data }] });
    assert.throws(() => readBuildInfo(elf), (e: unknown) => e instanceof LangCatalogError && e.code === 'GO_BUILDINFO_INVALID');
    assert.match(parseGoBinary(elf, 'x').warnings[0] ?? '', /^x: damaged Go build info: string header at 0xdeadbeef/);
  });
  it('a huge claimed string length is refused before any allocation', () => {
    const data = Buffer.alloc(64);
    data.write('\xff Go buildinf:', 0, 'latin1');
    data[14] = 8;
    data[15] = 2;
    data.set([0xff, 0xff, 0xff, 0xff, 0x0f], 32); // ~4 GiB
    assert.throws(() => decodeBuildInfo(data), (e: unknown) => e instanceof LangCatalogError && e.code === 'GO_BUILDINFO_INVALID');
  });
  it('section headers claiming more than the file → ELF_INVALID, reported as a warning', () => {
    const elf = buildElf({ bits: 64, littleEndian: true, base: 0x400000, sections: [{ name: '.x', data: Buffer.alloc(8) }] });
    elf.writeUInt16LE(60000, 60); // e_shnum
    assert.throws(() => parseElf(elf), (e: unknown) => e instanceof LangCatalogError && e.code === 'ELF_INVALID');
    assert.equal(parseGoBinary(elf, 'y').warnings.length, 1);
  });
  it('not a Go binary, or not ELF: nothing and no warning', () => {
    assert.deepEqual(parseGoBinary(readFileSync('/usr/bin/true'), 'usr/bin/true'), { packages: [], warnings: [] });
    assert.deepEqual(parseGoBinary(Buffer.from('hello'), 'x'), { packages: [], warnings: [] });
  });
  it('stdlib versions', () => {
    assert.equal(stdlibVersion('go1.19.8'), '1.19.8');
    assert.equal(stdlibVersion('go1.22.1 X:loopvar'), '1.22.1');
    assert.equal(stdlibVersion('go1.21rc2'), '1.21rc2');
    assert.equal(stdlibVersion('devel go1.23-abcdef Tue'), undefined);
  });
  it('replacements: a versioned `=>` reports the replacement, a local one keeps the required module', () => {
    const text = 'path\tex.com/app\nmod\tex.com/app\tv1.0.0\t\ndep\tgolang.org/x/net\tv0.1.0\th1:a=\n=>\tgithub.com/fork/net\tv0.1.1\th1:b=\ndep\tex.com/lib\tv1.2.3\t\n=>\t../lib\t\t\n';
    const { packages } = goPackages({ goVersion: 'go1.20.1', modinfo: text }, 'app');
    assert.deepEqual(
      packages.map((p) => [p.purl, p.metadata?.replaces ?? p.metadata?.replacedBy ?? '']),
      [
        ['pkg:golang/ex.com/app@v1.0.0', ''],
        ['pkg:golang/github.com/fork/net@v0.1.1', 'golang.org/x/net@v0.1.0'],
        ['pkg:golang/ex.com/lib@v1.2.3', '../lib'],
        ['pkg:golang/stdlib@1.20.1', ''],
      ],
    );
  });
  it('wants: bin folders and extension-less files, not data folders', () => {
    assert.notEqual(goBinaryCataloger.wants('usr/local/bin/kubectl'), false);
    assert.notEqual(goBinaryCataloger.wants('ko-app/server'), false);
    assert.equal(goBinaryCataloger.wants('usr/share/doc/x/copyright'), false);
    assert.equal(goBinaryCataloger.wants('etc/hostname'), false);
    assert.equal(goBinaryCataloger.wants('app/index.js'), false);
  });
});
