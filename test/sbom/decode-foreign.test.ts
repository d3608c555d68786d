/**
 * SBOMs other tools wrote for the same image (Trivy and Syft CycloneDX, Syft
 * JSON, an SPDX 2.2 document from Syft) decode to the package set ours holds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Package } from '../../src/core/inventory.js';
import { decodeSbom } from '../../src/sbom/decode.js';
import { DEBIAN_IMAGE, DEBIAN_PACKAGES, LAYERS, d, packageSet } from './fixtures.js';
import { syftCycloneDx, syftJson, trivyDocument } from './foreign-documents.js';

const [L0] = LAYERS as [(typeof LAYERS)[number]];

function sources(ps: readonly Package[]): string[] {
  return ps.filter((p) => p.ecosystem === 'debian').map((p) => `${p.name} ${JSON.stringify(p.source)}`).sort();
}

test('a Trivy-style CycloneDX document decodes to the same package set as ours', () => {
  const decoded = decodeSbom(JSON.stringify(trivyDocument()), { layers: LAYERS });
  assert.equal(decoded.producer, 'trivy');
  assert.deepEqual(packageSet(decoded.inventory.packages), packageSet(DEBIAN_PACKAGES));
  assert.deepEqual(sources(decoded.inventory.packages), sources(DEBIAN_PACKAGES));
  assert.equal(decoded.inventory.os?.id, 'debian');
  assert.equal(decoded.inventory.os?.versionId, '12.5');
  assert.equal(decoded.image?.name, 'registry.example/app:1.4.2');
  assert.equal(decoded.image?.digest, d('2'));
  assert.equal(decoded.image?.configDigest, d('3'));
  assert.deepEqual(decoded.inventory.packages.find((p) => p.name === '@babel/core')?.dependsOn, ['pkg:npm/%40babel/parser@7.24.0']);
  assert.equal(decoded.inventory.packages.find((p) => p.name === 'PyYAML')?.path, 'usr/lib/python3/dist-packages/PyYAML-6.0.1.dist-info/METADATA');
  assert.equal(decoded.inventory.packages.find((p) => p.name === 'bsdutils')?.epoch, 1);
  assert.deepEqual(decoded.inventory.warnings, ['1 component without a purl skipped']);
});

test('without the image layers, Trivy layer hints are kept as metadata and said once', () => {
  const decoded = decodeSbom(JSON.stringify(trivyDocument()));
  const libc = decoded.inventory.packages.find((p) => p.name === 'libc6') as Package;
  assert.equal(libc.layer, undefined);
  assert.deepEqual(libc.metadata, { layerDiffID: L0.diffId, layerDigest: L0.digest });
  assert.equal(decoded.inventory.warnings.filter((w) => w.includes('diffID or digest only')).length, 1);
});

test('a Syft-style CycloneDX document decodes to the same package set as ours', () => {
  const decoded = decodeSbom(JSON.stringify(syftCycloneDx()), { layers: LAYERS });
  assert.equal(decoded.producer, 'syft');
  assert.deepEqual(packageSet(decoded.inventory.packages), packageSet(DEBIAN_PACKAGES));
  assert.deepEqual(sources(decoded.inventory.packages), sources(DEBIAN_PACKAGES));
  assert.deepEqual(decoded.inventory.os, { id: 'debian', versionId: '12', versionCodename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)', path: '' });
  assert.equal(decoded.inventory.packages.find((p) => p.name === 'libc6')?.foundBy, 'dpkg-db-cataloger');
  assert.equal(decoded.inventory.packages.find((p) => p.name === 'libc6')?.path, 'var/lib/dpkg/status');
  assert.deepEqual(decoded.inventory.packages.find((p) => p.name === '@babel/core')?.dependsOn, ['pkg:npm/%40babel/parser@7.24.0']);
  assert.deepEqual(decoded.inventory.warnings, []);
});

test('a Syft JSON document decodes to the same package set, placing layers from its own layer list and manifest', () => {
  const decoded = decodeSbom(JSON.stringify(syftJson()));
  assert.equal(decoded.format, 'syft-json');
  assert.equal(decoded.formatVersion, '16.0.4');
  assert.deepEqual(packageSet(decoded.inventory.packages), packageSet(DEBIAN_PACKAGES));
  assert.deepEqual(sources(decoded.inventory.packages), sources(DEBIAN_PACKAGES));
  assert.deepEqual(decoded.image, { ...DEBIAN_IMAGE });
  assert.equal(decoded.inventory.os?.versionCodename, 'bookworm');
  assert.deepEqual(decoded.inventory.packages.find((p) => p.name === '@babel/core')?.dependsOn, ['pkg:npm/%40babel/parser@7.24.0']);
  assert.deepEqual(decoded.inventory.warnings, []);
});

test('SPDX 2.2 documents with purl external refs are read', () => {
  const doc = {
    spdxVersion: 'SPDX-2.2',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: 'alpine:3.19',
    documentNamespace: 'https://anchore.com/syft/image/alpine-3.19-00000000',
    creationInfo: { created: '2024-03-01T12:00:00Z', creators: ['Organization: Anchore, Inc', 'Tool: syft-0.98.0'] },
    packages: [
      {
        name: 'musl',
        SPDXID: 'SPDXRef-Package-apk-musl-1',
        versionInfo: '1.2.4_git20230717-r4',
        downloadLocation: 'NOASSERTION',
        licenseDeclared: 'MIT',
        externalRefs: [
          { referenceCategory: 'SECURITY', referenceType: 'cpe23Type', referenceLocator: 'cpe:2.3:a:musl:musl:1.2.4:*:*:*:*:*:*:*' },
          { referenceCategory: 'PACKAGE_MANAGER', referenceType: 'purl', referenceLocator: 'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&upstream=musl&distro=alpine-3.19.1' },
        ],
      },
      { name: 'no-purl', SPDXID: 'SPDXRef-Package-x', downloadLocation: 'NOASSERTION' },
    ],
  };
  const decoded = decodeSbom(JSON.stringify(doc));
  assert.equal(decoded.producer, 'syft');
  assert.deepEqual(
    decoded.inventory.packages.map((p) => [p.name, p.version, p.purl, p.ecosystem, p.source?.name, p.licenses]),
    [['musl', '1.2.4_git20230717-r4', 'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1', 'alpine', 'musl', ['MIT']]],
  );
});
