/**
 * Every distribution from its real os-release file (trivy's and claircore's
 * fixtures in ../shared): the OS detected, the OSV ecosystems its packages
 * are looked up under (each one a name ossf/osv-schema's ecosystems.json
 * defines, but Oracle Linux's, which its own ELSA feed fills), and its end-of-life cycle in the bundled EOL data. Also the two
 * files that change where packages come from: Alpine's
 * etc/apk/repositories and Red Hat's content manifests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectOs, wantsReleaseFile } from '../../../src/catalog/os/release.js';
import { apkRepositoriesRelease, contentManifestSets } from '../../../src/catalog/os/release-repos.js';
import type { OsRelease } from '../../../src/core/inventory.js';
import { BUNDLED_EOL_DATA, supportEnd } from '../../../src/hygiene/eol.js';
import { osEolProduct } from '../../../src/hygiene/image/eol.js';
import { distroEcosystems } from '../../../src/vuln/match/os.js';
import { contentSetEcosystem } from '../../../src/vuln/match/rpm-distros.js';
import { fileViewFromMap } from '../../support/file-view.js';
import { VULNDATA } from '../../support/paths.js';

const TRIVY = join(VULNDATA, 'pkgdb/os-release/trivy-testdata');
const CLAIRCORE = join(VULNDATA, 'pkgdb/os-release/claircore-testdata');
const OSV_ECOSYSTEMS = new Set(Object.keys(JSON.parse(readFileSync(join(VULNDATA, 'osv/schema/ecosystems.json'), 'utf8')) as object));
const selector = { wants: wantsReleaseFile };

function detect(files: Record<string, string | Buffer>): { os: OsRelease; warnings: readonly string[] } {
  const { os, warnings } = detectOs(fileViewFromMap(files, selector));
  assert.ok(os, `not detected: ${warnings.join('; ')}`);
  return { os, warnings };
}
const fromTrivy = (name: string): OsRelease => detect({ 'etc/os-release': readFileSync(join(TRIVY, name)) }).os;

const SLE15_SP3_MODULES = [
  'Basesystem', 'Server Applications', 'Desktop Applications', 'Development Tools', 'Containers', 'Public Cloud', 'Web and Scripting', 'Legacy', 'Python 3', 'Systems Management',
  'HPC', 'SAP Applications', 'Transactional Server',
].map((m) => `SUSE:Linux Enterprise Module for ${m} 15 SP3`);
/** The other products of the same service pack (rpm-distros.ts): built from one code stream. */
const SLE15_SP3_SIBLINGS = ['High Performance Computing 15 SP3', 'High Performance Computing 15 SP3-LTSS', 'High Performance Computing 15 SP3-ESPOS', 'Server for SAP Applications 15 SP3'].map(
  (p) => `SUSE:Linux Enterprise ${p}`,
);

// fixture → [ecosystems, EOL product, EOL cycle] (undefined: rolling or not in the EOL data).
const CASES: Record<string, [string[], string | undefined, string | undefined]> = {
  rhel: [['Red Hat:enterprise_linux:9::baseos', 'Red Hat:enterprise_linux:9::appstream'], 'rhel', '9'],
  centos: [['Red Hat:enterprise_linux:7::server'], 'centos', '7'],
  'centos-stream': [['Red Hat:enterprise_linux:8::baseos', 'Red Hat:enterprise_linux:8::appstream'], 'centos-stream', '8'],
  rocky: [['Rocky Linux:9'], 'rocky', '9'],
  alma: [['AlmaLinux:9'], 'almalinux', '9'],
  oracle: [['Oracle Linux:8'], 'ol', '8'],
  sles: [['SUSE:Linux Enterprise Server 15 SP3', 'SUSE:Linux Enterprise Server 15 SP3-LTSS', ...SLE15_SP3_MODULES, ...SLE15_SP3_SIBLINGS], 'sles', '15.3'],
  slemicro: [['SUSE:Linux Enterprise Micro 5.3', 'SUSE:Linux Enterprise Micro 5.3-LTSS'], undefined, undefined],
  'slemicro6.0': [['SUSE:Linux Micro 6.0', 'SUSE:Linux Micro 6.0-LTSS'], undefined, undefined],
  'opensuseleap-15.2.1': [['openSUSE:Leap 15.2', 'openSUSE:Leap 15.2 NonFree'], 'opensuse-leap', '15.2'],
  'opensuseleap-42.3': [['openSUSE:Leap 42.3', 'openSUSE:Leap 42.3 NonFree'], 'opensuse-leap', '42.3'],
  opensusetumbleweed: [['openSUSE:Tumbleweed'], undefined, undefined],
  photon: [['Photon OS:4.0'], 'photon', '4.0'],
  'azurelinux-3.0': [['Azure Linux:3', 'Azure Linux:3.0'], 'azurelinux', '3.0'],
  'mariner-2.0': [['Azure Linux:2', 'Azure Linux:2.0'], 'azurelinux', '2.0'],
  'mariner-1.0': [['Azure Linux:1', 'Azure Linux:1.0'], 'azurelinux', '1.0'],
  minimos: [['MinimOS'], undefined, undefined],
  alpine: [['Alpine:v3.15'], 'alpine', '3.15'],
};

