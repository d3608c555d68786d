import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectOs, parseRedHatRelease, wantsReleaseFile } from '../../../src/catalog/os/release.js';
import { fileViewFromDir, fileViewFromMap } from '../../support/file-view.js';
import { VULNDATA } from '../../support/paths.js';

const OS = join(VULNDATA, 'pkgdb', 'os-release');
const selector = { wants: wantsReleaseFile };

function detectFromOsRelease(file: string) {
  return detectOs(fileViewFromMap({ 'etc/os-release': readFileSync(file) }, selector));
}

// Hand-written from reading each trivy fixture: id and VERSION_ID.
const TRIVY_POSITIVE: Record<string, [string, string]> = {
  activestate: ['activestate', '1.0'],
  alma: ['almalinux', '9.4'],
  alpine: ['alpine', '3.15.4'],
  'azurelinux-3.0': ['azurelinux', '3.0'],
  bottlerocket: ['bottlerocket', '1.34.0'],
  centos: ['centos', '7'],
  'centos-stream': ['centos', '8'],
  coreos: ['coreos', '3.15.4'],
  echo: ['echo', '1'],
  fedora: ['fedora', '42'],
  'mariner-1.0': ['mariner', '1.0'],
  'mariner-2.0': ['mariner', '2.0'],
  minimos: ['minimos', '20241031'],
  'opensuseleap-15.2.1': ['opensuse-leap', '15.2.1'],
  'opensuseleap-42.3': ['opensuse', '42.3'],
  opensusetumbleweed: ['opensuse-tumbleweed', '20220412'],
  oracle: ['ol', '8.10'],
  photon: ['photon', '4.0'],
  rhel: ['rhel', '9.4'],
  rocky: ['rocky', '9.3'],
  slemicro: ['sle-micro', '5.3'],
  'slemicro-rancher': ['sle-micro-rancher', '5.4'],
  'slemicro6.0': ['sl-micro', '6.0'],
  sles: ['sles', '15.3'],
};
const TRIVY_NEGATIVE = ['no-id', 'no-version', 'unknown'];

test('trivy os-release fixtures: all 27 files, 24 detected exactly, 3 negatives not detected', () => {
  const dir = join(OS, 'trivy-testdata');
  const names = readdirSync(dir).sort();
  assert.equal(names.length, 27);
  assert.deepEqual(names, [...Object.keys(TRIVY_POSITIVE), ...TRIVY_NEGATIVE].sort());
  for (const [name, [id, versionId]] of Object.entries(TRIVY_POSITIVE)) {
    const { os } = detectFromOsRelease(join(dir, name));
    assert.equal(os?.id, id, name);
    assert.equal(os?.versionId, versionId, name);
    assert.equal(os?.path, 'etc/os-release');
    assert.equal(os?.distroless, undefined);
  }
  for (const name of TRIVY_NEGATIVE) {
    const { os, warnings } = detectFromOsRelease(join(dir, name));
    assert.equal(os, undefined, name);
    assert.ok(warnings.length > 0, name);
  }
  assert.deepEqual(detectFromOsRelease(join(dir, 'rhel')).os?.idLike, ['fedora']);
});

test('claircore Alpine 3.3–3.18 and edge', () => {
  const root = join(OS, 'claircore-testdata', 'alpine');
  const dirs = readdirSync(root);
  assert.ok(dirs.length >= 17);
  for (const d of dirs) {
    const { os } = detectOs(fileViewFromDir(join(root, d), selector));
    assert.equal(os?.id, 'alpine', d);
    if (d === 'edge') assert.equal(os?.versionId, '3.19_alpha20230901');
    else assert.ok(os?.versionId === d || os?.versionId?.startsWith(`${d}.`), `${d}: ${os?.versionId}`);
  }
});

test('claircore Debian 7–12 and distroless 9–11', () => {
  for (const v of ['7', '8', '9', '10', '11', '12']) {
    const { os } = detectOs(fileViewFromDir(join(OS, 'claircore-testdata', 'debian', 'dist', v), selector));
    assert.deepEqual([os?.id, os?.versionId, os?.distroless], ['debian', v, undefined]);
  }
  for (const v of ['9', '10', '11']) {
    const { os } = detectOs(fileViewFromDir(join(OS, 'claircore-testdata', 'debian', 'distroless_dist', v), selector));
    assert.deepEqual([os?.id, os?.versionId, os?.distroless], ['debian', v, true]);
  }
});

test('claircore Ubuntu 10.04 (lsb-release only) to 23.10; "11" is really Debian', () => {
  const root = join(OS, 'claircore-testdata', 'ubuntu', 'dist');
  for (const d of readdirSync(root)) {
    const { os } = detectOs(fileViewFromDir(join(root, d), selector));
    if (d === '11') {
      assert.deepEqual([os?.id, os?.versionId], ['debian', '11']);
      continue;
    }
    assert.deepEqual([os?.id, os?.versionId], ['ubuntu', d], d);
  }
  const lucid = detectOs(fileViewFromDir(join(root, '10.04'), selector)).os;
  assert.equal(lucid?.path, 'etc/lsb-release');
  assert.equal(lucid?.versionCodename, 'lucid');
});

