/**
 * Small realistic inventories for the SBOM tests: a Debian-based image with
 * dpkg packages (an epoch, source packages that differ from the binary), npm
 * (scoped, with a dependency), pypi, a Go binary (module + stdlib) and a Maven
 * jar; and an Alpine image. Purls are written out literally, as the spec and
 * packageurl-js spell them, so the tests can compare them exactly.
 */
import type { Digest } from '../../src/core/digest.js';
import type { LayerOrigin } from '../../src/core/files.js';
import type { Inventory, Package } from '../../src/core/inventory.js';
import type { SbomImage } from '../../src/sbom/common.js';

const hex = (c: string): string => c.repeat(64);
export const d = (c: string): Digest => `sha256:${hex(c)}`;

export const LAYERS: readonly LayerOrigin[] = [
  { index: 0, digest: d('a'), diffId: d('b') },
  { index: 1, digest: d('c'), diffId: d('e') },
  { index: 2, digest: d('f'), diffId: d('1') },
];
const [L0, L1, L2] = LAYERS as [LayerOrigin, LayerOrigin, LayerOrigin];

export const DEBIAN_IMAGE: SbomImage = {
  name: 'registry.example/app:1.4.2',
  digest: d('2'),
  configDigest: d('3'),
  platform: { os: 'linux', architecture: 'amd64' },
};

