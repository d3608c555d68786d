/**
 * SUSE / openSUSE, Photon OS and Azure Linux / CBL-Mariner matching on records
 * written in each distributor's upstream format (test/vuln/fixtures/distros,
 * see its README), imported with the real sources (OSV for SUSE and Azure
 * Linux, Photon's own CVE data) into a test database. Per distribution: a
 * known-vulnerable version yields the advisory with the record's fixed
 * version and the distributor's rating, the fixed version yields none. The
 * Mariner case is a real CBL-Mariner 2.0 rpm database and os-release scanned
 * as an image by the CLI, then linted against the EOL data.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Finding, ScanResult } from '../../../src/core/finding.js';
import type { Inventory, OsRelease, Package } from '../../../src/core/inventory.js';
import { detectOs, wantsReleaseFile } from '../../../src/catalog/os/release.js';
import { BUNDLED_EOL_DATA, supportEnd } from '../../../src/hygiene/eol.js';
import { osEolProduct } from '../../../src/hygiene/image/eol.js';
import { importPaths, openAdvisoryStore } from '../../../src/vuln/db.js';
import { matchInventory } from '../../../src/vuln/match/index.js';
import { lintNamed } from '../../hygiene/image/support.js';
import { runCli } from '../../support/cli.js';
import { fileViewFromMap } from '../../support/file-view.js';
import { buildLayout } from '../../support/oci-builder.js';
import { REPO_ROOT, VULNDATA } from '../../support/paths.js';

const FIXTURES = join(REPO_ROOT, 'test/vuln/fixtures/distros');
const PHOTON_FILE = join(FIXTURES, 'photon/cve_data_photon4.0.json');
let dir: string;
let db: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-distro-suse-'));
  db = join(dir, 'advisories.sqlite');
  const result = await importPaths(db, [join(FIXTURES, 'suse'), join(FIXTURES, 'azurelinux'), PHOTON_FILE]);
  assert.deepEqual(
    result.inputs.map((i) => `${i.path.slice(FIXTURES.length + 1)} ${i.format} ${i.advisories}`),
    [
      'suse/SUSE-SU-2024_3765-1.json osv 1',
      'suse/SUSE-SU-2024_4359-1.json osv 1',
      'suse/SUSE-SU-2025_20081-1.json osv 1',
      'azurelinux/AZL-13201.json osv 1',
      'azurelinux/AZL-29544.json osv 1',
      'azurelinux/AZL-50124.json osv 1',
      'photon/cve_data_photon4.0.json photon 4', // CVE-2023-38545, CVE-2023-44487, CVE-2023-50447, BDSA-2025-0719
    ],
  );
  // The one placeholder entry of the Photon file is skipped, and named.
  assert.deepEqual(result.skipped, [{ record: `${PHOTON_FILE}#5: UNK-1 curl-libs`, reason: '"UNK-1" is not a vulnerability id' }]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function rpm(name: string, version: string, source = name): Package {
  return { name, version, ecosystem: 'rpm', purl: `pkg:rpm/x/${name}@${version}`, foundBy: 'rpm', path: 'var/lib/rpm/rpmdb.sqlite', source: { name: source } };
}

/** Findings of a scan the database could judge: `incomplete` is what matching must report (none by default). */
async function scan(os: OsRelease, packages: Package[], expectIncomplete: readonly string[] = []): Promise<Finding[]> {
  const store = openAdvisoryStore(db);
  try {
    const inventory: Inventory = { os, packages, ownedFiles: [], warnings: [] };
    const incomplete: string[] = [];
    const findings = await matchInventory(inventory, store, { onIncomplete: (r) => incomplete.push(r) });
    assert.deepEqual(incomplete, expectIncomplete);
    return findings;
  } finally {
    await store.close();
  }
}
/** One line per finding: what a user reads first. */
const line = (f: Finding): string =>
  `${f.package.name} ${f.installedVersion} ${f.id} fixed ${f.fixedVersion ?? '-'} ${f.severity}/${f.severitySource} ${f.evidence.ecosystem}`;

