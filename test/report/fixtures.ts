/**
 * Realistic scan results for the report writer tests: a Debian 12 image with
 * OS findings (fixed, no fix yet, will not fix), an npm lock file and a Go
 * binary as language targets, one VEX-suppressed finding, and hostile text
 * (`<script>`, `&`, quotes, newlines, `]]>`, pipes, a `javascript:` link) in
 * advisory fields, which are attacker-controlled input.
 */
import type { Finding, ScanResult } from '../../src/core/finding.js';
import type { Package } from '../../src/core/inventory.js';
import type { Digest } from '../../src/core/digest.js';

const hex = (c: string): string => c.repeat(64).slice(0, 64);
const d = (c: string): Digest => `sha256:${hex(c)}` as Digest;

export const LAYERS = [
  { digest: d('a1'), diffId: d('d1'), createdBy: '# debian.sh --arch \'amd64\' out/ \'bookworm\' \'@1700000000\'' },
  { digest: d('a2'), diffId: d('d2'), createdBy: 'RUN /bin/sh -c apt-get update && apt-get install -y curl # buildkit' },
  { digest: d('a3'), diffId: d('d3'), createdBy: 'COPY app /app # buildkit' },
] as const;

const layer = (i: 0 | 1 | 2) => ({ index: i, digest: LAYERS[i].digest, diffId: LAYERS[i].diffId });

export const HOSTILE_TITLE = `<script>window.__pwned=1</script> & "quoted" 'single' ]]> | pipe`;
export const HOSTILE_DESCRIPTION = `Line one <img src=x onerror="window.__pwned=2">\nLine two & ]]> <!-- --> </td></tr><tr data-severity="CRITICAL"><td>forged</td></tr>\n| a | b |`;

function deb(name: string, version: string, i: 0 | 1 | 2, source?: string): Package {
  return {
    name,
    version,
    ecosystem: 'debian',
    purl: `pkg:deb/debian/${name}@${encodeURIComponent(version)}?arch=amd64&distro=debian-12`,
    foundBy: 'dpkg',
    path: 'var/lib/dpkg/status',
    layer: layer(i),
    arch: 'amd64',
    ...(source ? { source: { name: source } } : {}),
  };
}

const openssl = deb('openssl', '3.0.11-1~deb12u1', 0);
const libssl = deb('libssl3', '3.0.11-1~deb12u1', 0, 'openssl');
const curl = deb('curl', '7.88.1-10+deb12u4', 1);
const bash = deb('bash', '5.2.15-2+b2', 0);
const zlib = deb('zlib1g', '1:1.2.13.dfsg-1', 0, 'zlib');

const lodash: Package = {
  name: 'lodash',
  version: '4.17.20',
  ecosystem: 'npm',
  purl: 'pkg:npm/lodash@4.17.20',
  foundBy: 'npm',
  path: 'app/package-lock.json',
  layer: layer(2),
};
const minimist: Package = {
  name: 'minimist',
  version: '1.2.5',
  ecosystem: 'npm',
  purl: 'pkg:npm/minimist@1.2.5',
  foundBy: 'npm',
  path: 'app/package-lock.json',
  layer: layer(2),
};
const xnet: Package = {
  name: 'golang.org/x/net',
  version: 'v0.15.0',
  ecosystem: 'go',
  purl: 'pkg:golang/golang.org/x/net@v0.15.0',
  foundBy: 'go-binary',
  path: 'app/bin/server',
  layer: layer(2),
  metadata: { kind: 'dep' },
};
const stdlib: Package = {
  name: 'stdlib',
  version: 'v1.21.3',
  ecosystem: 'go',
  purl: 'pkg:golang/stdlib@v1.21.3',
  foundBy: 'go-binary',
  path: 'app/bin/server',
  layer: layer(2),
  metadata: { kind: 'stdlib' },
};

function debianEvidence(source: string, id: string, range: string) {
  return { feed: 'debian-tracker', advisoryId: `DEBIAN-${id}`, vendorRecord: `debian-tracker:${source}/${id}`, ecosystem: 'Debian:12', queriedName: source, range, scheme: 'dpkg' };
}

