/** Go binaries built here with the real Go toolchain, read as `go version -m` reads them (the peer tier of go-binary.test.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseElf, sectionData } from '../../../src/catalog/lang/elf.js';
import {
  goBinaryCataloger,
  parseGoBinary,
} from '../../../src/catalog/lang/go-binary.js';
import { runCommand } from '../../support/peers.js';
import { PEERS } from '../../support/paths.js';
import { memFile, viewOf } from './support.js';

const ctx = {};

/** `go version -m` output → { goVersion, lines (without the leading tab) }. */
function parseVersionM(text: string): { goVersion: string; lines: string[] } {
  const [head = '', ...rest] = text.replace(/\n$/, '').split('\n');
  return { goVersion: head.slice(head.indexOf(': ') + 2), lines: rest.map((l) => l.replace(/^\t/, '')) };
}

/** The modules `go version -m` lists, as `kind path version` rows (`=>` folded into the dep it replaces). */
function modulesOf(lines: string[]): string[] {
  return lines.filter((l) => /^(mod|dep|=>)\t/.test(l)).map((l) => l.split('\t').slice(0, 3).join(' '));
}

describe('go-binary: real binaries', () => {
  let dir = '';
  let probe = '';
  let mips = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-go-'));
    probe = join(dir, 'probe');
    mips = join(dir, 'hello-mips');
    writeFileSync(join(dir, 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n');
    writeFileSync(join(dir, 'go.mod'), 'module example.com/mips\n\ngo 1.19\n');
    const env = { ...process.env, GOARCH: 'mips', GOTOOLCHAIN: 'local', GOPROXY: 'off', GOFLAGS: '-mod=mod' };
    const [a, b] = await Promise.all([
      runCommand('bash', [join(PEERS, 'go-binary.sh'), probe], { timeoutMs: 300_000 }),
      runCommand('go', ['build', '-o', mips, '.'], { cwd: dir, env, timeoutMs: 300_000 }),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const compare = async (file: string, imagePath: string) => {
    const m = await runCommand('go', ['version', '-m', file]);
    assert.equal(m.code, 0, m.stderr);
    const expected = parseVersionM(m.stdout);
    const { packages, warnings } = parseGoBinary(readFileSync(file), imagePath);
    assert.deepEqual(warnings, []);
    const rows = packages.filter((p) => p.metadata?.kind !== 'stdlib').map((p) => `${p.metadata?.kind === 'main' ? 'mod' : 'dep'} ${p.name} ${p.version}`);
    assert.deepEqual(rows, modulesOf(expected.lines));
    const std = packages.filter((p) => p.metadata?.kind === 'stdlib');
    assert.deepEqual(std.map((p) => p.version), [expected.goVersion.replace(/^go/, '')]);
    assert.equal(std[0]?.purl, `pkg:golang/stdlib@${expected.goVersion.replace(/^go/, '')}`);
    return packages;
  };

  it('module-mode binary from peers/go-binary.sh: exactly the modules `go version -m` lists', async () => {
    const packages = await compare(probe, 'usr/local/bin/probe');
    assert.deepEqual(packages.map((p) => p.purl), [
      'pkg:golang/example.com/portcullis-probe@(devel)',
      'pkg:golang/golang.org/x/net@v0.7.0',
      'pkg:golang/golang.org/x/text@v0.7.0',
      'pkg:golang/stdlib@1.19.8',
    ]);
  });

  it('32-bit big-endian (GOARCH=mips) binary', async () => {
    assert.equal(parseElf(readFileSync(mips)).bits, 32);
    assert.equal(parseElf(readFileSync(mips)).littleEndian, false);
    await compare(mips, 'app/hello');
  });

  for (const bin of ['/usr/bin/skopeo', '/usr/bin/umoci', '/usr/bin/docker-registry']) {
    it(`Debian GOPATH-built ${bin}: stdlib only`, async () => {
      const packages = await compare(bin, bin.slice(1));
      assert.deepEqual(packages.map((p) => p.name), ['stdlib']);
    });
  }

  it('the cataloguer over a view: Go binaries found, other ELF and text files ignored, layer kept', async () => {
    const files = [
      memFile('usr/local/bin/probe', readFileSync(probe), 0o755),
      memFile('usr/bin/true', readFileSync('/usr/bin/true'), 0o755),
      memFile('usr/bin/script', '#!/bin/sh\necho hi\n', 0o755),
    ];
    const result = await goBinaryCataloger.catalog(viewOf(files, (p) => goBinaryCataloger.wants(p)), ctx);
    assert.deepEqual(result.warnings, []);
    assert.deepEqual([...new Set(result.packages.map((p) => p.path))], ['usr/local/bin/probe']);
    assert.equal(result.packages.length, 4);
    assert.ok(result.packages.every((p) => p.foundBy === 'go-binary' && p.ecosystem === 'go' && p.layer?.index === 0));
  });

  it('a damaged build-info section is a warning naming the file', async () => {
    const bytes = Buffer.from(readFileSync(probe));
    const section = sectionData(parseElf(bytes), '.go.buildinfo');
    assert.ok(section);
    // Corrupt the version string's varint length: 0xff×9 (never-ending varint).
    section.fill(0xff, 32, 41);
    const r = parseGoBinary(bytes, 'app/broken');
    assert.equal(r.packages.length, 0);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? '', /^app\/broken: damaged Go build info: /);
    // A length pointing past the end.
    const bytes2 = Buffer.from(readFileSync(probe));
    const s2 = sectionData(parseElf(bytes2), '.go.buildinfo');
    assert.ok(s2);
    s2.set([0xff, 0xff, 0xff, 0x7f], 32);
    assert.match(parseGoBinary(bytes2, 'app/broken2').warnings[0] ?? '', /runs past the end/);
    // Section headers cut off: the ELF itself is damaged.
    const cut = readFileSync(probe).subarray(0, 4096);
    const r3 = await goBinaryCataloger.catalog(viewOf([memFile('bin/cut', cut, 0o755)]), ctx);
    assert.equal(r3.packages.length, 0);
    assert.match(r3.warnings?.[0] ?? '', /^bin\/cut: damaged Go build info: .*outside/);
  });
});
