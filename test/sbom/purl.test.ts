import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OsRelease } from '../../src/core/inventory.js';
import { SbomError } from '../../src/sbom/errors.js';
import {
  canonicalPurl,
  ecosystemOfPurl,
  formatPurl,
  packageNameOfPurl,
  packageVersionOfPurl,
  parsePurl,
  pep503Name,
  purlFor,
  tryParsePurl,
  upstreamOfPurl,
} from '../../src/sbom/purl.js';
import { ALPINE_INVENTORY, DEBIAN_INVENTORY } from './fixtures.js';

const debian: OsRelease = { id: 'debian', versionId: '12', path: 'etc/os-release' };
const ubuntu: OsRelease = { id: 'ubuntu', versionId: '22.04', path: 'etc/os-release' };
const alpine: OsRelease = { id: 'alpine', versionId: '3.19.1', path: 'etc/os-release' };
const rhel: OsRelease = { id: 'rhel', versionId: '9.3', path: 'etc/os-release' };

test('purlFor follows the per-type rules of the purl spec', () => {
  const cases: Array<[Parameters<typeof purlFor>[0], string]> = [
    [{ ecosystem: 'debian', name: 'libc6', version: '2.36-9+deb12u4', arch: 'amd64', os: debian }, 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12'],
    // The epoch is a qualifier, never part of the purl version.
    [{ ecosystem: 'debian', name: 'bsdutils', version: '1:2.38.1-5+b1', arch: 'amd64', os: debian }, 'pkg:deb/debian/bsdutils@2.38.1-5+b1?arch=amd64&distro=debian-12&epoch=1'],
    [{ ecosystem: 'debian', name: 'bsdutils', version: '2.38.1-5+b1', epoch: 1, os: debian }, 'pkg:deb/debian/bsdutils@2.38.1-5+b1?distro=debian-12&epoch=1'],
    [{ ecosystem: 'ubuntu', name: 'LibSSL3', version: '3.0.2-0ubuntu1.15', arch: 'amd64', os: ubuntu }, 'pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04'],
    [{ ecosystem: 'debian', name: 'zlib1g', version: '1:1.2.13.dfsg-1' }, 'pkg:deb/debian/zlib1g@1.2.13.dfsg-1?epoch=1'],
    [{ ecosystem: 'alpine', name: 'musl', version: '1.2.4_git20230717-r4', arch: 'x86_64', os: alpine }, 'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1'],
    [{ ecosystem: 'rpm', name: 'NetworkManager', version: '1:1.44.0-3.el9', arch: 'x86_64', os: rhel }, 'pkg:rpm/redhat/NetworkManager@1.44.0-3.el9?arch=x86_64&distro=rhel-9.3&epoch=1'],
    [{ ecosystem: 'npm', name: '@Babel/Core', version: '7.24.0' }, 'pkg:npm/%40babel/core@7.24.0'],
    [{ ecosystem: 'npm', name: 'left-pad', version: '1.3.0' }, 'pkg:npm/left-pad@1.3.0'],
    [{ ecosystem: 'pypi', name: 'Zope.Interface', version: '6.1' }, 'pkg:pypi/zope-interface@6.1'],
    [{ ecosystem: 'pypi', name: 'typing__extensions', version: '4.9.0' }, 'pkg:pypi/typing-extensions@4.9.0'],
    [{ ecosystem: 'go', name: 'github.com/Azure/azure-sdk-for-go', version: 'v68.0.0+incompatible' }, 'pkg:golang/github.com/Azure/azure-sdk-for-go@v68.0.0+incompatible'],
    [{ ecosystem: 'go', name: 'stdlib', version: 'go1.22.1' }, 'pkg:golang/stdlib@1.22.1'],
    [{ ecosystem: 'maven', name: 'org.apache.logging.log4j:log4j-core', version: '2.17.1' }, 'pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1'],
    [{ ecosystem: 'maven', name: 'log4j-core', version: '2.17.1', metadata: { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core' } }, 'pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1'],
    [{ ecosystem: 'rubygems', name: 'rails', version: '7.1.3' }, 'pkg:gem/rails@7.1.3'],
    [{ ecosystem: 'packagist', name: 'Laravel/Framework', version: 'v10.48.4' }, 'pkg:composer/laravel/framework@v10.48.4'],
    [{ ecosystem: 'cargo', name: 'serde', version: '1.0.197' }, 'pkg:cargo/serde@1.0.197'],
    [{ ecosystem: 'nuget', name: 'Newtonsoft.Json', version: '13.0.3' }, 'pkg:nuget/Newtonsoft.Json@13.0.3'],
  ];
  for (const [fields, expected] of cases) assert.equal(purlFor(fields), expected, `${fields.ecosystem} ${fields.name}`);
});

test('purlFor answers undefined for fields that cannot make a purl', () => {
  assert.equal(purlFor({ ecosystem: 'maven', name: 'no-group', version: '1' }), undefined);
  assert.equal(purlFor({ ecosystem: 'npm', name: '@scope/', version: '1' }), undefined);
  assert.equal(purlFor({ ecosystem: 'npm', name: '', version: '1' }), undefined);
  assert.equal(purlFor({ ecosystem: 'go', name: 'github.com/x/y', version: 'vnot-semver' }), undefined);
});

test('the fixtures purls are what purlFor builds for them', () => {
  for (const inv of [DEBIAN_INVENTORY, ALPINE_INVENTORY]) {
    for (const p of inv.packages) {
      const built = purlFor({ ecosystem: p.ecosystem, name: p.name, version: p.version, ...(p.arch ? { arch: p.arch } : {}), ...(p.metadata ? { metadata: p.metadata } : {}), ...(inv.os ? { os: inv.os } : {}) });
      assert.equal(built, p.purl, p.name);
    }
  }
});

test('parse and format round-trip, and name/version/ecosystem come back native', () => {
  const p = parsePurl('pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?epoch=1&distro=debian-12&arch=amd64');
  assert.equal(p.version, '2.38.1-5+b1');
  assert.equal(formatPurl(p), 'pkg:deb/debian/bsdutils@2.38.1-5+b1?arch=amd64&distro=debian-12&epoch=1');
  assert.equal(packageVersionOfPurl(p), '1:2.38.1-5+b1');
  assert.equal(ecosystemOfPurl(p), 'debian');
  assert.equal(ecosystemOfPurl(parsePurl('pkg:deb/ubuntu/libssl3@3.0.2')), 'ubuntu');
  assert.equal(packageNameOfPurl(parsePurl('pkg:npm/%40babel/core@7.24.0')), '@babel/core');
  assert.equal(packageNameOfPurl(parsePurl('pkg:maven/org.apache/commons-lang3@3.12.0')), 'org.apache:commons-lang3');
  assert.equal(packageNameOfPurl(parsePurl('pkg:golang/github.com/sirupsen/logrus@v1.9.3')), 'github.com/sirupsen/logrus');
  assert.equal(packageNameOfPurl(parsePurl('pkg:composer/laravel/framework@v10.0.0')), 'laravel/framework');
  assert.equal(ecosystemOfPurl(parsePurl('pkg:gem/rails@7.1.3')), 'rubygems');
  assert.equal(ecosystemOfPurl(parsePurl('pkg:composer/a/b@1')), 'packagist');
  assert.equal(ecosystemOfPurl(parsePurl('pkg:golang/stdlib@1.22.1')), 'go');
  assert.equal(ecosystemOfPurl(parsePurl('pkg:generic/openssl@3.0.0')), undefined);
  assert.equal(pep503Name('Foo.Bar__baz-_qux'), 'foo-bar-baz-qux');
});

test('canonicalPurl makes Syft and Trivy spellings of the same package equal to ours', () => {
  const ours = 'pkg:deb/debian/bsdutils@2.38.1-5+b1?arch=amd64&distro=debian-12&epoch=1';
  // Syft: epoch in the version, upstream qualifier.
  assert.equal(canonicalPurl('pkg:deb/debian/bsdutils@1:2.38.1-5+b1?arch=amd64&distro=debian-12&upstream=util-linux%402.38.1-5'), ours);
  // Trivy: %2B, and the Debian point release from /etc/debian_version.
  assert.equal(canonicalPurl('pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?arch=amd64&distro=debian-12.5&epoch=1'), ours);
  // Trivy apk: distro is the bare version.
  assert.equal(canonicalPurl('pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=3.19.1'), 'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1');
  assert.equal(canonicalPurl('pkg:golang/stdlib@v1.22.1'), 'pkg:golang/stdlib@1.22.1');
  assert.equal(canonicalPurl('pkg:pypi/Zope.Interface@6.1'), 'pkg:pypi/zope-interface@6.1');
  assert.equal(canonicalPurl(ours), ours);
});

test('upstream qualifiers become source packages', () => {
  assert.deepEqual(upstreamOfPurl(parsePurl('pkg:deb/debian/bsdutils@1:2.38.1-5?upstream=util-linux%402.38.1-5')), { name: 'util-linux', version: '2.38.1-5' });
  assert.deepEqual(upstreamOfPurl(parsePurl('pkg:apk/alpine/ssl_client@1.36.1-r15?upstream=busybox')), { name: 'busybox' });
  assert.equal(upstreamOfPurl(parsePurl('pkg:apk/alpine/musl@1.2.4')), undefined);
});

test('invalid purls throw PURL_INVALID', () => {
  for (const bad of ['', 'notapurl', 'pkg:maven/only-name@1', 'pkg:/x@1', `pkg:npm/${'a'.repeat(5000)}@1`]) {
    assert.throws(() => parsePurl(bad), (e: unknown) => e instanceof SbomError && e.code === 'PURL_INVALID', bad.slice(0, 40));
    assert.equal(tryParsePurl(bad), undefined);
  }
});