export const DEBIAN_PACKAGES: readonly Package[] = [
  {
    name: 'libc6',
    version: '2.36-9+deb12u4',
    ecosystem: 'debian',
    purl: 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12',
    foundBy: 'dpkg',
    path: 'var/lib/dpkg/status',
    layer: L0,
    source: { name: 'glibc' },
    arch: 'amd64',
    licenses: ['GPL-2.0-only', 'LGPL-2.1-or-later'],
  },
  {
    name: 'bsdutils',
    version: '1:2.38.1-5+b1',
    ecosystem: 'debian',
    purl: 'pkg:deb/debian/bsdutils@2.38.1-5+b1?arch=amd64&distro=debian-12&epoch=1',
    foundBy: 'dpkg',
    path: 'var/lib/dpkg/status',
    layer: L0,
    source: { name: 'util-linux', version: '2.38.1-5' },
    arch: 'amd64',
    licenses: ['GPL-2.0-or-later', 'public-domain'],
    epoch: 1,
  },
  {
    name: 'tzdata',
    version: '2024a-0+deb12u1',
    ecosystem: 'debian',
    purl: 'pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all&distro=debian-12',
    foundBy: 'dpkg',
    path: 'var/lib/dpkg/status',
    layer: L0,
    source: { name: 'tzdata' },
    arch: 'all',
  },
  {
    name: '@babel/core',
    version: '7.24.0',
    ecosystem: 'npm',
    purl: 'pkg:npm/%40babel/core@7.24.0',
    foundBy: 'npm',
    path: 'app/node_modules/@babel/core/package.json',
    layer: L2,
    licenses: ['MIT'],
    dependsOn: ['pkg:npm/%40babel/parser@7.24.0'],
  },
  {
    name: '@babel/parser',
    version: '7.24.0',
    ecosystem: 'npm',
    purl: 'pkg:npm/%40babel/parser@7.24.0',
    foundBy: 'npm',
    path: 'app/node_modules/@babel/parser/package.json',
    layer: L2,
    licenses: ['MIT'],
  },
  {
    name: 'PyYAML',
    version: '6.0.1',
    ecosystem: 'pypi',
    purl: 'pkg:pypi/pyyaml@6.0.1',
    foundBy: 'python',
    path: 'usr/lib/python3/dist-packages/PyYAML-6.0.1.dist-info/METADATA',
    layer: L1,
    licenses: ['MIT'],
  },
  {
    name: 'zope.interface',
    version: '6.1',
    ecosystem: 'pypi',
    purl: 'pkg:pypi/zope-interface@6.1',
    foundBy: 'python',
    path: 'usr/lib/python3/dist-packages/zope.interface-6.1.dist-info/METADATA',
    layer: L1,
    licenses: ['ZPL-2.1'],
  },
  {
    name: 'github.com/sirupsen/logrus',
    version: 'v1.9.3',
    ecosystem: 'go',
    purl: 'pkg:golang/github.com/sirupsen/logrus@v1.9.3',
    foundBy: 'go-binary',
    path: 'usr/local/bin/app',
    layer: L2,
    metadata: { kind: 'dependency' },
  },
  {
    name: 'stdlib',
    version: '1.22.1',
    ecosystem: 'go',
    purl: 'pkg:golang/stdlib@1.22.1',
    foundBy: 'go-binary',
    path: 'usr/local/bin/app',
    layer: L2,
    metadata: { kind: 'stdlib', goVersion: 'go1.22.1' },
  },
  {
    name: 'org.apache.logging.log4j:log4j-core',
    version: '2.17.1',
    ecosystem: 'maven',
    purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1',
    foundBy: 'java',
    path: 'app/lib/log4j-core-2.17.1.jar',
    layer: L2,
    licenses: ['Apache-2.0'],
    metadata: { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core' },
  },
];

export const DEBIAN_INVENTORY: Inventory = {
  os: {
    id: 'debian',
    versionId: '12',
    versionCodename: 'bookworm',
    prettyName: 'Debian GNU/Linux 12 (bookworm)',
    path: 'etc/os-release',
  },
  packages: DEBIAN_PACKAGES,
  ownedFiles: [],
  warnings: [],
};

export const ALPINE_INVENTORY: Inventory = {
  os: { id: 'alpine', versionId: '3.19.1', prettyName: 'Alpine Linux v3.19', path: 'etc/os-release' },
  packages: [
    {
      name: 'musl',
      version: '1.2.4_git20230717-r4',
      ecosystem: 'alpine',
      purl: 'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1',
      foundBy: 'apk',
      path: 'lib/apk/db/installed',
      layer: L0,
      source: { name: 'musl' },
      arch: 'x86_64',
      licenses: ['MIT'],
    },
    {
      name: 'ssl_client',
      version: '1.36.1-r15',
      ecosystem: 'alpine',
      purl: 'pkg:apk/alpine/ssl_client@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1',
      foundBy: 'apk',
      path: 'lib/apk/db/installed',
      layer: L0,
      source: { name: 'busybox' },
      arch: 'x86_64',
      licenses: ['GPL-2.0-only'],
    },
  ],
  ownedFiles: [],
  warnings: [],
};

/** What the round-trip tests compare: the identity and origin of each package. */
export function packageSet(packages: readonly Package[]): string[] {
  return packages
    .map((p) => [p.name, p.version, p.purl, p.ecosystem, p.layer ? `${p.layer.index}/${p.layer.digest}/${p.layer.diffId ?? '-'}` : 'no-layer'].join(' | '))
    .sort();
}

/** `count` synthetic packages (Debian and npm alternately), for the large-document tests and the benchmark. */
export function largeInventory(count: number): Inventory {
  const packages: Package[] = [];
  for (let i = 0; i < count; i++) {
    const layer = LAYERS[i % LAYERS.length] as LayerOrigin;
    if (i % 2 === 0) {
      packages.push({
        name: `lib-${i}`,
        version: `1.${i}-1`,
        ecosystem: 'debian',
        purl: `pkg:deb/debian/lib-${i}@1.${i}-1?arch=amd64&distro=debian-12`,
        foundBy: 'dpkg',
        path: 'var/lib/dpkg/status',
        layer,
        source: { name: `src-${i}` },
        arch: 'amd64',
        licenses: ['GPL-2.0-only'],
      });
    } else {
      packages.push({
        name: `@scope/pkg-${i}`,
        version: `2.0.${i}`,
        ecosystem: 'npm',
        purl: `pkg:npm/%40scope/pkg-${i}@2.0.${i}`,
        foundBy: 'npm',
        path: `app/node_modules/@scope/pkg-${i}/package.json`,
        layer,
        licenses: ['MIT OR Apache-2.0'],
        ...(i > 1 ? { dependsOn: [`pkg:npm/%40scope/pkg-${i - 2}@2.0.${i - 2}`] } : {}),
      });
    }
  }
  return { os: DEBIAN_INVENTORY.os, packages, ownedFiles: [], warnings: [] };
}
