/**
 * SBOMs other tools write for the fixture image of fixtures.ts (Trivy's
 * CycloneDX, Syft's CycloneDX and Syft's own JSON), each written after the
 * tool's golden files named above its builder: decode-foreign.test.ts checks
 * they decode to the same package set as ours, decode.test.ts caps them.
 */
import { LAYERS, d } from './fixtures.js';

interface Prop {
  name: string;
  value: string;
}
const props = (o: Record<string, string | undefined>): Prop[] =>
  Object.entries(o)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => ({ name, value }));

/** What Trivy and Syft both write for a library: a CycloneDX component named by its purl. */
function library(o: { purl: string; name: string; group?: string; version: string; licenses?: string[] }): Record<string, unknown> {
  return {
    type: 'library',
    ...(o.group ? { group: o.group } : {}),
    name: o.name,
    version: o.version,
    ...(o.licenses ? { licenses: o.licenses.map((id) => ({ license: { id } })) } : {}),
    purl: o.purl,
  };
}

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
export function trivyDocument(): unknown {
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
    ...library(o),
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
export function syftCycloneDx(): unknown {
  const lib = (o: { purl: string; id: string; name: string; group?: string; version: string; licenses?: string[]; layer: (typeof LAYERS)[number]; path: string; foundBy: string; type: string; extra?: Record<string, string> }): unknown => ({
    'bom-ref': `${o.purl}${o.purl.includes('?') ? '&' : '?'}package-id=${o.id}`,
    ...library(o),
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
export function syftJson(): unknown {
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