test('each distribution from its real os-release: ecosystems (all defined by OSV) and its EOL cycle', () => {
  for (const [fixture, [ecosystems, product, cycle]] of Object.entries(CASES)) {
    const os = fromTrivy(fixture);
    assert.deepEqual(distroEcosystems(os), ecosystems, fixture);
    for (const e of ecosystems) assert.ok(OSV_ECOSYSTEMS.has(e.split(':')[0]!) || e.startsWith('Oracle Linux:'), `${fixture}: ${e} is not an OSV ecosystem`);
    if (product === undefined) {
      assert.equal(BUNDLED_EOL_DATA.products[osEolProduct(os)], undefined, `${fixture}: rolling or unlisted`);
      continue;
    }
    assert.equal(osEolProduct(os), product, fixture);
    const end = supportEnd(BUNDLED_EOL_DATA, product, os.versionId!);
    assert.equal(end?.cycle.cycle, cycle, fixture);
    assert.ok(end?.product.sources.some((s) => s.startsWith('https://endoflife.date/')), fixture);
  }
  // CentOS Linux 8 and CentOS Stream 8 share ID and VERSION_ID; only the name tells their very different ends apart.
  assert.equal(supportEnd(BUNDLED_EOL_DATA, osEolProduct(fromTrivy('centos-stream')), '8')?.date, '2024-05-31');
  assert.equal(supportEnd(BUNDLED_EOL_DATA, 'centos', '8')?.date, '2021-12-31');
});

test('Oracle Linux: no OSV ecosystem exists; looked up under its ELSA feed\'s own (sources/oracle-oval.ts)', () => {
  assert.ok(!OSV_ECOSYSTEMS.has('Oracle Linux'));
  assert.deepEqual(distroEcosystems(fromTrivy('oracle')), ['Oracle Linux:8']);
});

test('Amazon Linux: the amazon-updateinfo ecosystems (not OSV ones) per release, AL1 releases as one; EOL cycles', () => {
  assert.ok(!OSV_ECOSYSTEMS.has('Amazon Linux'), 'OSV defines no Amazon ecosystem: the names are the feed\'s own');
  // No Amazon Linux os-release is among the shared fixtures: these lines are Amazon Linux's ID and VERSION_ID as each release writes them.
  const cases: [string, string[], string | undefined][] = [
    ['2023', ['Amazon Linux:2023'], '2023'],
    ['2022', ['Amazon Linux:2022'], undefined],
    ['2', ['Amazon Linux:2'], '2'],
    ['2018.03', ['Amazon Linux:1'], '2018.03'],
    ['2017.09', ['Amazon Linux:1'], undefined],
    ['2031', [], undefined],
  ];
  for (const [version, ecosystems, cycle] of cases) {
    const amzn = detect({ 'etc/os-release': `NAME="Amazon Linux"\nID="amzn"\nVERSION_ID="${version}"\n` }).os;
    assert.deepEqual(distroEcosystems(amzn), ecosystems, version);
    assert.equal(supportEnd(BUNDLED_EOL_DATA, osEolProduct(amzn), version)?.cycle.cycle, cycle, version);
  }
});

test('Wolfi and Chainguard are rolling: one ecosystem each and no EOL cycle', () => {
  for (const id of ['wolfi', 'chainguard']) {
    const os = detect({ 'etc/os-release': `ID=${id}\nVERSION_ID=20230201\n` }).os;
    assert.deepEqual(distroEcosystems(os), [id === 'wolfi' ? 'Wolfi' : 'Chainguard']);
    assert.equal(BUNDLED_EOL_DATA.products[osEolProduct(os)], undefined);
  }
  assert.match(BUNDLED_EOL_DATA.note ?? '', /Wolfi, Chainguard.*rolling/);
});

test('distroless Debian (claircore): status.d and no shell; matched as its Debian release', () => {
  const dir = join(CLAIRCORE, 'debian/distroless_dist/11');
  const { os } = detect({ 'etc/os-release': readFileSync(join(dir, 'etc/os-release')), 'var/lib/dpkg/status.d/base': 'Package: base-files\n' });
  assert.equal(os.distroless, true);
  assert.deepEqual(distroEcosystems(os), ['Debian:11']);
  assert.equal(supportEnd(BUNDLED_EOL_DATA, osEolProduct(os), '11')?.cycle.cycle, '11');
});