test('distribution-specific release files (trivy-testdata-other)', () => {
  const other = join(OS, 'trivy-testdata-other');
  const detect = (files: Record<string, Buffer | string>) => detectOs(fileViewFromMap(files, selector)).os;
  const read = (...p: string[]) => readFileSync(join(other, ...p));
  assert.deepEqual(
    [detect({ 'etc/debian_version': read('debian', 'debian_9', 'etc', 'debian_version') })].map((o) => [o?.id, o?.versionId]),
    [['debian', '9']],
  );
  const sid = detect({ 'etc/debian_version': read('debian', 'debian_sid', 'etc', 'debian_version') });
  assert.deepEqual([sid?.id, sid?.versionId, sid?.versionCodename], ['debian', undefined, 'buster']);
  assert.equal(detect({ 'etc/debian_version': read('debian', 'empty') }), undefined);
  const rh: Array<[string, string, string, string]> = [
    ['oracle_7/oracle-release', 'etc/oracle-release', 'ol', '7.6'],
    ['alma/almalinux-release', 'etc/almalinux-release', 'almalinux', '8.4'],
    ['rocky/rocky-release', 'etc/rocky-release', 'rocky', '8.4'],
    ['redhat_6/redhat-release', 'etc/redhat-release', 'rhel', '6.2'],
    ['fedora_29/fedora-release', 'etc/fedora-release', 'fedora', '29'],
    ['centos/centos-release', 'etc/centos-release', 'centos', '7.6.1810'],
  ];
  for (const [src, dest, id, version] of rh) {
    const os = detect({ [dest]: read('redhatbase', ...src.split('/')) });
    assert.deepEqual([os?.id, os?.versionId, os?.path], [id, version, dest], src);
  }
  assert.equal(detect({ 'etc/redhat-release': read('redhatbase', 'not_redhatbase', 'empty') }), undefined);
  const ubuntu = detect({ 'etc/lsb-release': read('ubuntu', 'lsb-release') });
  assert.deepEqual([ubuntu?.id, ubuntu?.versionId, ubuntu?.versionCodename], ['ubuntu', '18.04', 'bionic']);
  assert.equal(detect({ 'etc/lsb-release': read('ubuntu', 'invalid') }), undefined);
  const amazon = detect({ 'etc/system-release': 'Amazon Linux release 2 (Karoo)\n' });
  assert.deepEqual([amazon?.id, amazon?.versionId], ['amzn', '2']);
  assert.deepEqual(parseRedHatRelease('AlmaLinux release 8.4 (Electric Cheetah)'), {
    id: 'almalinux',
    versionId: '8.4',
    prettyName: 'AlmaLinux release 8.4 (Electric Cheetah)',
  });
});

test('precedence: etc/os-release, then usr/lib/os-release; no VERSION_ID takes the version from alpine-release', () => {
  const detect = (files: Record<string, string | { symlink: string }>) => detectOs(fileViewFromMap(files, selector)).os;
  assert.equal(detect({ 'etc/os-release': 'ID=alpine\nVERSION_ID=3.19.1\n', 'usr/lib/os-release': 'ID=debian\nVERSION_ID=12\n' })?.id, 'alpine');
  assert.equal(detect({ 'usr/lib/os-release': 'ID=debian\nVERSION_ID=12\n' })?.path, 'usr/lib/os-release');
  // etc/os-release is a symlink to ../usr/lib/os-release on systemd distributions
  const linked = detect({ 'etc/os-release': { symlink: '../usr/lib/os-release' }, 'usr/lib/os-release': 'ID="fedora"\nVERSION_ID=40\n' });
  assert.deepEqual([linked?.id, linked?.versionId], ['fedora', '40']);
  const noVersion = detect({ 'etc/os-release': 'ID=alpine\n', 'etc/alpine-release': '3.19.1\n' });
  assert.deepEqual([noVersion?.id, noVersion?.versionId], ['alpine', '3.19.1']);
  const sid = detect({ 'etc/os-release': 'ID=debian\nVERSION_CODENAME=trixie\nPRETTY_NAME="Debian GNU/Linux trixie/sid"\n' });
  assert.deepEqual([sid?.id, sid?.versionId, sid?.versionCodename], ['debian', undefined, 'trixie']);
});

test('distroless: dpkg status.d present and no shell; a shell or busybox means not distroless', () => {
  const base = { 'etc/os-release': 'ID=debian\nVERSION_ID=12\n', 'var/lib/dpkg/status.d/base-files': 'Package: base-files\n' };
  assert.equal(detectOs(fileViewFromMap(base, selector)).os?.distroless, true);
  assert.equal(detectOs(fileViewFromMap({ ...base, 'bin/sh': { symlink: 'dash' } }, selector)).os?.distroless, undefined);
  assert.equal(detectOs(fileViewFromMap({ ...base, 'bin/busybox': 'x' }, selector)).os?.distroless, undefined);
  assert.equal(detectOs(fileViewFromMap({ ...base, 'usr/bin/sh': 'x' }, selector)).os?.distroless, undefined);
  assert.equal(detectOs(fileViewFromMap({ 'etc/os-release': 'ID=debian\nVERSION_ID=12\n' }, selector)).os?.distroless, undefined);
});

test('garbage release files never throw', () => {
  const junk = Buffer.from([0xff, 0xfe, 0x00, 0x3d, 0x0a, 0x49, 0x44, 0x3d, 0x0a]);
  for (const path of ['etc/os-release', 'etc/alpine-release', 'etc/debian_version', 'etc/redhat-release', 'etc/lsb-release']) {
    const r = detectOs(fileViewFromMap({ [path]: junk }, selector));
    assert.equal(r.os, undefined, path);
  }
});