export const FINDINGS: Finding[] = [
  {
    id: 'CVE-2023-5678',
    aliases: ['DSA-5532-1', 'DEBIAN-CVE-2023-5678'],
    package: openssl,
    installedVersion: openssl.version,
    fixedVersion: '3.0.13-1~deb12u1',
    status: 'fixed',
    severity: 'MEDIUM',
    severitySource: 'nvd',
    cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', score: 5.3 },
    title: 'openssl: Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH keys or parameters may be very slow',
    description: 'Issue summary: Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH keys or parameters may be very slow.',
    primaryUrl: 'https://security-tracker.debian.org/tracker/CVE-2023-5678',
    references: ['https://nvd.nist.gov/vuln/detail/CVE-2023-5678', 'https://www.openssl.org/news/secadv/20231106.txt'],
    published: '2023-11-06T16:15:42Z',
    modified: '2024-05-01T18:15:12Z',
    layer: layer(0),
    layerCreatedBy: LAYERS[0].createdBy,
    evidence: debianEvidence('openssl', 'CVE-2023-5678', '<3.0.13-1~deb12u1'),
  },
  {
    id: 'CVE-2023-5678',
    aliases: ['DSA-5532-1', 'DEBIAN-CVE-2023-5678'],
    package: libssl,
    installedVersion: libssl.version,
    fixedVersion: '3.0.13-1~deb12u1',
    status: 'fixed',
    severity: 'MEDIUM',
    severitySource: 'nvd',
    cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', score: 5.3 },
    title: 'openssl: Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH keys or parameters may be very slow',
    primaryUrl: 'https://security-tracker.debian.org/tracker/CVE-2023-5678',
    references: ['https://nvd.nist.gov/vuln/detail/CVE-2023-5678'],
    published: '2023-11-06T16:15:42Z',
    layer: layer(0),
    evidence: debianEvidence('openssl', 'CVE-2023-5678', '<3.0.13-1~deb12u1'),
  },
  {
    id: 'CVE-2023-38545',
    aliases: ['DEBIAN-CVE-2023-38545', 'DSA-5523-1'],
    package: curl,
    installedVersion: curl.version,
    fixedVersion: '7.88.1-10+deb12u5',
    status: 'fixed',
    severity: 'CRITICAL',
    severitySource: 'nvd',
    cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 },
    title: 'curl: heap based buffer overflow in the SOCKS5 proxy handshake',
    description: 'This flaw makes curl overflow a heap based buffer in the SOCKS5 proxy handshake.',
    primaryUrl: 'https://security-tracker.debian.org/tracker/CVE-2023-38545',
    references: ['https://curl.se/docs/CVE-2023-38545.html'],
    published: '2023-10-18T04:15:11Z',
    modified: '2024-01-24T14:15:10Z',
    layer: layer(1),
    layerCreatedBy: LAYERS[1].createdBy,
    evidence: debianEvidence('curl', 'CVE-2023-38545', '<7.88.1-10+deb12u5'),
  },
  {
    id: 'CVE-2022-3715',
    aliases: ['DEBIAN-CVE-2022-3715'],
    package: bash,
    installedVersion: bash.version,
    status: 'affected',
    severity: 'LOW',
    severitySource: 'debian',
    cvss: { version: '3.1', vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', score: 7.8 },
    title: 'bash: a heap-buffer-overflow in valid_parameter_transform',
    primaryUrl: 'https://security-tracker.debian.org/tracker/CVE-2022-3715',
    references: [],
    published: '2023-01-05T15:15:10Z',
    layer: layer(0),
    evidence: debianEvidence('bash', 'CVE-2022-3715', '>=0'),
  },
  {
    id: 'CVE-2023-45853',
    aliases: ['DEBIAN-CVE-2023-45853'],
    package: zlib,
    installedVersion: zlib.version,
    status: 'will-not-fix',
    severity: 'CRITICAL',
    severitySource: 'nvd',
    cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 },
    title: HOSTILE_TITLE,
    description: HOSTILE_DESCRIPTION,
    primaryUrl: 'javascript:alert(1)',
    references: ['javascript:alert(2)', 'https://github.com/madler/zlib/pull/843'],
    published: '2023-10-14T02:15:09Z',
    layer: layer(0),
    evidence: debianEvidence('zlib', 'CVE-2023-45853', '>=0'),
  },
  {
    id: 'CVE-2021-23337',
    aliases: ['GHSA-35jh-r3h4-6jhm'],
    package: lodash,
    installedVersion: lodash.version,
    fixedVersion: '4.17.21',
    status: 'fixed',
    severity: 'HIGH',
    severitySource: 'ghsa',
    cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', score: 7.2 },
    title: 'Command Injection in lodash',
    description: '`lodash` versions prior to 4.17.21 are vulnerable to Command Injection via the template function.',
    primaryUrl: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm',
    references: ['https://nvd.nist.gov/vuln/detail/CVE-2021-23337'],
    published: '2021-05-06T16:05:51Z',
    modified: '2023-11-08T04:03:14Z',
    layer: layer(2),
    evidence: { feed: 'osv', advisoryId: 'GHSA-35jh-r3h4-6jhm', ecosystem: 'npm', queriedName: 'lodash', range: '>=0, <4.17.21', scheme: 'semver' },
  },
  {
    id: 'CVE-2021-44906',
    aliases: ['GHSA-xvch-5gv4-984h'],
    package: minimist,
    installedVersion: minimist.version,
    fixedVersion: '1.2.6',
    status: 'fixed',
    severity: 'CRITICAL',
    severitySource: 'ghsa',
    cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 },
    title: 'Prototype Pollution in minimist',
    primaryUrl: 'https://github.com/advisories/GHSA-xvch-5gv4-984h',
    references: [],
    layer: layer(2),
    evidence: { feed: 'osv', advisoryId: 'GHSA-xvch-5gv4-984h', ecosystem: 'npm', queriedName: 'minimist', range: '>=0, <1.2.6', scheme: 'semver' },
    suppressed: { by: 'vex', reason: 'minimist is only used by the build tooling', justification: 'vulnerable_code_not_in_execute_path' },
  },
  {
    id: 'CVE-2023-44487',
    aliases: ['GHSA-qppj-fm5r-hxr3', 'GO-2023-2102'],
    package: xnet,
    installedVersion: xnet.version,
    fixedVersion: '0.17.0',
    status: 'fixed',
    severity: 'HIGH',
    severitySource: 'nvd',
    cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', score: 7.5 },
    title: 'HTTP/2 rapid reset can cause excessive work in net/http',
    primaryUrl: 'https://pkg.go.dev/vuln/GO-2023-2102',
    references: ['https://go.dev/issue/63417'],
    published: '2023-10-11T22:03:17Z',
    layer: layer(2),
    evidence: { feed: 'osv', advisoryId: 'GO-2023-2102', ecosystem: 'Go', queriedName: 'golang.org/x/net', range: '>=0, <0.17.0', scheme: 'go' },
  },
  {
    id: 'CVE-2023-39325',
    aliases: ['GO-2023-2102'],
    package: stdlib,
    installedVersion: stdlib.version,
    fixedVersion: '1.21.3',
    status: 'fixed',
    severity: 'HIGH',
    severitySource: 'nvd',
    cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', score: 7.5 },
    title: 'net/http: rapid stream resets can cause excessive work',
    primaryUrl: 'https://pkg.go.dev/vuln/GO-2023-2102',
    references: [],
    published: '0001-01-01T00:00:00Z',
    layer: layer(2),
    evidence: { feed: 'osv', advisoryId: 'GO-2023-2102', ecosystem: 'Go', queriedName: 'stdlib', range: '>=0, <1.21.3', scheme: 'go' },
  },
];

