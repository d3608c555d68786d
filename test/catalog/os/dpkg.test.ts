import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CatalogResult } from '../../../src/catalog/cataloger.js';
import { selectorFor } from '../../../src/catalog/catalog.js';
import {
  dpkgCataloger,
  licensesFromCopyright,
  parseDebianVersion,
  parseDpkgStatus,
} from '../../../src/catalog/os/dpkg.js';
import { detectOs } from '../../../src/catalog/os/release.js';
import type { Package } from '../../../src/core/inventory.js';
import { fileViewFromDir, fileViewFromMap, TEST_LAYER } from '../../support/file-view.js';
import { VULNDATA } from '../../support/paths.js';

const DPKG = join(VULNDATA, 'pkgdb', 'dpkg');
const selector = selectorFor([dpkgCataloger]);

/** dpkg-query's tsv (package, version, source, source version, arch, status abbrev) → installed rows. */
function expectedInstalled(tsv: string): string[] {
  return tsv
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.split('\t'))
    .filter((cols) => cols[5]?.[1] === 'i') // ii / hi: installed
    .map((cols) => cols.slice(0, 5).join('\t'))
    .sort();
}

/**
 * Paragraphs whose `Status:` ends in `installed`, counted with a parser of its
 * own (blank lines between paragraphs, one Status line each), not ours.
 */
function installedParagraphs(status: string): { paragraphs: number; installed: number } {
  const paragraphs = status.split(/\n[ \t]*\n/).filter((p) => /^Package:/m.test(p));
  return { paragraphs: paragraphs.length, installed: paragraphs.filter((p) => /^Status:\s*\S+\s+\S+\s+installed\s*$/m.test(p)).length };
}

function rows(packages: readonly Package[]): string[] {
  return packages
    .map((p) => [p.name, p.version, p.source?.name ?? p.name, p.source?.version ?? p.version, p.arch ?? ''].join('\t'))
    .sort();
}

const trivyCases = readdirSync(join(DPKG, 'trivy-testdata')).filter((d) =>
  existsSync(join(DPKG, 'trivy-testdata', d, 'dpkg-query-expected.tsv')),
);

test('trivy dpkg fixtures equal dpkg-query (installed only)', async () => {
  assert.deepEqual(trivyCases.sort(), ['corrupted-INVALID', 'digest', 'md5sums', 'only-apt', 'third-party', 'valid']);
  for (const name of trivyCases) {
    const dir = join(DPKG, 'trivy-testdata', name);
    const expected = expectedInstalled(readFileSync(join(dir, 'dpkg-query-expected.tsv'), 'utf8'));
    const result = await dpkgCataloger.catalog(fileViewFromDir(dir, selector), {});
    assert.deepEqual(rows(result.packages), expected, name);
    if (name === 'valid') {
      // 91 paragraphs, git is rc: counted from the file itself.
      const counted = installedParagraphs(readFileSync(join(dir, 'var', 'lib', 'dpkg', 'status'), 'utf8'));
      assert.equal(counted.paragraphs - counted.installed, 1);
      assert.equal(result.packages.length, counted.installed);
    }
  }
});

const claircoreCases = readdirSync(join(DPKG, 'claircore-testdata'))
  .filter((f) => f.endsWith('.status'))
  .map((f) => f.slice(0, -'.status'.length));

test('claircore status files equal dpkg-query (vcpkg is rejected, as dpkg-query rejects it)', async () => {
  assert.deepEqual(claircoreCases.sort(), ['debian-only', 'postgresql', 'texlive', 'vcpkg']);
  for (const name of claircoreCases) {
    const status = readFileSync(join(DPKG, 'claircore-testdata', `${name}.status`));
    const expected = expectedInstalled(readFileSync(join(DPKG, 'claircore-testdata', `${name}.dpkg-query-expected.tsv`), 'utf8'));
    const result = await dpkgCataloger.catalog(fileViewFromMap({ 'var/lib/dpkg/status': status }, selector), {});
    assert.deepEqual(rows(result.packages), expected, name);
    if (name === 'vcpkg') assert.match(result.warnings?.join('\n') ?? '', /vcpkg/);
  }
  // texlive is large enough that an empty result would be a bug, not a pass: every installed paragraph, counted from the file.
  const texStatus = readFileSync(join(DPKG, 'claircore-testdata', 'texlive.status'));
  const tex = await dpkgCataloger.catalog(fileViewFromMap({ 'var/lib/dpkg/status': texStatus }, selector), {});
  const counted = installedParagraphs(texStatus.toString('utf8'));
  assert.ok(counted.installed > 300, `${counted.installed} installed paragraphs`);
  assert.equal(tex.packages.length, counted.installed);
});