test('Alpine: an image that installs from another release is matched against that release, with a warning', () => {
  const osRelease = readFileSync(join(CLAIRCORE, 'alpine/3.12/etc/os-release'));
  const own = 'https://dl-cdn.alpinelinux.org/alpine/v3.12/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.12/community\n';
  const plain = detect({ 'etc/os-release': osRelease, 'etc/apk/repositories': own });
  assert.equal(plain.os.apkRepositoryRelease, undefined);
  assert.deepEqual(plain.warnings, []);
  assert.deepEqual(distroEcosystems(plain.os), ['Alpine:v3.12']);

  const edge = detect({ 'etc/os-release': osRelease, 'etc/apk/repositories': `${own}https://dl-cdn.alpinelinux.org/alpine/edge/main\n` });
  assert.equal(edge.os.apkRepositoryRelease, 'edge');
  assert.deepEqual(distroEcosystems(edge.os), ['Alpine:edge']);
  assert.deepEqual(edge.warnings, [
    'etc/apk/repositories installs from Alpine edge, not 3.12 (etc/os-release): packages are matched against the advisories of edge, as Trivy does',
  ]);
  const newer = detect({ 'etc/os-release': osRelease, 'etc/apk/repositories': 'http://mirror.example/alpine/v3.20/main\n' });
  assert.deepEqual(distroEcosystems(newer.os), ['Alpine:v3.20']);

  // Pinned (tagged) repositories and comments do not move the image; the newest untagged release wins.
  assert.equal(apkRepositoriesRelease(`${own}@edge https://dl-cdn.alpinelinux.org/alpine/edge/testing\n# https://x/alpine/edge/main\n`), '3.12');
  assert.equal(apkRepositoriesRelease('https://a/alpine/v3.9/main\nhttps://a/alpine/v3.10/main\n'), '3.10');
  assert.equal(apkRepositoriesRelease('/media/cdrom/apks\n'), undefined);
});

test('Red Hat: content manifests decide the product streams; unknown content sets are not used', () => {
  const osRelease = readFileSync(join(TRIVY, 'rhel')); // 9.4
  // The shape of atomic-reactor's content manifest (root/buildinfo/content_manifests/<nvr>.json), as in UBI images.
  const manifest = (sets: string[]): string => JSON.stringify({ metadata: { icm_version: 1, image_layer_index: 1 }, content_sets: sets, image_contents: [] });
  const eus = detect({
    'etc/os-release': osRelease,
    'root/buildinfo/content_manifests/ubi9-container-9.4-1.json': manifest(['rhel-9-for-x86_64-baseos-eus-rpms', 'rhel-9-for-x86_64-appstream-eus-rpms']),
    'root/buildinfo/content_manifests/app-1.0-1.json': manifest(['codeready-builder-for-rhel-9-x86_64-rpms', 'some-third-party-rpms']),
  }).os;
  assert.deepEqual(eus.contentSets, ['codeready-builder-for-rhel-9-x86_64-rpms', 'some-third-party-rpms', 'rhel-9-for-x86_64-baseos-eus-rpms', 'rhel-9-for-x86_64-appstream-eus-rpms']);
  assert.deepEqual(distroEcosystems(eus), ['Red Hat:enterprise_linux:9::crb', 'Red Hat:rhel_eus:9.4::baseos', 'Red Hat:rhel_eus:9.4::appstream']);

  const broken = detect({ 'etc/os-release': osRelease, 'root/buildinfo/content_manifests/x.json': '{"content_sets": "no"}' });
  assert.equal(broken.os.contentSets, undefined);
  assert.match(broken.warnings.join('\n'), /x\.json: not a content manifest/);
  assert.deepEqual(distroEcosystems(broken.os), ['Red Hat:enterprise_linux:9::baseos', 'Red Hat:enterprise_linux:9::appstream']);

  assert.equal(contentSetEcosystem('rhel-7-server-rpms', '7.9'), 'Red Hat:enterprise_linux:7::server');
  assert.equal(contentSetEcosystem('rhel-8-for-x86_64-appstream-e4s-rpms', '8.6'), 'Red Hat:rhel_e4s:8.6::appstream');
  assert.equal(contentSetEcosystem('rhel-8-for-x86_64-appstream-e4s-rpms', '9.4'), undefined); // another major's stream
  assert.equal(contentSetEcosystem('rhel-8-for-x86_64-appstream-e4s-rpms', '8'), undefined); // no minor to name the stream
  assert.deepEqual(contentManifestSets('{"content_sets": ["ok-rpms", "bad name", 7]}'), ['ok-rpms']);
  assert.equal(contentManifestSets('not json'), undefined);
});
