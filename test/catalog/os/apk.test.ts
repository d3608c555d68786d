import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { selectorFor } from '../../../src/catalog/catalog.js';
import { apkCataloger, parseApkInstalled } from '../../../src/catalog/os/apk.js';
import { fileViewFromDir, fileViewFromMap, TEST_LAYER } from '../../support/file-view.js';
import { VULNDATA } from '../../support/paths.js';

const ROOT = join(VULNDATA, 'pkgdb', 'apk', 'trivy-testdata');
const DB = join(ROOT, 'lib', 'apk', 'db', 'installed');
const selector = selectorFor([apkCataloger]);
const alpine = { id: 'alpine', versionId: '3.19.1', path: 'etc/os-release' };

/** An independent, deliberately simple reading of the fixture: blocks split on blank lines. */
function expectedFromFixture(): Array<{ name: string; version: string; arch: string; origin: string; license: string }> {
  const out = [];
  for (const block of readFileSync(DB, 'utf8').split(/\n\s*\n/)) {
    const get = (k: string) => block.split('\n').find((l) => l.startsWith(`${k}:`))?.slice(2);
    const name = get('P');
    const version = get('V');
    if (!name || !version) continue;
    out.push({ name, version, arch: get('A') ?? '', origin: get('o') ?? '', license: get('L') ?? '' });
  }
  return out;
}

test('trivy apk installed DB: exact packages; the broken entry is a warning', async () => {
  const expected = expectedFromFixture();
  assert.equal(expected.length, 15);
  const result = await apkCataloger.catalog(fileViewFromDir(ROOT, selector), { os: alpine });
  assert.deepEqual(
    result.packages.map((p) => ({ name: p.name, version: p.version, arch: p.arch ?? '', origin: p.source?.name ?? '', license: p.licenses?.[0] ?? '' })),
    expected,
  );
  assert.deepEqual(result.warnings, [
    'lib/apk/db/installed: line 23: package "invalidPackageWithoutAVersion" without V (version), skipped',
  ]);
  // a few spot values written by hand from the file
  const musl = result.packages[0]!;
  assert.deepEqual([musl.name, musl.version, musl.arch, musl.licenses], ['musl', '1.1.14-r10', 'x86_64', ['MIT']]);
  assert.equal(musl.purl, 'pkg:apk/alpine/musl@1.1.14-r10?arch=x86_64&distro=alpine-3.19.1');
  assert.equal(musl.ecosystem, 'alpine');
  assert.equal(musl.foundBy, 'apk');
  assert.equal(musl.path, 'lib/apk/db/installed');
  assert.deepEqual(musl.layer, TEST_LAYER);
  const busybox = result.packages.find((p) => p.name === 'busybox');
  assert.equal(busybox?.version, '1.24.2-r9');
});

test('owned files: F directory + R file lines', () => {
  const r = parseApkInstalled({ path: 'lib/apk/db/installed', content: readFileSync(DB) }, alpine);
  assert.deepEqual(r.ownedFiles.get('musl'), ['lib/libc.musl-x86_64.so.1', 'lib/ld-musl-x86_64.so.1']);
  assert.ok(r.ownedFiles.get('busybox')?.includes('bin/busybox'));
  // every owned file in the fixture is an R line
  const rCount = readFileSync(DB, 'utf8').split('\n').filter((l) => l.startsWith('R:')).length;
  const total = [...r.ownedFiles.values()].reduce((n, l) => n + l.length, 0);
  assert.equal(total, rCount);
});

test('origin differs from the name: source package is the origin; no os → alpine namespace, no distro', () => {
  const r = parseApkInstalled({
    path: 'lib/apk/db/installed',
    content: Buffer.from('P:libcrypto3\nV:3.1.4-r5\nA:aarch64\no:openssl\nL:Apache-2.0\n\nP:Upper\nV:1-r0\n'),
  });
  assert.deepEqual(r.packages[0]?.source, { name: 'openssl' });
  assert.equal(r.packages[0]?.purl, 'pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=aarch64');
  assert.equal(r.packages[1]?.purl, 'pkg:apk/alpine/upper@1-r0');
  assert.equal(r.packages[1]?.name, 'Upper');
});

test('corrupt installed DBs: warnings naming the file, never a throw', async () => {
  const valid = readFileSync(DB);
  const cases: Buffer[] = [
    valid.subarray(0, 700),
    Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256)),
    Buffer.from('P:x\nno colon here\nV:1-r0\n'),
    Buffer.from('V:1-r0\nA:x86_64\n'),
    Buffer.from('P:evil\nV:1-r0\nF:etc\nR:../../etc/shadow\n'),
  ];
  for (const content of cases) {
    const r = await apkCataloger.catalog(fileViewFromMap({ 'lib/apk/db/installed': content }, selector), {});
    for (const w of r.warnings ?? []) assert.match(w, /^lib\/apk\/db\/installed: line \d+: /);
  }
  const evil = parseApkInstalled({ path: 'lib/apk/db/installed', content: cases[4]! });
  assert.equal(evil.ownedFiles.size, 0);
  assert.equal(evil.warnings.length, 1);
  const noName = parseApkInstalled({ path: 'lib/apk/db/installed', content: cases[3]! });
  assert.deepEqual(noName.warnings, ['lib/apk/db/installed: line 1: package without P (name), skipped']);
});
