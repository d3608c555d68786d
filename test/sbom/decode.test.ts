import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { Inventory, Package } from '../../src/core/inventory.js';
import { toCycloneDxJson } from '../../src/sbom/cyclonedx.js';
import { decodeSbom, decodeSbomFile, decodeSbomStream } from '../../src/sbom/decode.js';
import { SbomError } from '../../src/sbom/errors.js';
import { toInventoryJson } from '../../src/sbom/json.js';
import { toSpdxJson } from '../../src/sbom/spdx.js';
import { ALPINE_INVENTORY, d, DEBIAN_IMAGE, DEBIAN_INVENTORY, DEBIAN_PACKAGES, LAYERS, largeInventory, packageSet } from './fixtures.js';

const byPurlPath = (a: Package, b: Package): number => (a.purl + a.path < b.purl + b.path ? -1 : 1);
/** Packages in a stable order, licences sorted (CycloneDX sorts its licence lists). */
const sorted = (ps: readonly Package[]): Package[] => [...ps].sort(byPurlPath).map((p) => (p.licenses ? { ...p, licenses: [...p.licenses].sort() } : p));
const code = (c: string) => (e: unknown) => e instanceof SbomError && e.code === c;

// ---------------------------------------------------------------------------
// Our own formats round-trip without loss.

test('our CycloneDX decodes back to the same packages, OS and image', () => {
  const text = toCycloneDxJson(DEBIAN_INVENTORY, { image: DEBIAN_IMAGE });
  const decoded = decodeSbom(text);
  assert.equal(decoded.format, 'cyclonedx');
  assert.equal(decoded.formatVersion, '1.6');
  assert.equal(decoded.producer, 'portcullis');
  assert.deepEqual(decoded.image, DEBIAN_IMAGE);
  assert.deepEqual(decoded.inventory.os, DEBIAN_INVENTORY.os);
  assert.deepEqual(sorted(decoded.inventory.packages), sorted(DEBIAN_PACKAGES));
  assert.deepEqual(decoded.inventory.warnings, []);
});

test('our SPDX decodes back to the same packages, OS and image', () => {
  const decoded = decodeSbom(toSpdxJson(DEBIAN_INVENTORY, { image: DEBIAN_IMAGE }));
  assert.equal(decoded.format, 'spdx');
  assert.equal(decoded.formatVersion, 'SPDX-2.3');
  assert.equal(decoded.producer, 'portcullis');
  assert.deepEqual(decoded.image, DEBIAN_IMAGE);
  assert.deepEqual(decoded.inventory.os, DEBIAN_INVENTORY.os);
  assert.deepEqual(sorted(decoded.inventory.packages), sorted(DEBIAN_PACKAGES));
});

test('our native JSON decodes back to the same inventory', () => {
  const text = toInventoryJson(DEBIAN_INVENTORY, { image: DEBIAN_IMAGE });
  const doc = JSON.parse(text) as { schemaVersion: number; packages: Package[] };
  assert.equal(doc.schemaVersion, 1);
  assert.deepEqual(doc.packages.map((p) => p.purl), sorted(DEBIAN_PACKAGES).map((p) => p.purl).sort());
  const decoded = decodeSbom(text);
  assert.equal(decoded.format, 'portcullis-json');
  assert.deepEqual(decoded.image, DEBIAN_IMAGE);
  assert.deepEqual(decoded.inventory.os, DEBIAN_INVENTORY.os);
  assert.deepEqual(sorted(decoded.inventory.packages), sorted(DEBIAN_PACKAGES));
});

test('the Alpine inventory round-trips through all three formats', () => {
  for (const text of [toCycloneDxJson(ALPINE_INVENTORY), toSpdxJson(ALPINE_INVENTORY), toInventoryJson(ALPINE_INVENTORY)]) {
    const decoded = decodeSbom(text);
    assert.deepEqual(sorted(decoded.inventory.packages), sorted(ALPINE_INVENTORY.packages), decoded.format);
    assert.equal(decoded.inventory.os?.id, 'alpine');
    assert.equal(decoded.inventory.os?.versionId, '3.19.1');
  }
});

// ---------------------------------------------------------------------------
// Syft and Trivy documents for the same image decode to the same package set.