test('fields: source package and version, epoch, arch, purl, path and layer', () => {
  const status = readFileSync(join(DPKG, 'trivy-testdata', 'valid', 'var', 'lib', 'dpkg', 'status'));
  const r = parseDpkgStatus(
    { path: 'var/lib/dpkg/status', content: status, layer: TEST_LAYER },
    { os: { id: 'ubuntu', versionId: '18.04', path: 'etc/os-release' } },
  );
  const bsdutils = r.packages.find((p) => p.name === 'bsdutils');
  assert.ok(bsdutils);
  assert.equal(bsdutils.version, '1:2.31.1-0.4ubuntu3.1');
  assert.equal(bsdutils.epoch, 1);
  assert.deepEqual(bsdutils.source, { name: 'util-linux', version: '2.31.1-0.4ubuntu3.1' });
  assert.equal(bsdutils.ecosystem, 'ubuntu');
  assert.equal(bsdutils.arch, 'amd64');
  assert.equal(bsdutils.purl, 'pkg:deb/ubuntu/bsdutils@2.31.1-0.4ubuntu3.1?arch=amd64&distro=ubuntu-18.04&epoch=1');
  assert.equal(bsdutils.foundBy, 'dpkg');
  assert.equal(bsdutils.path, 'var/lib/dpkg/status');
  assert.deepEqual(bsdutils.layer, TEST_LAYER);
  const apt = r.packages.find((p) => p.name === 'apt');
  assert.deepEqual(apt?.source, { name: 'apt' });
  assert.equal(apt?.purl, 'pkg:deb/ubuntu/apt@1.6.3ubuntu0.1?arch=amd64&distro=ubuntu-18.04');
  const deb = parseDpkgStatus({ path: 'var/lib/dpkg/status', content: status }, { os: { id: 'debian', versionId: '12', path: 'x' } });
  assert.equal(deb.packages[0]?.ecosystem, 'debian');
  assert.match(deb.packages[0]?.purl ?? '', /^pkg:deb\/debian\/.*distro=debian-12/);
});

test('Debian version syntax as dpkg checks it', () => {
  assert.deepEqual(parseDebianVersion('1:2.31.1-0.4ubuntu3.1'), {
    ok: true,
    version: { epoch: 1, upstream: '2.31.1', revision: '0.4ubuntu3.1' },
  });
  assert.deepEqual(parseDebianVersion('5:20.10.7~3-0~debian-buster'), {
    ok: true,
    version: { epoch: 5, upstream: '20.10.7~3-0~debian', revision: 'buster' },
  });
  for (const bad of ['1:5.#', '', 'a:1', '1:', '1.0-', '1 2', '1.0-a_b']) assert.equal(parseDebianVersion(bad).ok, false, bad);
  const warn = parseDebianVersion('abc');
  assert.ok(warn.ok && warn.warning);
});

test('corrupted-INVALID: invalid version is a warning naming file and line', async () => {
  const dir = join(DPKG, 'trivy-testdata', 'corrupted-INVALID');
  const content = readFileSync(join(dir, 'var', 'lib', 'dpkg', 'status'));
  // make invalidpkg "installed" so it reaches the version check
  const installed = Buffer.from(content.toString('utf8').replace('Package: invalidpkg\n', 'Package: invalidpkg\nStatus: install ok installed\n'));
  const r = parseDpkgStatus({ path: 'var/lib/dpkg/status', content: installed });
  assert.equal(r.packages.some((p) => p.name === 'invalidpkg'), false);
  assert.ok(r.warnings.some((w) => /^var\/lib\/dpkg\/status: line \d+: package "invalidpkg": Version "1:5\.#"/.test(w)), r.warnings.join('\n'));
});

test('owned files from info/<pkg>[:arch].list and licenses from the copyright file', async () => {
  const copyright = readFileSync(join(DPKG, 'trivy-testdata', 'copyright-files', 'license-pattern-and-classifier-copyright'));
  const view = fileViewFromMap(
    {
      'var/lib/dpkg/status': [
        'Package: libc6',
        'Status: install ok installed',
        'Architecture: amd64',
        'Multi-Arch: same',
        'Version: 2.36-9+deb12u4',
        'Source: glibc',
        '',
        'Package: tar',
        'Status: install ok installed',
        'Architecture: amd64',
        'Version: 1.34+dfsg-1.2',
        '',
      ].join('\n'),
      'var/lib/dpkg/info/libc6:amd64.list': '/.\n/lib\n/lib/x86_64-linux-gnu/libc.so.6\n/etc/ld.so.conf.d/x86_64-linux-gnu.conf\n',
      'var/lib/dpkg/info/tar.list': '/.\n/bin/tar\n/usr/share/doc/tar/copyright\n',
      'usr/share/doc/tar/copyright': copyright,
    },
    selector,
  );
  const r = await dpkgCataloger.catalog(view, {});
  assert.deepEqual(
    [...(r.ownedFiles?.[0]?.paths ?? [])].sort(),
    ['bin/tar', 'etc/ld.so.conf.d/x86_64-linux-gnu.conf', 'lib', 'lib/x86_64-linux-gnu/libc.so.6', 'usr/share/doc/tar/copyright'],
  );
  assert.equal(r.ownedFiles?.[0]?.manager, 'dpkg');
  assert.deepEqual(r.packages.find((p) => p.name === 'tar')?.licenses, ['GPL-1+ or Artistic, and BSD-4-clause-POWERDOG', 'Zlib']);
  assert.equal(r.packages.find((p) => p.name === 'libc6')?.licenses, undefined);
});