test('SLES 15 SP5: base packages are filed under the Basesystem module; a SLES 16.0 fix does not apply', async () => {
  const os: OsRelease = { id: 'sles', versionId: '15.5', prettyName: 'SUSE Linux Enterprise Server 15 SP5', path: 'etc/os-release' };
  const findings = await scan(os, [
    rpm('libopenssl1_1', '1.1.1l-150500.17.34.1', 'openssl-1_1'), // binary of the source rpm the record names
    rpm('openssl-1_1', '1.1.1l-150500.17.37.1'), // the fix itself
    rpm('libcurl4', '8.0.1-150400.5.56.1', 'curl'), // before 5.59.1; SLES 16.0's 8.14.1 must not judge it
    rpm('curl', '8.0.1-150400.5.59.1'),
  ]);
  assert.deepEqual(findings.map(line).sort(), [
    'libcurl4 8.0.1-150400.5.56.1 CVE-2024-11053 fixed 8.0.1-150400.5.59.1 MEDIUM/suse SUSE:Linux Enterprise Module for Basesystem 15 SP5',
    'libopenssl1_1 1.1.1l-150500.17.34.1 CVE-2024-9143 fixed 1.1.1l-150500.17.37.1 MEDIUM/suse SUSE:Linux Enterprise Module for Basesystem 15 SP5',
  ]);
  const openssl = findings.find((f) => f.package.name === 'libopenssl1_1')!;
  assert.ok(openssl.aliases.includes('SUSE-SU-2024:3765-1'));
  assert.equal(openssl.evidence.queriedName, 'openssl-1_1');
  assert.equal(openssl.cvss?.vector, 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:L'); // SUSE's own vector, 4.8
});

test('SLES 15 SP3 under LTSS: the record names the "-LTSS" product', async () => {
  const os: OsRelease = { id: 'sles', versionId: '15.3', prettyName: 'SUSE Linux Enterprise Server 15 SP3', path: 'etc/os-release' };
  const findings = await scan(os, [rpm('libopenssl1_1', '1.1.1d-150200.11.91.1', 'openssl-1_1'), rpm('libopenssl1_1-hmac', '1.1.1d-150200.11.94.1', 'openssl-1_1')]);
  assert.deepEqual(findings.map(line), [
    'libopenssl1_1 1.1.1d-150200.11.91.1 CVE-2024-9143 fixed 1.1.1d-150200.11.94.1 MEDIUM/suse SUSE:Linux Enterprise Server 15 SP3-LTSS',
  ]);
});

test('openSUSE Leap 15.5: SUSE-SU records list the Leap release; matched by source rpm', async () => {
  const os: OsRelease = { id: 'opensuse-leap', versionId: '15.5', prettyName: 'openSUSE Leap 15.5', path: 'etc/os-release' };
  const findings = await scan(os, [rpm('libcurl4', '8.0.1-150400.5.56.1', 'curl'), rpm('libopenssl1_1', '1.1.1l-150500.17.37.1', 'openssl-1_1')]);
  assert.deepEqual(findings.map(line), ['libcurl4 8.0.1-150400.5.56.1 CVE-2024-11053 fixed 8.0.1-150400.5.59.1 MEDIUM/suse openSUSE:Leap 15.5']);
  // Leap 15.6 is another release: nothing of 15.5 applies, and a database without 15.6 cannot call it clean.
  assert.deepEqual(
    await scan({ ...os, versionId: '15.6', prettyName: 'openSUSE Leap 15.6' }, [rpm('libcurl4', '8.0.1-150400.5.56.1', 'curl')], [
      'the advisory database has no openSUSE Leap 15.6 advisories (OSV) for openSUSE:Leap 15.6, openSUSE:Leap 15.6 NonFree, so its 1 OS package was not matched: run "portcullis db update --feeds osv"',
    ]),
    [],
  );
});

test('Photon OS 4.0: binary rpm names, Photon\'s CVSS score, "Not Affected" and a fix-less entry', async () => {
  const os: OsRelease = { id: 'photon', versionId: '4.0', prettyName: 'VMware Photon OS/Linux', path: 'etc/os-release' };
  const findings = await scan(os, [
    rpm('curl-libs', '7.88.1-3.ph4', 'curl'), // before 7.88.1-4.ph4
    rpm('curl', '7.88.1-4.ph4'), // fixed
    rpm('httpd', '2.4.57-1.ph4'), // "Not Affected"
    rpm('python3', '3.10.11-5.ph4'), // "Fixed" with NA versions: no fix known, reported
    rpm('krb5-devel', '1.17-14.ph4', 'krb5'), // a Black Duck id: kept, under Photon's name (only CVEs name findings)
  ]);
  assert.deepEqual(findings.map(line).sort(), [
    'curl-libs 7.88.1-3.ph4 CVE-2023-38545 fixed 7.88.1-4.ph4 CRITICAL/photon Photon OS:4.0',
    'krb5-devel 1.17-14.ph4 PHOTON-BDSA-2025-0719 fixed 1.17-15.ph4 HIGH/photon Photon OS:4.0',
    'python3 3.10.11-5.ph4 CVE-2023-50447 fixed - UNKNOWN/none Photon OS:4.0',
  ]);
  assert.equal(findings.find((f) => f.package.name === 'python3')!.status, 'affected');
  assert.equal(findings.find((f) => f.package.name === 'curl-libs')!.evidence.feed, 'photon');
  // Another Photon release: the 4.0 file says nothing about it.
  assert.deepEqual(
    await scan({ ...os, versionId: '5.0' }, [rpm('curl-libs', '7.88.1-3.ph4', 'curl')], [
      'the advisory database has no Photon OS advisories (its CVE data) for Photon OS:5.0, so its 1 OS package was not matched: run "portcullis db update --feeds photon"',
    ]),
    [],
  );
});

test('Azure Linux 3.0: Microsoft\'s AZL record on "Azure Linux:3", by source rpm, rated by Microsoft', async () => {
  const os: OsRelease = { id: 'azurelinux', versionId: '3.0', prettyName: 'Microsoft Azure Linux 3.0', path: 'etc/os-release' };
  const findings = await scan(os, [rpm('liboath', '2.6.7-2.azl3', 'oath-toolkit'), rpm('oath-toolkit', '2.6.7-3.azl3')]);
  assert.deepEqual(findings.map(line), ['liboath 2.6.7-2.azl3 CVE-2024-47191 fixed 2.6.7-3.azl3 HIGH/azurelinux Azure Linux:3']);
  assert.ok(findings[0]!.aliases.includes('AZL-50124'));
});

test('CBL-Mariner 2.0, a real rpmdb and os-release in an image: scan finds the Azure Linux:2 records, lint finds the release past its end', async () => {
  const rpmdb = readFileSync(join(VULNDATA, 'pkgdb/rpm/go-rpmdb-testdata/cbl-mariner-2.0/rpmdb.sqlite'));
  const osRelease = readFileSync(join(VULNDATA, 'pkgdb/os-release/trivy-testdata/mariner-2.0'));
  const image = await buildLayout({
    dir: join(dir, 'mariner-image'),
    layers: [{ entries: [{ name: 'etc/os-release', body: osRelease }, { name: 'var/lib/rpm/rpmdb.sqlite', body: rpmdb }] }],
  });
  const r = await runCli(['scan', image.name, '--db', db, '--offline', '--format', 'json', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as ScanResult;
  assert.equal(result.packageCounts.rpm, 129);
  assert.deepEqual(result.incomplete ?? [], []);
  // curl 7.76.0-6.cm2 (binary curl and curl-libs) is before AZL-29544's 7.86.0-1.cm2; zlib 1.2.11-5.cm2 is AZL-13201's fix.
  assert.deepEqual(result.findings.map(line).sort(), [
    'curl 7.76.0-6.cm2 CVE-2022-32221 fixed 7.86.0-1.cm2 CRITICAL/azurelinux Azure Linux:2',
    'curl-libs 7.76.0-6.cm2 CVE-2022-32221 fixed 7.86.0-1.cm2 CRITICAL/azurelinux Azure Linux:2',
  ]);
  assert.equal(result.findings[0]!.layer?.index, 0);

  const lint = await lintNamed(image.name);
  const eol = lint.findings.filter((f) => f.ruleId === 'image/eol-base').map((f) => f.message);
  assert.deepEqual(eol, ['Azure Linux (CBL-Mariner) 2.0 lost security support on 2025-07-31, 163 days ago (os-release: etc/os-release)']);
});

test('EOL: each of these real os-releases finds its cycle, with the end endoflife.date gives (eol.json says how that was verified)', () => {
  const ends = ['sles', 'opensuseleap-15.2.1', 'photon', 'azurelinux-3.0', 'mariner-2.0', 'mariner-1.0'].map((fixture) => {
    const { os } = detectOs(fileViewFromMap({ 'etc/os-release': readFileSync(join(VULNDATA, 'pkgdb/os-release/trivy-testdata', fixture)) }, { wants: wantsReleaseFile }));
    const end = supportEnd(BUNDLED_EOL_DATA, osEolProduct(os!), os!.versionId!);
    return `${fixture} ${end?.product.name} ${end?.cycle.cycle} ${end?.date}`;
  });
  assert.deepEqual(ends, [
    'sles SUSE Linux Enterprise Server 15.3 2022-12-31',
    'opensuseleap-15.2.1 openSUSE Leap 15.2 2022-01-04',
    'photon VMware Photon OS 4.0 2027-10-11',
    'azurelinux-3.0 Azure Linux (CBL-Mariner) 3.0 2027-08-31',
    'mariner-2.0 Azure Linux (CBL-Mariner) 2.0 2025-07-31',
    'mariner-1.0 Azure Linux (CBL-Mariner) 1.0 2023-08-31',
  ]);
});