export const SCANNED_AT = '2024-03-01T12:00:00.000Z';
export const NOW = new Date('2024-03-01T12:34:56.000Z');
export const TOOL = { name: 'portcullis', version: '1.2.3' };

export const DEBIAN_RESULT: ScanResult = {
  schemaVersion: 1,
  target: 'registry.example.com/team/app:1.4',
  image: {
    digest: d('ee'),
    configDigest: d('cc'),
    platform: 'linux/amd64',
    created: '2024-02-28T10:00:00Z',
    layers: LAYERS.map((l) => ({ ...l })),
  },
  os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  packageCounts: { dpkg: 120, npm: 310, 'go-binary': 42 },
  findings: FINDINGS,
  database: { path: '/home/u/.cache/portcullis/db', updatedAt: '2024-03-01T06:00:00Z', sources: ['debian-tracker', 'osv', 'nvd'] },
  warnings: ['app/node_modules/bad/package.json: invalid JSON <b>x</b>'],
  scannedAt: SCANNED_AT,
};

export const EMPTY_RESULT: ScanResult = {
  schemaVersion: 1,
  target: 'alpine:3.19',
  os: { id: 'alpine', versionId: '3.19.1' },
  packageCounts: { apk: 15 },
  findings: [],
  warnings: [],
  scannedAt: SCANNED_AT,
};

/** The OS findings, the active (unsuppressed) ones. */
export const activeFindings = (r: ScanResult): Finding[] => r.findings.filter((f) => !f.suppressed);