interface Prop {
  name: string;
  value: string;
}
const props = (o: Record<string, string | undefined>): Prop[] =>
  Object.entries(o)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => ({ name, value }));

const [L0, L1, L2] = LAYERS as [(typeof LAYERS)[number], (typeof LAYERS)[number], (typeof LAYERS)[number]];

/**
 * A Trivy-style CycloneDX 1.6 document for the fixture image, written after
 * aquasecurity/trivy `integration/testdata/fluentd-multiple-lockfiles.cdx.json.golden`
 * (container root with DiffID/ImageID/RepoDigest properties, an `operating-system`
 * component with a UUID bom-ref, purls as bom-refs, `aquasecurity:trivy:*`
 * properties: LayerDigest, LayerDiffID, PkgID, PkgType, SrcName, SrcVersion,
 * SrcRelease, FilePath; Debian point release in the distro qualifier; `+` as `%2B`)
 * and `docs/guide/supply-chain/sbom.md`.
 */
function trivyDocument(): unknown {
  const lib = (o: {
    purl: string;
    name: string;
    group?: string;
    version: string;
    licenses?: string[];
    layer: (typeof LAYERS)[number];
    pkgType: string;
    pkgId: string;
    src?: { name: string; version: string; release?: string; epoch?: string };
    filePath?: string;
  }): unknown => ({
    'bom-ref': o.purl,
    type: 'library',
    ...(o.group ? { group: o.group } : {}),
    name: o.name,
    version: o.version,
    ...(o.licenses ? { licenses: o.licenses.map((id) => ({ license: { id } })) } : {}),
    purl: o.purl,
    properties: props({
      'aquasecurity:trivy:FilePath': o.filePath,
      'aquasecurity:trivy:LayerDiffID': o.layer.diffId,
      'aquasecurity:trivy:LayerDigest': o.layer.digest,
      'aquasecurity:trivy:PkgID': o.pkgId,
      'aquasecurity:trivy:PkgType': o.pkgType,
      'aquasecurity:trivy:SrcEpoch': o.src?.epoch,
      'aquasecurity:trivy:SrcName': o.src?.name,
      'aquasecurity:trivy:SrcRelease': o.src?.release,
      'aquasecurity:trivy:SrcVersion': o.src?.version,
    }),
  });
  const osRef = '3ff14136-e09f-4df9-80ea-000000000002';
  const rootRef = 'pkg:oci/app@sha256%3A2222222222222222222222222222222222222222222222222222222222222222?arch=amd64&repository_url=registry.example%2Fapp';
  const appRef = '3ff14136-e09f-4df9-80ea-000000000003';
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: 'urn:uuid:3ff14136-e09f-4df9-80ea-000000000001',
    version: 1,
    metadata: {
      timestamp: '2024-03-01T12:00:00+00:00',
      tools: { components: [{ type: 'application', group: 'aquasecurity', name: 'trivy', version: '0.50.0' }] },
      component: {
        'bom-ref': rootRef,
        type: 'container',
        name: 'registry.example/app:1.4.2',
        purl: rootRef,
        properties: props({
          'aquasecurity:trivy:ImageID': d('3'),
          'aquasecurity:trivy:RepoDigest': `registry.example/app@${d('2')}`,
          'aquasecurity:trivy:RepoTag': 'registry.example/app:1.4.2',
          'aquasecurity:trivy:SchemaVersion': '2',
        }),
      },
    },
    components: [
      { 'bom-ref': osRef, type: 'operating-system', name: 'debian', version: '12.5', properties: props({ 'aquasecurity:trivy:Class': 'os-pkgs', 'aquasecurity:trivy:Type': 'debian' }) },
      { 'bom-ref': appRef, type: 'application', name: 'app/package-lock.json', properties: props({ 'aquasecurity:trivy:Class': 'lang-pkgs', 'aquasecurity:trivy:Type': 'npm' }) },
      lib({ purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5', name: 'libc6', version: '2.36-9+deb12u4', licenses: ['GPL-2.0-only', 'LGPL-2.1-or-later'], layer: L0, pkgType: 'debian', pkgId: 'libc6@2.36-9+deb12u4', src: { name: 'glibc', version: '2.36', release: '9+deb12u4' } }),
      lib({ purl: 'pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?arch=amd64&distro=debian-12.5&epoch=1', name: 'bsdutils', version: '1:2.38.1-5+b1', licenses: ['GPL-2.0-or-later'], layer: L0, pkgType: 'debian', pkgId: 'bsdutils@1:2.38.1-5+b1', src: { name: 'util-linux', version: '2.38.1', release: '5' } }),
      lib({ purl: 'pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12.5', name: 'tzdata', version: '2024a-0+deb12u1', layer: L0, pkgType: 'debian', pkgId: 'tzdata@2024a-0+deb12u1', src: { name: 'tzdata', version: '2024a', release: '0+deb12u1' } }),
      lib({ purl: 'pkg:npm/%40babel/core@7.24.0', name: '@babel/core', version: '7.24.0', licenses: ['MIT'], layer: L2, pkgType: 'node-pkg', pkgId: '@babel/core@7.24.0', filePath: 'app/node_modules/@babel/core/package.json' }),
      lib({ purl: 'pkg:npm/%40babel/parser@7.24.0', name: '@babel/parser', version: '7.24.0', licenses: ['MIT'], layer: L2, pkgType: 'node-pkg', pkgId: '@babel/parser@7.24.0', filePath: 'app/node_modules/@babel/parser/package.json' }),
      lib({ purl: 'pkg:pypi/pyyaml@6.0.1', name: 'PyYAML', version: '6.0.1', licenses: ['MIT'], layer: L1, pkgType: 'python-pkg', pkgId: 'PyYAML@6.0.1', filePath: 'usr/lib/python3/dist-packages/PyYAML-6.0.1.dist-info/METADATA' }),
      lib({ purl: 'pkg:pypi/zope-interface@6.1', name: 'zope.interface', version: '6.1', licenses: ['ZPL-2.1'], layer: L1, pkgType: 'python-pkg', pkgId: 'zope.interface@6.1', filePath: 'usr/lib/python3/dist-packages/zope.interface-6.1.dist-info/METADATA' }),
      lib({ purl: 'pkg:golang/github.com/sirupsen/logrus@v1.9.3', name: 'github.com/sirupsen/logrus', version: 'v1.9.3', layer: L2, pkgType: 'gobinary', pkgId: 'github.com/sirupsen/logrus@v1.9.3', filePath: 'usr/local/bin/app' }),
      lib({ purl: 'pkg:golang/stdlib@v1.22.1', name: 'stdlib', version: 'v1.22.1', layer: L2, pkgType: 'gobinary', pkgId: 'stdlib@v1.22.1', filePath: 'usr/local/bin/app' }),
      lib({ purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1', group: 'org.apache.logging.log4j', name: 'log4j-core', version: '2.17.1', licenses: ['Apache-2.0'], layer: L2, pkgType: 'jar', pkgId: 'org.apache.logging.log4j:log4j-core:2.17.1', filePath: 'app/lib/log4j-core-2.17.1.jar' }),
    ],
    dependencies: [
      { ref: rootRef, dependsOn: [osRef, appRef] },
      { ref: osRef, dependsOn: ['pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?arch=amd64&distro=debian-12.5&epoch=1', 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5', 'pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12.5'] },
      { ref: appRef, dependsOn: ['pkg:npm/%40babel/core@7.24.0'] },
      { ref: 'pkg:npm/%40babel/core@7.24.0', dependsOn: ['pkg:npm/%40babel/parser@7.24.0'] },
      { ref: 'pkg:npm/%40babel/parser@7.24.0', dependsOn: [] },
    ],
  };
}

/**
 * A Syft-style CycloneDX document, written after anchore/syft
 * `syft/format/cyclonedxjson/testdata/snapshot/TestCycloneDxImageEncoder.golden`:
 * `syft:package:foundBy|type|metadataType`, `syft:location:0:layerID` (a diffID)
 * and `syft:location:0:path` (absolute), `syft:metadata:*`, bom-refs with a
 * `package-id` qualifier, an `os:NAME@VERSION` operating-system component with
 * `syft:distro:*` properties. Syft writes the dpkg epoch inside the purl version
 * and the source package as the `upstream` qualifier; Go stdlib as `go1.x`.
 */
function syftCycloneDx(): unknown {
  const lib = (o: { purl: string; id: string; name: string; group?: string; version: string; licenses?: string[]; layer: (typeof LAYERS)[number]; path: string; foundBy: string; type: string; extra?: Record<string, string> }): unknown => ({
    'bom-ref': `${o.purl}${o.purl.includes('?') ? '&' : '?'}package-id=${o.id}`,
    type: 'library',
    ...(o.group ? { group: o.group } : {}),
    name: o.name,
    version: o.version,
    ...(o.licenses ? { licenses: o.licenses.map((id) => ({ license: { id } })) } : {}),
    purl: o.purl,
    properties: props({ 'syft:package:foundBy': o.foundBy, 'syft:package:type': o.type, 'syft:location:0:layerID': o.layer.diffId, 'syft:location:0:path': o.path, ...o.extra }),
  });
  const core = lib({ purl: 'pkg:npm/%40babel/core@7.24.0', id: 'c0de000000000001', name: '@babel/core', version: '7.24.0', licenses: ['MIT'], layer: L2, path: '/app/node_modules/@babel/core/package.json', foundBy: 'javascript-package-cataloger', type: 'npm' }) as { 'bom-ref': string };
  const parser = lib({ purl: 'pkg:npm/%40babel/parser@7.24.0', id: 'c0de000000000002', name: '@babel/parser', version: '7.24.0', licenses: ['MIT'], layer: L2, path: '/app/node_modules/@babel/parser/package.json', foundBy: 'javascript-package-cataloger', type: 'npm' }) as { 'bom-ref': string };
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: 'urn:uuid:8b0c6a0e-0000-4000-8000-000000000000',
    version: 1,
    metadata: {
      timestamp: '2024-03-01T12:00:00Z',
      tools: { components: [{ type: 'application', author: 'anchore', name: 'syft', version: '1.0.1' }] },
      component: { 'bom-ref': 'af63bd4c8601b7f1', type: 'container', name: 'registry.example/app:1.4.2', version: d('2') },
    },
    components: [
      lib({ purl: 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&upstream=glibc&distro=debian-12', id: '0000000000000001', name: 'libc6', version: '2.36-9+deb12u4', licenses: ['GPL-2.0-only', 'LGPL-2.1-or-later'], layer: L0, path: '/var/lib/dpkg/status', foundBy: 'dpkg-db-cataloger', type: 'deb', extra: { 'syft:metadata:source': 'glibc' } }),
      lib({ purl: 'pkg:deb/debian/bsdutils@1:2.38.1-5+b1?arch=amd64&upstream=util-linux%402.38.1-5&distro=debian-12', id: '0000000000000002', name: 'bsdutils', version: '1:2.38.1-5+b1', licenses: ['GPL-2.0-or-later'], layer: L0, path: '/var/lib/dpkg/status', foundBy: 'dpkg-db-cataloger', type: 'deb', extra: { 'syft:metadata:source': 'util-linux', 'syft:metadata:sourceVersion': '2.38.1-5' } }),
      lib({ purl: 'pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all&distro=debian-12', id: '0000000000000003', name: 'tzdata', version: '2024a-0+deb12u1', layer: L0, path: '/var/lib/dpkg/status', foundBy: 'dpkg-db-cataloger', type: 'deb' }),
      core,
      parser,
      lib({ purl: 'pkg:pypi/PyYAML@6.0.1', id: '0000000000000006', name: 'PyYAML', version: '6.0.1', licenses: ['MIT'], layer: L1, path: '/usr/lib/python3/dist-packages/PyYAML-6.0.1.dist-info/METADATA', foundBy: 'python-installed-package-cataloger', type: 'python' }),
      lib({ purl: 'pkg:pypi/zope.interface@6.1', id: '0000000000000007', name: 'zope.interface', version: '6.1', licenses: ['ZPL-2.1'], layer: L1, path: '/usr/lib/python3/dist-packages/zope.interface-6.1.dist-info/METADATA', foundBy: 'python-installed-package-cataloger', type: 'python' }),
      lib({ purl: 'pkg:golang/github.com/sirupsen/logrus@v1.9.3', id: '0000000000000008', name: 'github.com/sirupsen/logrus', version: 'v1.9.3', layer: L2, path: '/usr/local/bin/app', foundBy: 'go-module-binary-cataloger', type: 'go-module' }),
      lib({ purl: 'pkg:golang/stdlib@1.22.1', id: '0000000000000009', name: 'stdlib', version: 'go1.22.1', layer: L2, path: '/usr/local/bin/app', foundBy: 'go-module-binary-cataloger', type: 'go-module' }),
      lib({ purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1', id: '000000000000000a', group: 'org.apache.logging.log4j', name: 'log4j-core', version: '2.17.1', licenses: ['Apache-2.0'], layer: L2, path: '/app/lib/log4j-core-2.17.1.jar', foundBy: 'java-archive-cataloger', type: 'java-archive' }),
      {
        'bom-ref': 'os:debian@12',
        type: 'operating-system',
        name: 'debian',
        version: '12',
        description: 'Debian GNU/Linux 12 (bookworm)',
        swid: { tagId: 'debian', name: 'debian', version: '12' },
        properties: props({ 'syft:distro:id': 'debian', 'syft:distro:prettyName': 'Debian GNU/Linux 12 (bookworm)', 'syft:distro:versionCodename': 'bookworm', 'syft:distro:versionID': '12' }),
      },
    ],
    dependencies: [{ ref: core['bom-ref'], dependsOn: [parser['bom-ref']] }],
  };
}

/**
 * A Syft native JSON document, written after anchore/syft
 * `syft/format/syftjson/testdata/snapshot/TestImageEncoder.golden`: `artifacts[]`
 * with `locations[].layerID` (diffIDs), `licenses[].value/spdxExpression`,
 * `metadata` (dpkg `source`/`sourceVersion`), `artifactRelationships` (`dependency-of`:
 * parent is a dependency of child), `source.metadata` with the layer list (diffIDs,
 * in order) and the base64 manifest (compressed digests), `distro`.
 */
function syftJson(): unknown {
  const art = (o: { id: string; purl: string; name: string; version: string; type: string; foundBy: string; layer: (typeof LAYERS)[number]; path: string; licenses?: string[]; metadata?: Record<string, unknown> }): unknown => ({
    id: o.id,
    name: o.name,
    version: o.version,
    type: o.type,
    foundBy: o.foundBy,
    locations: [{ path: o.path, layerID: o.layer.diffId, accessPath: o.path }],
    licenses: (o.licenses ?? []).map((l) => ({ value: l, spdxExpression: l, type: 'declared', urls: [], locations: [] })),
    language: '',
    cpes: [],
    purl: o.purl,
    ...(o.metadata ? { metadataType: 'dpkg-db-entry', metadata: o.metadata } : {}),
  });
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('3'), size: 1000 },
    layers: LAYERS.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: 100 })),
  };
  return {
    artifacts: [
      art({ id: 'a1', purl: 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&upstream=glibc&distro=debian-12', name: 'libc6', version: '2.36-9+deb12u4', type: 'deb', foundBy: 'dpkg-db-cataloger', layer: L0, path: '/var/lib/dpkg/status', licenses: ['GPL-2.0-only', 'LGPL-2.1-or-later'], metadata: { package: 'libc6', source: 'glibc', version: '2.36-9+deb12u4', sourceVersion: '', architecture: 'amd64' } }),
      art({ id: 'a2', purl: 'pkg:deb/debian/bsdutils@1:2.38.1-5+b1?arch=amd64&upstream=util-linux%402.38.1-5&distro=debian-12', name: 'bsdutils', version: '1:2.38.1-5+b1', type: 'deb', foundBy: 'dpkg-db-cataloger', layer: L0, path: '/var/lib/dpkg/status', licenses: ['GPL-2.0-or-later'], metadata: { package: 'bsdutils', source: 'util-linux', version: '1:2.38.1-5+b1', sourceVersion: '2.38.1-5', architecture: 'amd64' } }),
      art({ id: 'a3', purl: 'pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all&distro=debian-12', name: 'tzdata', version: '2024a-0+deb12u1', type: 'deb', foundBy: 'dpkg-db-cataloger', layer: L0, path: '/var/lib/dpkg/status', metadata: { package: 'tzdata', source: '', version: '2024a-0+deb12u1', sourceVersion: '', architecture: 'all' } }),
      art({ id: 'a4', purl: 'pkg:npm/%40babel/core@7.24.0', name: '@babel/core', version: '7.24.0', type: 'npm', foundBy: 'javascript-package-cataloger', layer: L2, path: '/app/node_modules/@babel/core/package.json', licenses: ['MIT'] }),
      art({ id: 'a5', purl: 'pkg:npm/%40babel/parser@7.24.0', name: '@babel/parser', version: '7.24.0', type: 'npm', foundBy: 'javascript-package-cataloger', layer: L2, path: '/app/node_modules/@babel/parser/package.json', licenses: ['MIT'] }),
      art({ id: 'a6', purl: 'pkg:pypi/PyYAML@6.0.1', name: 'PyYAML', version: '6.0.1', type: 'python', foundBy: 'python-installed-package-cataloger', layer: L1, path: '/usr/lib/python3/dist-packages/PyYAML-6.0.1.dist-info/METADATA', licenses: ['MIT'] }),
      art({ id: 'a7', purl: 'pkg:pypi/zope.interface@6.1', name: 'zope.interface', version: '6.1', type: 'python', foundBy: 'python-installed-package-cataloger', layer: L1, path: '/usr/lib/python3/dist-packages/zope.interface-6.1.dist-info/METADATA', licenses: ['ZPL-2.1'] }),
      art({ id: 'a8', purl: 'pkg:golang/github.com/sirupsen/logrus@v1.9.3', name: 'github.com/sirupsen/logrus', version: 'v1.9.3', type: 'go-module', foundBy: 'go-module-binary-cataloger', layer: L2, path: '/usr/local/bin/app' }),
      art({ id: 'a9', purl: 'pkg:golang/stdlib@1.22.1', name: 'stdlib', version: 'go1.22.1', type: 'go-module', foundBy: 'go-module-binary-cataloger', layer: L2, path: '/usr/local/bin/app' }),
      art({ id: 'aa', purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1', name: 'log4j-core', version: '2.17.1', type: 'java-archive', foundBy: 'java-archive-cataloger', layer: L2, path: '/app/lib/log4j-core-2.17.1.jar', licenses: ['Apache-2.0'] }),
    ],
    artifactRelationships: [{ parent: 'a5', child: 'a4', type: 'dependency-of' }],
    source: {
      id: 'f'.repeat(64),
      name: 'registry.example/app',
      version: d('2'),
      type: 'image',
      metadata: {
        userInput: 'registry.example/app:1.4.2',
        imageID: d('3'),
        manifestDigest: d('2'),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        layers: LAYERS.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.diffId, size: 100 })),
        manifest: Buffer.from(JSON.stringify(manifest)).toString('base64'),
        architecture: 'amd64',
        os: 'linux',
      },
    },
    distro: { prettyName: 'Debian GNU/Linux 12 (bookworm)', name: 'Debian GNU/Linux', id: 'debian', version: '12 (bookworm)', versionID: '12', versionCodename: 'bookworm' },
    descriptor: { name: 'syft', version: '1.0.1' },
    schema: { version: '16.0.4', url: 'https://raw.githubusercontent.com/anchore/syft/main/schema/json/schema-16.0.4.json' },
  };
}

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

// ---------------------------------------------------------------------------
// Hostile and unsupported input.

test('malformed, non-object and unknown documents fail with clear codes', () => {
  assert.throws(() => decodeSbom('{"bomFormat": "CycloneDX", '), code('SBOM_INVALID'));
  assert.throws(() => decodeSbom('[1,2,3]'), code('SBOM_INVALID'));
  assert.throws(() => decodeSbom('"text"'), code('SBOM_INVALID'));
  assert.throws(() => decodeSbom('{"hello": "world"}'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('{"bomFormat":"CycloneDX","specVersion":"2.0","components":[]}'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('{"bomFormat":"CycloneDX"}'), code('SBOM_INVALID'));
  assert.throws(() => decodeSbom('{"bomFormat":"CycloneDX","specVersion":"1.6","components":{}}'), code('SBOM_INVALID'));
  assert.throws(() => decodeSbom('{"spdxVersion":"SPDX-3.0","packages":[]}'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('{"schemaVersion":2,"packages":[]}'), code('SBOM_UNSUPPORTED'));
});

test('byte and component caps fail with TOO_LARGE (buffer, stream and file)', async () => {
  const text = toCycloneDxJson(DEBIAN_INVENTORY, { image: DEBIAN_IMAGE });
  assert.throws(() => decodeSbom(text, { maxBytes: 1000 }), code('TOO_LARGE'));
  assert.throws(() => decodeSbom(text, { maxComponents: 5 }), code('TOO_LARGE'));
  assert.throws(() => decodeSbom(toSpdxJson(DEBIAN_INVENTORY), { maxComponents: 5 }), code('TOO_LARGE'));
  assert.throws(() => decodeSbom(JSON.stringify(syftJson()), { maxComponents: 5 }), code('TOO_LARGE'));
  assert.throws(() => decodeSbom(toInventoryJson(DEBIAN_INVENTORY), { maxComponents: 5 }), code('TOO_LARGE'));
  // A stream is cut as soon as the cap is passed: the rest is never pulled.
  let pulled = 0;
  async function* endless(): AsyncGenerator<Uint8Array> {
    for (;;) {
      pulled++;
      yield Buffer.alloc(64 * 1024, 0x20);
    }
  }
  await assert.rejects(decodeSbomStream(endless(), { maxBytes: 1024 * 1024 }), code('TOO_LARGE'));
  assert.ok(pulled <= 17, `pulled ${pulled} chunks`);
  const decoded = await decodeSbomStream(Readable.from([Buffer.from(text)]));
  assert.equal(decoded.inventory.packages.length, DEBIAN_PACKAGES.length);
  const dir = mkdtempSync(join(tmpdir(), 'sbom-decode-'));
  const file = join(dir, 'bom.json');
  writeFileSync(file, text);
  await assert.rejects(decodeSbomFile(file, { maxBytes: 100 }), code('TOO_LARGE'));
  assert.equal((await decodeSbomFile(file)).inventory.packages.length, DEBIAN_PACKAGES.length);
});

test('invalid purls and unknown purl types are warnings; the other packages are kept', () => {
  const doc = JSON.parse(toCycloneDxJson(DEBIAN_INVENTORY)) as { components: Array<Record<string, unknown>> };
  const libs = doc.components.filter((c) => c.type === 'library');
  (libs[0] as Record<string, unknown>).purl = 'pkg:maven/no-namespace@1.0';
  (libs[1] as Record<string, unknown>).purl = 'not a purl at all';
  (libs[2] as Record<string, unknown>).purl = 'pkg:generic/openssl@3.0.13';
  doc.components.push(42 as unknown as Record<string, unknown>);
  const decoded = decodeSbom(JSON.stringify(doc));
  assert.equal(decoded.inventory.packages.length, DEBIAN_PACKAGES.length - 3);
  const warnings = decoded.inventory.warnings.join('\n');
  assert.match(warnings, /components\[\d+\]: invalid package URL "pkg:maven\/no-namespace@1.0".*skipped/);
  assert.match(warnings, /components\[\d+\]: invalid package URL "not a purl at all"/);
  assert.match(warnings, /purl type "generic" is not one we catalogue/);
  assert.match(warnings, /not an object; skipped/);
});

test('deeply nested CycloneDX components are flattened without recursion', () => {
  // Built as text: JSON.stringify itself would recurse this deep.
  const depth = 20_000;
  const leaf = '{"type":"library","name":"leaf","version":"1.0.0","purl":"pkg:npm/leaf@1.0.0"}';
  const text = `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[${'{"type":"library","name":"n","components":['.repeat(depth)}${leaf}${']}'.repeat(depth)}]}`;
  const decoded = decodeSbom(text);
  assert.deepEqual(decoded.inventory.packages.map((p) => p.purl), ['pkg:npm/leaf@1.0.0']);
});

test('10,000 packages round-trip through CycloneDX, SPDX and native JSON', () => {
  const inv: Inventory = largeInventory(10_000);
  const expected = packageSet(inv.packages);
  for (const text of [toCycloneDxJson(inv, { space: 0 }), toSpdxJson(inv, { space: 0 }), toInventoryJson(inv, { space: 0 })]) {
    const decoded = decodeSbom(text);
    assert.deepEqual(packageSet(decoded.inventory.packages), expected, decoded.format);
    assert.equal(decoded.inventory.packages.filter((p) => p.dependsOn?.length === 1).length, 4_999, decoded.format);
  }
});
