/**
 * End to end on real rpm databases for SUSE and Photon OS: packages built by
 * Debian's rpmbuild with the distributions' release tags (a source rpm with
 * differently named binaries, as `openssl-1_1` builds `libopenssl1_1` and
 * Photon's `curl` builds `curl-libs`), installed by the real rpm into a
 * SQLite rpmdb, put in an image layer beside the distribution's real
 * os-release, and scanned by the CLI against the records written in the
 * upstream formats (test/vuln/fixtures/distros).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Finding, ScanResult } from '../../../src/core/finding.js';
import { importPaths } from '../../../src/vuln/db.js';
import { runCli } from '../../support/cli.js';
import { buildLayout } from '../../support/oci-builder.js';
import { REPO_ROOT, VULNDATA } from '../../support/paths.js';
import { rpmDbBytes } from '../../support/rpm-build.js';

const FIXTURES = join(REPO_ROOT, 'test/vuln/fixtures/distros');
const OS_RELEASE = join(VULNDATA, 'pkgdb/os-release/trivy-testdata');
let dir: string;
let db: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-suse-photon-'));
  db = join(dir, 'advisories.sqlite');
  await importPaths(db, [join(FIXTURES, 'suse'), join(FIXTURES, 'photon/cve_data_photon4.0.json')]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function scanImage(name: string, osRelease: string, rpmdbPath: string, rpmdb: Buffer): Promise<ScanResult> {
  const image = await buildLayout({
    dir: join(dir, `${name}-image`),
    layers: [{ entries: [{ name: 'etc/os-release', body: readFileSync(join(OS_RELEASE, osRelease)) }, { name: rpmdbPath, body: rpmdb }] }],
  });
  const r = await runCli(['scan', image.name, '--db', db, '--offline', '--format', 'json', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as ScanResult;
  assert.deepEqual(result.incomplete ?? [], []);
  return result;
}

const line = (f: Finding): string => `${f.package.name} ${f.installedVersion} ${f.id} fixed ${f.fixedVersion ?? '-'} ${f.severitySource} ${f.evidence.ecosystem}`;

test('SLES 15 SP3 (real os-release, rpmdb under usr/lib/sysimage): binaries of openssl-1_1 get the LTSS fix; curl has no SP3 record', { timeout: 300_000 }, async () => {
  const rpmdb = await rpmDbBytes(join(dir, 'sles'), [
    { name: 'openssl-1_1', version: '1.1.1d', release: '150200.11.91.1', subpackages: ['libopenssl1_1'] },
    { name: 'curl', version: '8.0.1', release: '150400.5.56.1', subpackages: ['libcurl4'] },
  ]);
  const result = await scanImage('sles', 'sles', 'usr/lib/sysimage/rpm/rpmdb.sqlite', rpmdb);
  assert.equal(result.os?.prettyName, 'SUSE Linux Enterprise Server 15 SP3');
  assert.equal(result.packageCounts.rpm, 4);
  assert.deepEqual(result.findings.map(line).sort(), [
    'libopenssl1_1 1.1.1d-150200.11.91.1 CVE-2024-9143 fixed 1.1.1d-150200.11.94.1 suse SUSE:Linux Enterprise Server 15 SP3-LTSS',
    'openssl-1_1 1.1.1d-150200.11.91.1 CVE-2024-9143 fixed 1.1.1d-150200.11.94.1 suse SUSE:Linux Enterprise Server 15 SP3-LTSS',
  ]);
});

test('Photon OS 4.0 (real os-release): curl and curl-libs before the fix; nghttp2 at the fix and httpd "Not Affected" clean', { timeout: 300_000 }, async () => {
  const rpmdb = await rpmDbBytes(join(dir, 'photon'), [
    { name: 'curl', version: '7.88.1', release: '3.ph4', subpackages: ['curl-libs'] },
    { name: 'nghttp2', version: '1.57.0', release: '1.ph4' },
    { name: 'httpd', version: '2.4.57', release: '1.ph4' },
  ]);
  const result = await scanImage('photon', 'photon', 'var/lib/rpm/rpmdb.sqlite', rpmdb);
  assert.equal(result.packageCounts.rpm, 4);
  assert.deepEqual(result.findings.map(line).sort(), [
    'curl 7.88.1-3.ph4 CVE-2023-38545 fixed 7.88.1-4.ph4 photon Photon OS:4.0',
    'curl-libs 7.88.1-3.ph4 CVE-2023-38545 fixed 7.88.1-4.ph4 photon Photon OS:4.0',
  ]);
  assert.ok(result.findings.every((f) => f.severity === 'CRITICAL'));
});