test('licenses from the trivy copyright samples', () => {
  const read = (n: string) => readFileSync(join(DPKG, 'trivy-testdata', 'copyright-files', n), 'utf8');
  assert.deepEqual(licensesFromCopyright(read('all-patterns-copyright')), ['GPLv2+', 'GPL-2']);
  assert.deepEqual(licensesFromCopyright(read('common-license-copyright')), ['GPL-2']);
  assert.deepEqual(licensesFromCopyright(read('no-license-copyright')), []);
});

test('distroless status.d: one file per package, md5sums as owned files, no Status needed', async () => {
  const view = fileViewFromMap(
    {
      'etc/os-release': 'ID=debian\nVERSION_ID=12\nPRETTY_NAME="Distroless"\n',
      'var/lib/dpkg/status.d/base-files': 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n',
      'var/lib/dpkg/status.d/base-files.md5sums': 'd41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n',
      'var/lib/dpkg/status.d/libssl3': 'Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n',
    },
    selectorFor([dpkgCataloger]),
  );
  const os = detectOs(view).os;
  assert.equal(os?.distroless, true);
  const r = await dpkgCataloger.catalog(view, os ? { os } : {});
  assert.deepEqual(rows(r.packages), [
    'base-files\t12.4+deb12u5\tbase-files\t12.4+deb12u5\tamd64',
    'libssl3\t3.0.11-1~deb12u2\topenssl\t3.0.11-1~deb12u2\tamd64',
  ]);
  assert.equal(r.packages.find((p) => p.name === 'libssl3')?.path, 'var/lib/dpkg/status.d/libssl3');
  assert.deepEqual([...(r.ownedFiles?.[0]?.paths ?? [])], ['etc/debian_version']);
});

test('corrupt status files: warnings naming the file, never a throw', async () => {
  const valid = readFileSync(join(DPKG, 'trivy-testdata', 'valid', 'var', 'lib', 'dpkg', 'status'));
  const cases: Array<[string, Buffer]> = [
    ['truncated', valid.subarray(0, Math.floor(valid.length / 3))],
    ['garbage', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256))],
    ['continuation first', Buffer.from(' orphan continuation\nPackage: x\nStatus: install ok installed\nVersion: 1\n')],
    ['no colon', Buffer.from('Package: x\nStatus: install ok installed\nthis line has no colon\nVersion: 1.0\n')],
    ['bad status', Buffer.from('Package: x\nStatus: installed\nVersion: 1.0\n')],
    ['no version', Buffer.from('Package: x\nStatus: install ok installed\n')],
    ['no package', Buffer.from('Version: 1.0\nStatus: install ok installed\n')],
    ['empty', Buffer.alloc(0)],
  ];
  for (const [name, content] of cases) {
    const r: CatalogResult = await dpkgCataloger.catalog(fileViewFromMap({ 'var/lib/dpkg/status': content }, selector), {});
    if (name !== 'empty' && name !== 'truncated') assert.ok((r.warnings?.length ?? 0) > 0, name);
    for (const w of r.warnings ?? []) assert.match(w, /^var\/lib\/dpkg\/status: /, name);
  }
  const truncated = await dpkgCataloger.catalog(
    fileViewFromMap({ 'var/lib/dpkg/status': valid.subarray(0, Math.floor(valid.length / 3)) }, selector),
    {},
  );
  assert.ok(truncated.packages.length > 10 && truncated.packages.length < 90);
  const noColon = parseDpkgStatus({ path: 'var/lib/dpkg/status', content: Buffer.from('Package: x\nStatus: install ok installed\nthis line has no colon\nVersion: 1.0\n') });
  assert.deepEqual(noColon.warnings, ['var/lib/dpkg/status: line 3: not a "Field: value" line: "this line has no colon"']);
  assert.equal(noColon.packages.length, 1);
});
